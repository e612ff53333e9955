/*
 * What the processor we run on can do. pp_init() refuses to start without AVX2 rather than
 * die later with SIGILL in the middle of a batch.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <stdio.h>
#include <string.h>

#include "pixelpipe/config.h"
#include "pixelpipe/pixelpipe.h"

#define XCR0_SSE_STATE (1u << 1)
#define XCR0_AVX_STATE (1u << 2)

/* XGETBV is only legal once CPUID reported OSXSAVE, so it lives in its own function. */
__attribute__((target("xsave"))) static unsigned long long read_xcr0(void)
{
    return _xgetbv(0);
}

static void read_brand(char brand[49])
{
    unsigned int regs[12];
    unsigned int max_ext = __get_cpuid_max(0x80000000u, NULL);

    memset(brand, 0, 49);
    if (max_ext < 0x80000004u)
        return;
    __cpuid(0x80000002u, regs[0], regs[1], regs[2], regs[3]);
    __cpuid(0x80000003u, regs[4], regs[5], regs[6], regs[7]);
    __cpuid(0x80000004u, regs[8], regs[9], regs[10], regs[11]);
    memcpy(brand, regs, 48);
}

void pp_cpu_detect(pp_cpu_info *info)
{
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    unsigned int max_leaf;

    memset(info, 0, sizeof *info);
    max_leaf = __get_cpuid_max(0, NULL);
    if (max_leaf == 0)
        return;

    __cpuid(0, eax, ebx, ecx, edx);
    memcpy(info->vendor + 0, &ebx, 4);
    memcpy(info->vendor + 4, &edx, 4);
    memcpy(info->vendor + 8, &ecx, 4);
    info->vendor[12] = '\0';
    read_brand(info->brand);

    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        info->has_sse42 = (ecx & bit_SSE4_2) != 0;
        info->has_avx = (ecx & bit_AVX) != 0;
        info->has_fma = (ecx & bit_FMA) != 0;
        if (ecx & bit_OSXSAVE) {
            unsigned long long xcr0 = read_xcr0();
            info->os_saves_ymm = (xcr0 & (XCR0_SSE_STATE | XCR0_AVX_STATE)) == (XCR0_SSE_STATE | XCR0_AVX_STATE);
        }
    }
    if (max_leaf >= 7 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        info->has_avx2 = (ebx & bit_AVX2) != 0 && info->os_saves_ymm;
        info->has_bmi2 = (ebx & bit_BMI2) != 0;
    }
}

/* The kernels are compiled with -mavx2 -mfma: check before the first one runs. */
pp_status pp_cpu_check(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "pixelpipe: this " PP_ARCH_NAME " build needs an AVX2 and FMA capable processor (Haswell or later)\n");
        return PP_ERR_CPU;
    }
    if (!__builtin_cpu_supports("sse4.2"))
        return PP_ERR_CPU;
    return PP_OK;
}
