/* Differs: NaN converts to 0 on AArch64 and to INT_MIN on x86-64. */
#include <math.h>
#include <stdio.h>

int main(void)
{
    volatile double x = NAN;
    printf("(int)NaN = %d\n", (int)x);
    printf("(long)NaN = %ld\n", (long)x);
    return 0;
}
