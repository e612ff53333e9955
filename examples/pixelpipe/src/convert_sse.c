/*
 * Colour and sample-format conversion, SSE4.1.
 *
 * Gray = (77 R + 150 G + 29 B + 128) >> 8, the BT.601 weights in 8.8 fixed point.
 */
#include <smmintrin.h>
#include <string.h>

#include "pixelpipe/pixelpipe.h"

static void rgb_row_to_gray(uint8_t *restrict out, const uint8_t *restrict rgb, size_t width)
{
    /* pick R, G and B of four pixels into the low byte of each 32-bit lane */
    const __m128i pick_r = _mm_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
    const __m128i pick_g = _mm_setr_epi8(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1);
    const __m128i pick_b = _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
    const __m128i wr = _mm_set1_epi32(77), wg = _mm_set1_epi32(150), wb = _mm_set1_epi32(29);
    const __m128i half = _mm_set1_epi32(128);
    size_t x = 0;

    /* a 16-byte load covers 5.33 pixels: stop while 16 bytes remain readable */
    for (; 3 * x + 16 <= 3 * width; x += 4) {
        __m128i px = _mm_loadu_si128((const __m128i *)(rgb + 3 * x));
        __m128i r = _mm_mullo_epi32(_mm_shuffle_epi8(px, pick_r), wr);
        __m128i g = _mm_mullo_epi32(_mm_shuffle_epi8(px, pick_g), wg);
        __m128i b = _mm_mullo_epi32(_mm_shuffle_epi8(px, pick_b), wb);
        __m128i y = _mm_srli_epi32(_mm_add_epi32(_mm_add_epi32(r, g), _mm_add_epi32(b, half)), 8);
        __m128i y8 = _mm_packus_epi16(_mm_packus_epi32(y, y), y);
        int four = _mm_cvtsi128_si32(y8);
        memcpy(out + x, &four, 4);
    }
    for (; x < width; ++x) {
        const uint8_t *p = rgb + 3 * x;
        out[x] = (uint8_t)((77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8);
    }
}

pp_status pp_rgb_to_gray(pp_image *dst, const pp_image *src)
{
    int y;

    if (dst == NULL || src == NULL || src->channels != 3 || dst->channels != 1)
        return PP_ERR_ARG;
    if (dst->width != src->width || dst->height != src->height)
        return PP_ERR_ARG;
    for (y = 0; y < src->height; ++y)
        rgb_row_to_gray(pp_row(dst, y), pp_row(src, y), (size_t)src->width);
    return PP_OK;
}

void pp_u8_to_f32(float *dst, const uint8_t *src, size_t n)
{
    const __m128 scale = _mm_set1_ps(1.0f / 255.0f);
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        int four;
        memcpy(&four, src + i, 4);
        __m128i v = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(four));
        _mm_storeu_ps(dst + i, _mm_mul_ps(_mm_cvtepi32_ps(v), scale));
    }
    for (; i < n; ++i)
        dst[i] = (float)src[i] * (1.0f / 255.0f);
}

/*
 * Float [0, 1] back to bytes. _mm_cvtps_epi32 rounds with the MXCSR rounding mode (nearest
 * even by default) and returns 0x80000000 for NaN; packus then clamps to [0, 255].
 */
void pp_f32_to_u8(uint8_t *dst, const float *src, size_t n)
{
    const __m128 scale = _mm_set1_ps(255.0f);
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        __m128i lo = _mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(src + i), scale));
        __m128i hi = _mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(src + i + 4), scale));
        __m128i w = _mm_packs_epi32(lo, hi);
        _mm_storel_epi64((__m128i *)(dst + i), _mm_packus_epi16(w, w));
    }
    for (; i < n; ++i) {
        int v = (int)(src[i] * 255.0f + 0.5f);
        dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
