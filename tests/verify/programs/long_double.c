/* Differs: long double is the 80-bit x87 format on x86-64 (64-bit significand) and IEEE
   binary128 on AArch64 Linux (113-bit significand). */
#include <float.h>
#include <stdio.h>

int main(void)
{
    volatile long double three = 3.0L;
    printf("LDBL_MANT_DIG = %d\n", LDBL_MANT_DIG);
    printf("1/3 = %.30Lg\n", 1.0L / three);
    return 0;
}
