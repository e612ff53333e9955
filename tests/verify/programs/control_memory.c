/* Same on both when run with a small --memory limit: the 512 MiB allocation fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    size_t n = (size_t)512 << 20;
    char *p = malloc(n);
    if (p == NULL) {
        printf("allocation of 512 MiB failed\n");
        return 0;
    }
    memset(p, 1, n);
    printf("allocation of 512 MiB succeeded\n");
    free(p);
    return 0;
}
