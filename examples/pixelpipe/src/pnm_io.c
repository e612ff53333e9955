/*
 * Reading and writing binary PGM (P5) and PPM (P6) files, 8 bits per sample.
 *
 * History: version 1.0 converted samples to float on load and scaled them with _mm_add_ps
 * and _mm_mul_ps; since 1.2 images stay 8-bit end to end and this file is plain C.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixelpipe/pixelpipe.h"

/* Skips whitespace and '#' comments between header fields. */
static int skip_space(FILE *f)
{
    int c = fgetc(f);
    for (;;) {
        while (c != EOF && isspace(c))
            c = fgetc(f);
        if (c != '#')
            break;
        while (c != EOF && c != '\n')
            c = fgetc(f);
    }
    if (c == EOF)
        return -1;
    ungetc(c, f);
    return 0;
}

static int read_uint(FILE *f, long *out)
{
    long value = 0;
    int digits = 0;
    int c;

    if (skip_space(f) != 0)
        return -1;
    while ((c = fgetc(f)) != EOF && isdigit(c)) {
        value = value * 10 + (c - '0');
        if (value > 1000000)
            return -1;
        ++digits;
    }
    if (digits == 0)
        return -1;
    if (c != EOF)
        ungetc(c, f);
    *out = value;
    return 0;
}

pp_status pp_load_pnm(const char *path, pp_image *img)
{
    FILE *f;
    int magic0, magic1, channels;
    long width, height, maxval;
    pp_status st;
    int y;

    if (path == NULL || img == NULL)
        return PP_ERR_ARG;
    f = fopen(path, "rb");
    if (f == NULL)
        return PP_ERR_IO;

    magic0 = fgetc(f);
    magic1 = fgetc(f);
    if (magic0 != 'P' || (magic1 != '5' && magic1 != '6')) {
        fclose(f);
        return PP_ERR_FORMAT;
    }
    channels = magic1 == '5' ? 1 : 3;
    if (read_uint(f, &width) || read_uint(f, &height) || read_uint(f, &maxval) || maxval != 255) {
        fclose(f);
        return PP_ERR_FORMAT;
    }
    if (fgetc(f) == EOF) { /* the single whitespace byte before the raster */
        fclose(f);
        return PP_ERR_FORMAT;
    }

    st = pp_image_create(img, (int)width, (int)height, channels);
    if (st != PP_OK) {
        fclose(f);
        return st;
    }
    for (y = 0; y < img->height; ++y) {
        size_t want = (size_t)img->width * (size_t)channels;
        if (fread(pp_row(img, y), 1, want, f) != want) {
            pp_image_destroy(img);
            fclose(f);
            return PP_ERR_FORMAT;
        }
    }
    fclose(f);
    return PP_OK;
}

pp_status pp_save_pnm(const char *path, const pp_image *img)
{
    FILE *f;
    int y;

    if (path == NULL || img == NULL || img->data == NULL)
        return PP_ERR_ARG;
    f = fopen(path, "wb");
    if (f == NULL)
        return PP_ERR_IO;
    fprintf(f, "P%c\n# written by pixelpipe %s\n%d %d\n255\n", img->channels == 1 ? '5' : '6',
            pp_version_string(), img->width, img->height);
    for (y = 0; y < img->height; ++y) {
        size_t want = (size_t)img->width * (size_t)img->channels;
        if (fwrite(pp_row(img, y), 1, want, f) != want) {
            fclose(f);
            return PP_ERR_IO;
        }
    }
    if (fclose(f) != 0)
        return PP_ERR_IO;
    return PP_OK;
}
