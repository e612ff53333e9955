/* Differs only with 64 KiB pages: a pool that assumes 4096-byte pages checks its guard-page
   offset against the system page size before calling mprotect() on it. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL_PAGE 4096

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t len = 16 * POOL_PAGE;
    char *pool = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED) {
        printf("mmap failed\n");
        return 2;
    }
    char *guard = pool + POOL_PAGE;
    if ((uintptr_t)guard % (uintptr_t)page != 0) {
        printf("guard page at +%d is not aligned to the %ld-byte system page\n", POOL_PAGE, page);
        return 1;
    }
    if (mprotect(guard, POOL_PAGE, PROT_NONE) != 0) {
        printf("mprotect failed\n");
        return 1;
    }
    printf("guard page installed\n");
    return 0;
}
