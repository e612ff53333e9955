/* Differs: at -O2 GCC fuses a * b - c into one FMSUB on AArch64 (the product is not rounded),
   while the default x86-64 target has no FMA. Written as one expression. */
#include <stdio.h>

int main(void)
{
    volatile double a = 1.0 + 0x1p-27, b = 1.0 - 0x1p-27, c = 1.0;
    double r = a * b - c;
    printf("a*b-c = %a\n", r);
    return 0;
}
