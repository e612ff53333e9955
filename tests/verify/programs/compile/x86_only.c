/* A unit that stops itself on anything but x86-64: findings after the #error are suppressed. */
#if !defined(__x86_64__)
#error "this file is x86-64 only"
#endif
#include <immintrin.h>

int lanes(void)
{
    __m256i v = _mm256_set1_epi32(1);
    return _mm256_extract_epi32(v, 0);
}
