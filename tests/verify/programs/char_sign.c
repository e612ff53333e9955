/* Differs: plain char is signed on x86-64 and unsigned on AArch64. */
#include <stdio.h>

int main(void)
{
    volatile int byte = 200;
    char c = (char)byte;
    printf("char from 200: %d\n", c);
    printf("negative: %s\n", c < 0 ? "yes" : "no");
    return 0;
}
