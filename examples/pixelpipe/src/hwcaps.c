/*
 * Optional-instruction checks for the ARM build. AArch64 Linux reports CPU features
 * through the auxiliary vector; other targets answer "no" and use their own paths.
 */
#include "pixelpipe/pixelpipe.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>

int pp_arm_crc32_available(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}

int pp_arm_sve_available(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_SVE) != 0;
}
#else
int pp_arm_crc32_available(void)
{
    return 0;
}

int pp_arm_sve_available(void)
{
    return 0;
}
#endif
