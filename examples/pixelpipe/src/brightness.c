/*
 * Brightness adjustment: add a signed delta to every sample, saturating at 0 and 255.
 *
 * This kernel was the first one ported to the ARM build: one SSE2 path, one NEON path and
 * a scalar path for everything else, chosen at compile time.
 */
#include <stdlib.h>

#include "pixelpipe/pixelpipe.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

static void brighten_row(uint8_t *p, size_t n, uint8_t add, uint8_t sub)
{
    size_t i = 0;

#if defined(__SSE2__)
    const __m128i vadd = _mm_set1_epi8((char)add);
    const __m128i vsub = _mm_set1_epi8((char)sub);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        v = _mm_subs_epu8(_mm_adds_epu8(v, vadd), vsub);
        _mm_storeu_si128((__m128i *)(p + i), v);
    }
#elif defined(__ARM_NEON)
    const uint8x16_t vadd = vdupq_n_u8(add);
    const uint8x16_t vsub = vdupq_n_u8(sub);
    for (; i + 16 <= n; i += 16) {
        uint8x16_t v = vld1q_u8(p + i);
        v = vqsubq_u8(vqaddq_u8(v, vadd), vsub);
        vst1q_u8(p + i, v);
    }
#else
    /* generic builds: the scalar loop below does all the work */
#endif
    for (; i < n; ++i) {
        int v = (int)p[i] + add - sub;
        p[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

pp_status pp_adjust_brightness(pp_image *img, int delta)
{
    uint8_t add, sub;
    int y;

    if (img == NULL || img->data == NULL || delta < -255 || delta > 255)
        return PP_ERR_ARG;
    add = (uint8_t)(delta > 0 ? delta : 0);
    sub = (uint8_t)(delta < 0 ? -delta : 0);
    for (y = 0; y < img->height; ++y)
        brighten_row(pp_row(img, y), (size_t)img->width * (size_t)img->channels, add, sub);
    return PP_OK;
}
