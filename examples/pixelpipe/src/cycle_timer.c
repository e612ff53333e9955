/*
 * TSC calibration: counts cycles across a 20 ms sleep once and caches the result, so the
 * profiler can print nanoseconds next to cycles.
 */
#include <time.h>

#include "cycle_timer.h"

static double cached_hz;

double pp_tsc_hz(void)
{
    struct timespec t0, t1, nap = {0, 20 * 1000 * 1000};
    uint64_t c0, c1;
    double ns;

    if (cached_hz > 0.0)
        return cached_hz;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t0);
    c0 = pp_cycles_begin();
    nanosleep(&nap, NULL);
    c1 = pp_cycles_end();
    clock_gettime(CLOCK_MONOTONIC_RAW, &t1);
    ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    cached_hz = (double)(c1 - c0) * 1e9 / ns;
    return cached_hz;
}

/* Cycles per byte of a kernel run, for the profiler table. */
double pp_cycles_per_byte(uint64_t start, uint64_t end, size_t bytes)
{
    return bytes ? (double)(end - start) / (double)bytes : 0.0;
}
