/*
 * Unsharp mask: out = src + amount * (src - blur(src)), in float.
 *
 * The row kernel is plain C; GCC builds one clone per instruction set and picks the best at
 * load time, so the library still starts on the old SSE4.2 machines in the render farm.
 */
#include <stdlib.h>

#include "pixelpipe/pixelpipe.h"

__attribute__((target_clones("avx2", "sse4.2", "default")))
static void sharpen_row(float *restrict out, const float *restrict src, const float *restrict blurred,
                        size_t n, float amount)
{
    size_t i;

    for (i = 0; i < n; ++i) {
        float v = src[i] + amount * (src[i] - blurred[i]);
        out[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
}

pp_status pp_sharpen(pp_image *dst, const pp_image *src, float amount)
{
    const size_t n = (size_t)src->width * (size_t)src->channels;
    pp_image blurred;
    float *buf;
    pp_status st;
    int y;

    if (dst == NULL || src == NULL || amount < 0.0f)
        return PP_ERR_ARG;
    st = pp_image_create(&blurred, src->width, src->height, src->channels);
    if (st != PP_OK)
        return st;
    st = pp_box_blur3(&blurred, src);
    if (st != PP_OK) {
        pp_image_destroy(&blurred);
        return st;
    }
    buf = malloc(3 * n * sizeof *buf);
    if (buf == NULL) {
        pp_image_destroy(&blurred);
        return PP_ERR_NOMEM;
    }
    for (y = 0; y < src->height; ++y) {
        pp_u8_to_f32(buf, pp_row(src, y), n);
        pp_u8_to_f32(buf + n, pp_row(&blurred, y), n);
        sharpen_row(buf + 2 * n, buf, buf + n, n, amount);
        pp_f32_to_u8(pp_row(dst, y), buf + 2 * n, n);
    }
    free(buf);
    pp_image_destroy(&blurred);
    return PP_OK;
}
