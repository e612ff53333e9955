/* Same on both: explicit signed/unsigned char, fixed-width integers, a sort, a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int32_t v[64];
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 7u;
    for (int i = 0; i < 64; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (int32_t)(seed >> 8) - (1 << 22);
    }
    qsort(v, 64, sizeof v[0], cmp);
    signed char sc = (signed char)-56;
    unsigned char uc = 200;
    uint64_t sum = 0;
    for (int i = 0; i < 64; i++)
        sum = sum * 31u + (uint32_t)v[i];
    printf("min %d max %d sum %llu sc %d uc %d\n", v[0], v[63], (unsigned long long)sum, sc, uc);
    return 3;
}
