/*
 * A polite busy-wait hint for the tile scheduler's short waits: PAUSE on x86, YIELD on
 * AArch64, nothing elsewhere.
 */
#ifndef PP_CPU_RELAX_H
#define PP_CPU_RELAX_H

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#define PP_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__) || defined(_M_ARM64)
#define PP_CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define PP_CPU_RELAX() ((void)0)
#endif

static inline void pp_cpu_relax(void)
{
    PP_CPU_RELAX();
}

#endif /* PP_CPU_RELAX_H */
