/* Same on both: counts lines and bytes of standard input with an int holding getchar(). */
#include <stdio.h>

int main(void)
{
    int c;
    long bytes = 0, lines = 0;
    while ((c = getchar()) != EOF) {
        bytes++;
        if (c == '\n')
            lines++;
    }
    printf("%ld lines, %ld bytes\n", lines, bytes);
    return 0;
}
