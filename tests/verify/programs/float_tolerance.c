/* Differs in the last bits only: a * b + c fused on AArch64 at -O2; the relative difference is
   about 5e-10, so `--float-tolerance 1e-6` calls the outputs equal. */
#include <stdio.h>

int main(void)
{
    volatile double a = 1.0 + 0x1p-30, b = 1.0 + 0x1p-30, c = -1.0;
    printf("a*b+c = %.17g\n", a * b + c);
    printf("label without numbers\n");
    return 0;
}
