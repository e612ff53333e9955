/*
 * 3x3 box blur, AVX2.
 *
 * Separable: a vertical pass sums three source rows into 16-bit accumulators, a horizontal
 * pass sums three neighbouring accumulators and divides by nine with a 16-bit reciprocal
 * multiply. Neighbours are `channels` bytes apart, so gray and RGB share one code path.
 * Border pixels are copied unchanged.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "pixelpipe/config.h"
#include "pixelpipe/pixelpipe.h"

#define RECIP_9 7282u /* round(65536 / 9); (s * RECIP_9) >> 16 == s / 9 for s <= 9 * 255 */

static void vertical_sum3(uint16_t *restrict acc, const uint8_t *r0, const uint8_t *r1,
                          const uint8_t *r2, size_t n)
{
    size_t x = 0;

    for (; x + 16 <= n; x += 16) {
        __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(r0 + x)));
        __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(r1 + x)));
        __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(r2 + x)));
        _mm256_storeu_si256((__m256i *)(acc + x), _mm256_add_epi16(_mm256_add_epi16(a, b), c));
    }
    for (; x < n; ++x)
        acc[x] = (uint16_t)(r0[x] + r1[x] + r2[x]);
}

static void horizontal_sum3(uint8_t *restrict out, const uint16_t *acc, size_t n, size_t step)
{
    const __m256i recip = _mm256_set1_epi16((short)RECIP_9);
    size_t x = step;

    for (; x + 16 + step <= n; x += 16) {
        __m256i l = _mm256_loadu_si256((const __m256i *)(acc + x - step));
        __m256i m = _mm256_loadu_si256((const __m256i *)(acc + x));
        __m256i r = _mm256_loadu_si256((const __m256i *)(acc + x + step));
        __m256i q = _mm256_mulhi_epu16(_mm256_add_epi16(_mm256_add_epi16(l, m), r), recip);
        /* packus works within 128-bit lanes: gather the two useful quadwords into the low half */
        __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi16(q, q), 0xD8);
        _mm_storeu_si128((__m128i *)(out + x), _mm256_castsi256_si128(p));
    }
    for (; x + step < n; ++x) {
        uint32_t s = (uint32_t)acc[x - step] + acc[x] + acc[x + step];
        out[x] = (uint8_t)((s * RECIP_9) >> 16);
    }
}

pp_status pp_box_blur3(pp_image *dst, const pp_image *src)
{
    const size_t step = (size_t)src->channels;
    const size_t n = (size_t)src->width * step;
    uint16_t *acc;
    int y;

    if (dst == NULL || src == NULL || src->data == NULL || dst->data == NULL)
        return PP_ERR_ARG;
    if (dst->width != src->width || dst->height != src->height || dst->channels != src->channels)
        return PP_ERR_ARG;
    if (src->width < 3 || src->height < 3) {
        for (y = 0; y < src->height; ++y)
            memcpy(pp_row(dst, y), pp_row(src, y), n);
        return PP_OK;
    }

    acc = aligned_alloc(PP_SCRATCH_ALIGN, PP_ALIGN_UP(n * sizeof *acc, PP_SCRATCH_ALIGN));
    if (acc == NULL)
        return PP_ERR_NOMEM;

    memcpy(pp_row(dst, 0), pp_row(src, 0), n);
    for (y = 1; y < src->height - 1; ++y) {
        uint8_t *out = pp_row(dst, y);
        const uint8_t *mid = pp_row(src, y);

        vertical_sum3(acc, pp_row(src, y - 1), mid, pp_row(src, y + 1), n);
        horizontal_sum3(out, acc, n, step);
        memcpy(out, mid, step);                   /* left border */
        memcpy(out + n - step, mid + n - step, step); /* right border */
    }
    memcpy(pp_row(dst, src->height - 1), pp_row(src, src->height - 1), n);

    free(acc);
    return PP_OK;
}
