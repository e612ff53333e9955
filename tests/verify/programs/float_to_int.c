/* Differs: an out-of-range float-to-int conversion saturates on AArch64 (FCVTZS) and gives
   INT_MIN on x86-64 (CVTTSS2SI). */
#include <stdio.h>

int main(void)
{
    volatile float big = 3.0e9f;
    volatile double small = -1.0e12;
    printf("(int)3e9f = %d\n", (int)big);
    printf("(int)-1e12 = %d\n", (int)small);
    return 0;
}
