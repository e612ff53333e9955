/* x86 register constraints ("a", "d") that do not exist on AArch64: impossible constraint. */
#include <stdint.h>

uint64_t read_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
