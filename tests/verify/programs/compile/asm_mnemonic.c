/* x86 inline assembly that the AArch64 compiler accepts and the AArch64 assembler rejects. */
#include <stdint.h>

uint32_t byteswap(uint32_t x)
{
    __asm__("bswap %0" : "+r"(x));
    return x;
}

void relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

void barrier(void)
{
    __asm__ volatile("" ::: "memory"); /* portable: no instruction */
}
