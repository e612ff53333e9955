/*
 * Helpers for `pixelpipe bench`: a monotonic wall clock and an optimisation fence that
 * keeps the compiler from deleting or hoisting the work being timed.
 */
#ifndef PP_BENCH_UTIL_H
#define PP_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static inline uint64_t pp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tells the compiler that memory may have been read or written here; emits no instruction. */
static inline void pp_clobber_memory(void)
{
    asm volatile("" ::: "memory");
}

/* Makes the compiler believe the object at p is used. */
static inline void pp_keep(const void *p)
{
    asm volatile("" : : "r"(p) : "memory");
}

#endif /* PP_BENCH_UTIL_H */
