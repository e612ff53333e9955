/* Portable: x86 code only under x86 guards, with an AArch64 branch. Nothing to report. */
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

int32_t sum4(const int32_t *a)
{
#if defined(__x86_64__)
    __m128i v = _mm_loadu_si128((const __m128i *)a);
    v = _mm_add_epi32(v, _mm_srli_si128(v, 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return _mm_cvtsi128_si32(v);
#elif defined(__aarch64__)
    return vaddvq_s32(vld1q_s32(a));
#else
    return a[0] + a[1] + a[2] + a[3];
#endif
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

void wait_for(volatile int *flag)
{
    while (!*flag)
        cpu_relax();
}

int signed_bytes(signed char c)
{
    return c < 0;
}
