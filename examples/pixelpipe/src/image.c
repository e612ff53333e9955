/*
 * Image allocation and bookkeeping. Plain C: every kernel gets its rows from here, so the
 * stride is always a multiple of PP_ROW_ALIGN and the buffer start is aligned the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pixelpipe/pixelpipe.h"

static size_t row_bytes(int width, int channels)
{
    return (size_t)width * (size_t)channels;
}

pp_status pp_image_create(pp_image *img, int width, int height, int channels)
{
    void *mem = NULL;
    size_t stride;

    if (img == NULL || width <= 0 || height <= 0 || width > PP_MAX_DIM || height > PP_MAX_DIM)
        return PP_ERR_ARG;
    if (channels != 1 && channels != 3)
        return PP_ERR_ARG;

    stride = PP_ALIGN_UP(row_bytes(width, channels), PP_ROW_ALIGN);
    /* one spare row so kernels that read a full vector past the last pixel stay in bounds */
    if (posix_memalign(&mem, PP_ROW_ALIGN, stride * ((size_t)height + 1)) != 0)
        return PP_ERR_NOMEM;
    memset(mem, 0, stride * ((size_t)height + 1));

    img->width = width;
    img->height = height;
    img->channels = channels;
    img->stride = stride;
    img->data = mem;
    return PP_OK;
}

pp_status pp_image_clone(pp_image *dst, const pp_image *src)
{
    pp_status st;
    int y;

    if (dst == NULL || src == NULL || src->data == NULL)
        return PP_ERR_ARG;
    st = pp_image_create(dst, src->width, src->height, src->channels);
    if (st != PP_OK)
        return st;
    for (y = 0; y < src->height; ++y)
        memcpy(pp_row(dst, y), pp_row(src, y), row_bytes(src->width, src->channels));
    return PP_OK;
}

void pp_image_destroy(pp_image *img)
{
    if (img == NULL)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

const char *pp_status_string(pp_status status)
{
    switch (status) {
    case PP_OK:
        return "ok";
    case PP_ERR_ARG:
        return "invalid argument";
    case PP_ERR_NOMEM:
        return "out of memory";
    case PP_ERR_IO:
        return "input/output error";
    case PP_ERR_FORMAT:
        return "unsupported or corrupt image file";
    case PP_ERR_CPU:
        return "this processor lacks a required instruction set";
    }
    return "unknown error";
}

const char *pp_version_string(void)
{
#define PP_STR2(x) #x
#define PP_STR(x) PP_STR2(x)
    return PP_STR(PP_VERSION_MAJOR) "." PP_STR(PP_VERSION_MINOR) "." PP_STR(PP_VERSION_PATCH);
#undef PP_STR
#undef PP_STR2
}
