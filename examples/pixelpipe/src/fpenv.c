/*
 * Floating-point environment. The float kernels (sharpen, the f32 conversions) hit
 * denormals on nearly-black images, which cost ~100 cycles each on the x86 build servers:
 * flush them to zero for the whole process.
 */
#include <pmmintrin.h>
#include <xmmintrin.h>

#include "pixelpipe/pixelpipe.h"

void pp_fpenv_fast_math(void)
{
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
}

unsigned pp_fpenv_save(void)
{
    return _mm_getcsr();
}

void pp_fpenv_restore(unsigned saved)
{
    _mm_setcsr(saved);
}

/* Round-to-nearest-even everywhere; some plugins used to leave the mode set to truncate. */
void pp_fpenv_reset_rounding(void)
{
    _MM_SET_ROUNDING_MODE(_MM_ROUND_NEAREST);
}
