/* Differs by construction: prints the architecture it was compiled for (checks that the
   AArch64 build really is an AArch64 build). */
#include <stdio.h>

int main(int argc, char **argv)
{
#if defined(__aarch64__)
    printf("aarch64");
#elif defined(__x86_64__)
    printf("x86_64");
#else
    printf("other");
#endif
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    return 0;
}
