/*
 * pixelpipe - a small image-processing library.
 *
 * Public API. Images are 8-bit, 1 (gray) or 3 (RGB) interleaved channels, rows padded to
 * a 32-byte stride so the vector kernels can use full-width loads.
 */
#ifndef PIXELPIPE_H
#define PIXELPIPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PP_VERSION_MAJOR 1
#define PP_VERSION_MINOR 4
#define PP_VERSION_PATCH 2

#define PP_MAX_DIM 32768 /* the largest image accepted, in pixels per side */
#define PP_ROW_ALIGN 32  /* row stride and buffer alignment, in bytes */
#define PP_ALIGN_UP(n, a) (((n) + (size_t)(a) - 1) & ~((size_t)(a) - 1))

typedef enum pp_status {
    PP_OK = 0,
    PP_ERR_ARG = -1,
    PP_ERR_NOMEM = -2,
    PP_ERR_IO = -3,
    PP_ERR_FORMAT = -4,
    PP_ERR_CPU = -5
} pp_status;

typedef struct pp_image {
    int width;
    int height;
    int channels;  /* 1 or 3 */
    size_t stride; /* bytes from one row to the next, a multiple of 32 */
    uint8_t *data;
} pp_image;

typedef struct pp_cpu_info {
    char vendor[13];
    char brand[49];
    int has_sse42;
    int has_avx;
    int has_avx2;
    int has_fma;
    int has_bmi2;
    int os_saves_ymm;
} pp_cpu_info;

typedef struct pp_stats {
    double mean;
    double variance;
    uint8_t min;
    uint8_t max;
} pp_stats;

/* library set-up: floating-point mode, crash handler, CPU check */
pp_status pp_init(void);
const char *pp_status_string(pp_status status);
const char *pp_version_string(void);

/* images (image.c) */
pp_status pp_image_create(pp_image *img, int width, int height, int channels);
pp_status pp_image_clone(pp_image *dst, const pp_image *src);
void pp_image_destroy(pp_image *img);
static inline uint8_t *pp_row(const pp_image *img, int y)
{
    return img->data + (size_t)y * img->stride;
}

/* PGM / PPM files (pnm_io.c) */
pp_status pp_load_pnm(const char *path, pp_image *img);
pp_status pp_save_pnm(const char *path, const pp_image *img);

/* kernels */
pp_status pp_box_blur3(pp_image *dst, const pp_image *src);
pp_status pp_rgb_to_gray(pp_image *dst, const pp_image *src);
void pp_u8_to_f32(float *dst, const uint8_t *src, size_t n);
void pp_f32_to_u8(uint8_t *dst, const float *src, size_t n);
void pp_histogram(uint32_t hist[256], const uint8_t *src, size_t n);
size_t pp_count_above(const uint8_t *src, size_t n, uint8_t threshold);
pp_status pp_adjust_brightness(pp_image *img, int delta);
pp_status pp_sharpen(pp_image *dst, const pp_image *src, float amount);
pp_status pp_image_stats(const pp_image *img, pp_stats *out);

/* assembly helpers (asm/) */
void *pp_copy_rows(void *dst, const void *src, size_t n);
void pp_fill_u8(uint8_t *dst, uint8_t value, size_t n);

/* integrity */
uint32_t pp_crc32c(uint32_t crc, const void *buf, size_t len);

/* runtime */
void pp_cpu_detect(pp_cpu_info *info);
int pp_arm_crc32_available(void);
int pp_install_crash_handler(void);
void pp_fpenv_fast_math(void);
unsigned pp_fpenv_save(void);
void pp_fpenv_restore(unsigned saved);
int pp_raw_open(const char *path, int flags);
long pp_raw_read(int fd, void *buf, size_t len);

/* frame pool (frame_pool.c) */
typedef struct pp_frame {
    struct pp_frame *next;
    pp_image image;
} pp_frame;
typedef struct pp_frame_pool pp_frame_pool;
pp_frame_pool *pp_frame_pool_create(int width, int height, int channels, int count);
pp_frame *pp_frame_acquire(pp_frame_pool *pool);
void pp_frame_release(pp_frame_pool *pool, pp_frame *frame);
void pp_frame_pool_destroy(pp_frame_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* PIXELPIPE_H */
