/*
 * Declarations shared inside the library and with the command-line tool, not part of the
 * installed API.
 */
#ifndef PP_INTERNAL_H
#define PP_INTERNAL_H

#include "pixelpipe/pixelpipe.h"

pp_status pp_cpu_check(void);
int pp_crc32c_selftest(void);
void pp_fpenv_reset_rounding(void);
int pp_raw_sequential(int fd);
int pp_arm_sve_available(void);

/* tiles.c: run fn over horizontal bands of `height` rows on `threads` threads */
typedef void (*pp_band_fn)(void *arg, int y0, int y1);
int pp_run_bands(int height, int band_rows, int threads, pp_band_fn fn, void *arg);

#endif /* PP_INTERNAL_H */
