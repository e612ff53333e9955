/* x86-only code that the AArch64 compiler rejects, one hazard per function. */
#include <immintrin.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

int add4(const int *a, const int *b, int *out)
{
    __m128i va = _mm_loadu_si128((const __m128i *)a);
    __m128i vb = _mm_loadu_si128((const __m128i *)b);
    _mm_storeu_si128((__m128i *)out, _mm_add_epi32(va, vb));
    return out[0];
}

void spin(volatile int *flag)
{
    while (!*flag)
        _mm_pause();
}

uint64_t cycles(void)
{
    return __rdtsc();
}

long open_raw(const char *path)
{
    return syscall(SYS_open, path, 0);
}

uintptr_t fault_pc(void *ctx)
{
    ucontext_t *uc = ctx;
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

int has_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}

__attribute__((target("avx2"))) int fast_path(int x)
{
    return x * 2;
}
