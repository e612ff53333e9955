/* Differs: the classic `char c = getchar()` loop never sees EOF where char is unsigned, so the
   AArch64 run loops until the timeout while the x86-64 run ends. */
#include <stdio.h>

int main(void)
{
    char c;
    long n = 0;
    while ((c = (char)getchar()) != EOF)
        n++;
    printf("%ld bytes\n", n);
    return 0;
}
