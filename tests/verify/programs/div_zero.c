/* Differs: integer division by zero traps on x86-64 (SIGFPE) and gives 0 on AArch64. */
#include <stdio.h>

int main(void)
{
    volatile int n = 42, d = 0;
    printf("dividing\n");
    fflush(stdout);
    printf("42 / 0 = %d\n", n / d);
    return 0;
}
