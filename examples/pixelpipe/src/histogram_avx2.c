/*
 * Histogram and threshold counting, AVX2 + POPCNT.
 *
 * The histogram keeps four sub-histograms so that runs of equal pixels (flat sky, scanned
 * paper) do not serialise on one counter; bytes are pulled out of 256-bit loads 64 bits
 * at a time.
 */
#include <immintrin.h>
#include <string.h>

#include "pixelpipe/pixelpipe.h"

void pp_histogram(uint32_t hist[256], const uint8_t *src, size_t n)
{
    uint32_t sub[4][256];
    size_t i = 0;
    int k, b;

    memset(sub, 0, sizeof sub);
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(src + i));
        uint64_t q[4];
        q[0] = (uint64_t)_mm256_extract_epi64(v, 0);
        q[1] = (uint64_t)_mm256_extract_epi64(v, 1);
        q[2] = (uint64_t)_mm256_extract_epi64(v, 2);
        q[3] = (uint64_t)_mm256_extract_epi64(v, 3);
        for (b = 0; b < 8; ++b) {
            for (k = 0; k < 4; ++k) {
                sub[k][q[k] & 0xff]++;
                q[k] >>= 8;
            }
        }
    }
    for (; i < n; ++i)
        sub[0][src[i]]++;
    for (b = 0; b < 256; ++b)
        hist[b] += sub[0][b] + sub[1][b] + sub[2][b] + sub[3][b];
}

/* Number of bytes strictly greater than threshold. */
size_t pp_count_above(const uint8_t *src, size_t n, uint8_t threshold)
{
    /* AVX2 has only signed byte compares: flip the sign bit of both sides */
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    const __m256i t = _mm256_xor_si256(_mm256_set1_epi8((char)threshold), bias);
    size_t count = 0;
    size_t i = 0;

    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(src + i)), bias);
        unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(v, t));
        count += (size_t)_mm_popcnt_u32(mask);
    }
    for (; i < n; ++i)
        count += src[i] > threshold;
    return count;
}
