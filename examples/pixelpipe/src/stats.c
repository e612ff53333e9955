/*
 * Image statistics. Mean and variance over gigapixel mosaics lose digits in double when
 * summing squares, so the sums are kept in binary128 (__float128, software emulated but
 * only touched once per row).
 */
#include <string.h>

#include "pixelpipe/pixelpipe.h"

typedef struct row_sums {
    uint64_t sum;
    uint64_t sum_sq;
    uint8_t min;
    uint8_t max;
} row_sums;

static row_sums sum_row(const uint8_t *p, size_t n)
{
    row_sums r = {0, 0, 255, 0};
    size_t i;

    for (i = 0; i < n; ++i) {
        uint32_t v = p[i];
        r.sum += v;
        r.sum_sq += v * v;
        if (p[i] < r.min)
            r.min = p[i];
        if (p[i] > r.max)
            r.max = p[i];
    }
    return r;
}

pp_status pp_image_stats(const pp_image *img, pp_stats *out)
{
    __float128 total = 0, total_sq = 0, count;
    uint8_t lo = 255, hi = 0;
    int y;

    if (img == NULL || img->data == NULL || out == NULL)
        return PP_ERR_ARG;
    for (y = 0; y < img->height; ++y) {
        row_sums r = sum_row(pp_row(img, y), (size_t)img->width * (size_t)img->channels);
        total += (__float128)r.sum;
        total_sq += (__float128)r.sum_sq;
        if (r.min < lo)
            lo = r.min;
        if (r.max > hi)
            hi = r.max;
    }
    count = (__float128)img->width * img->height * img->channels;
    out->mean = (double)(total / count);
    out->variance = (double)(total_sq / count - (total / count) * (total / count));
    out->min = lo;
    out->max = hi;
    return PP_OK;
}

#ifdef PP_DEBUG_STATS
#include <quadmath.h>
#include <stdio.h>

void pp_debug_print_q(const char *label, __float128 value)
{
    char buf[64];
    quadmath_snprintf(buf, sizeof buf, "%.30Qg", value);
    fprintf(stderr, "%s = %s\n", label, buf);
}
#endif
