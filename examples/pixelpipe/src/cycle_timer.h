/*
 * Cycle-accurate timing for the per-kernel profiler (`pixelpipe bench --cycles`).
 */
#ifndef PP_CYCLE_TIMER_H
#define PP_CYCLE_TIMER_H

#include <stdint.h>
#include <x86intrin.h>

/* Cheap, not ordered with the surrounding instructions. */
static inline uint64_t pp_cycles(void)
{
    return __rdtsc();
}

/* Ordered start mark: LFENCE keeps earlier instructions from drifting past RDTSC. */
static inline uint64_t pp_cycles_begin(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Ordered end mark: RDTSCP waits for the measured code to finish. */
static inline uint64_t pp_cycles_end(void)
{
    uint32_t lo, hi, aux;
    __asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
    (void)aux;
    return ((uint64_t)hi << 32) | lo;
}

double pp_tsc_hz(void);

#endif /* PP_CYCLE_TIMER_H */
