/*
 * Library start-up, called once by every program that links pixelpipe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_internal.h"

static int initialised;

pp_status pp_init(void)
{
    const char *no_handler = getenv("PIXELPIPE_NO_CRASH_HANDLER");
    pp_status st;

    if (initialised)
        return PP_OK;
    st = pp_cpu_check();
    if (st != PP_OK)
        return st;
    if (pp_crc32c_selftest() != 0) {
        fprintf(stderr, "pixelpipe: CRC-32C self-test failed\n");
        return PP_ERR_CPU;
    }
    pp_fpenv_fast_math();
    if (no_handler == NULL || strcmp(no_handler, "1") != 0) {
        if (pp_install_crash_handler() != 0)
            fprintf(stderr, "pixelpipe: warning: could not install the crash handler\n");
    }
    initialised = 1;
    return PP_OK;
}
