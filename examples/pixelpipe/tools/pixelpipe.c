/*
 * pixelpipe - command-line front end of the library.
 *
 *   pixelpipe info
 *   pixelpipe blur IN OUT          3x3 box blur
 *   pixelpipe gray IN OUT          RGB to gray
 *   pixelpipe bright IN OUT DELTA  add DELTA (-255..255) to every sample
 *   pixelpipe sharpen IN OUT AMT   unsharp mask
 *   pixelpipe stats IN             mean, variance, range
 *   pixelpipe hist IN              16-bucket histogram
 *   pixelpipe crc FILE             CRC-32C of a file
 *   pixelpipe bench IN [ITERS]     time the kernels
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "pp_internal.h"

static const char usage_text[] =
    "usage: pixelpipe COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  info                 library version and processor features\n"
    "  blur IN OUT          3x3 box blur\n"
    "  gray IN OUT          convert an RGB image (PPM) to gray (PGM)\n"
    "  bright IN OUT DELTA  add DELTA (-255..255) to every sample\n"
    "  sharpen IN OUT AMT   unsharp mask of strength AMT (e.g. 0.8)\n"
    "  stats IN             mean, variance and range of the samples\n"
    "  hist IN              16-bucket histogram\n"
    "  crc FILE             CRC-32C of a file\n"
    "  bench IN [ITERS]     time each kernel (the float kernels are the _mm_add_ps/_mm_mul_ps ones)\n"
    "\n"
    "IN and OUT are binary PGM (P5) or PPM (P6) files with 8-bit samples.\n";

static int fail(const char *what, pp_status st)
{
    fprintf(stderr, "pixelpipe: %s: %s\n", what, pp_status_string(st));
    return 1;
}

static int cmd_info(void)
{
    pp_cpu_info cpu;

    pp_cpu_detect(&cpu);
    printf("pixelpipe %s\n", pp_version_string());
    printf("cpu vendor:  %s\n", cpu.vendor[0] ? cpu.vendor : "(unknown)");
    printf("cpu brand:   %s\n", cpu.brand[0] ? cpu.brand : "(unknown)");
    printf("sse4.2 %s, avx %s, avx2 %s, fma %s, bmi2 %s\n", cpu.has_sse42 ? "yes" : "no",
           cpu.has_avx ? "yes" : "no", cpu.has_avx2 ? "yes" : "no", cpu.has_fma ? "yes" : "no",
           cpu.has_bmi2 ? "yes" : "no");
    printf("arm crc32:   %s\n", pp_arm_crc32_available() ? "yes" : "no");
    return 0;
}

/* Loads IN, applies fn into a fresh image of out_channels channels, writes OUT. */
static int filter(const char *in, const char *out, int out_channels,
                  pp_status (*fn)(pp_image *, const pp_image *))
{
    pp_image src, dst;
    pp_status st;

    st = pp_load_pnm(in, &src);
    if (st != PP_OK)
        return fail(in, st);
    st = pp_image_create(&dst, src.width, src.height, out_channels ? out_channels : src.channels);
    if (st == PP_OK)
        st = fn(&dst, &src);
    if (st == PP_OK)
        st = pp_save_pnm(out, &dst);
    pp_image_destroy(&src);
    pp_image_destroy(&dst);
    return st == PP_OK ? 0 : fail(out, st);
}

static int cmd_bright(const char *in, const char *out, const char *delta_text)
{
    pp_image img;
    pp_status st;
    char *end;
    long delta = strtol(delta_text, &end, 10);

    if (*end != '\0' || delta < -255 || delta > 255)
        return fail(delta_text, PP_ERR_ARG);
    st = pp_load_pnm(in, &img);
    if (st != PP_OK)
        return fail(in, st);
    st = pp_adjust_brightness(&img, (int)delta);
    if (st == PP_OK)
        st = pp_save_pnm(out, &img);
    pp_image_destroy(&img);
    return st == PP_OK ? 0 : fail(out, st);
}

static int cmd_sharpen(const char *in, const char *out, const char *amount_text)
{
    pp_image src, dst;
    pp_status st;
    char *end;
    float amount = strtof(amount_text, &end);

    if (*end != '\0')
        return fail(amount_text, PP_ERR_ARG);
    st = pp_load_pnm(in, &src);
    if (st != PP_OK)
        return fail(in, st);
    st = pp_image_create(&dst, src.width, src.height, src.channels);
    if (st == PP_OK)
        st = pp_sharpen(&dst, &src, amount);
    if (st == PP_OK)
        st = pp_save_pnm(out, &dst);
    pp_image_destroy(&src);
    pp_image_destroy(&dst);
    return st == PP_OK ? 0 : fail(out, st);
}

static int cmd_stats(const char *in)
{
    pp_image img;
    pp_stats stats;
    pp_status st = pp_load_pnm(in, &img);

    if (st != PP_OK)
        return fail(in, st);
    st = pp_image_stats(&img, &stats);
    pp_image_destroy(&img);
    if (st != PP_OK)
        return fail(in, st);
    printf("mean %.4f  variance %.4f  min %u  max %u\n", stats.mean, stats.variance,
           (unsigned)stats.min, (unsigned)stats.max);
    return 0;
}

static int cmd_hist(const char *in)
{
    uint32_t hist[256] = {0};
    pp_image img;
    pp_status st = pp_load_pnm(in, &img);
    int y, b;

    if (st != PP_OK)
        return fail(in, st);
    for (y = 0; y < img.height; ++y)
        pp_histogram(hist, pp_row(&img, y), (size_t)img.width * (size_t)img.channels);
    for (b = 0; b < 256; b += 16) {
        uint32_t sum = 0;
        int k;
        for (k = 0; k < 16; ++k)
            sum += hist[b + k];
        printf("%3d-%3d %10u\n", b, b + 15, (unsigned)sum);
    }
    pp_image_destroy(&img);
    return 0;
}

static int cmd_crc(const char *path)
{
    static uint8_t buf[1 << 16];
    uint32_t crc = 0;
    long got;
    int fd = pp_raw_open(path, O_RDONLY);

    if (fd < 0) {
        fprintf(stderr, "pixelpipe: %s: %s\n", path, strerror(errno));
        return 1;
    }
    pp_raw_sequential(fd);
    while ((got = pp_raw_read(fd, buf, sizeof buf)) > 0)
        crc = pp_crc32c(crc, buf, (size_t)got);
    close(fd);
    if (got < 0) {
        fprintf(stderr, "pixelpipe: %s: %s\n", path, strerror(errno));
        return 1;
    }
    printf("%08x  %s\n", (unsigned)crc, path);
    return 0;
}

/* --- bench --------------------------------------------------------------------------- */

typedef struct bright_bands {
    pp_image *img;
    int delta;
} bright_bands;

static void bright_band(void *p, int y0, int y1)
{
    bright_bands *job = p;
    pp_image view = *job->img;

    view.data = pp_row(job->img, y0);
    view.height = y1 - y0;
    pp_adjust_brightness(&view, job->delta);
}

static void report(const char *name, uint64_t ns, long iters, size_t bytes)
{
    double ms = (double)ns / 1e6 / (double)iters;
    double mb_per_s = (double)bytes * (double)iters / ((double)ns / 1e9) / 1e6;

    printf("%-12s %9.3f ms/iter %9.1f MB/s\n", name, ms, mb_per_s);
}

static int cmd_bench(const char *in, const char *iters_text)
{
    pp_image src, tmp;
    uint32_t hist[256] = {0};
    bright_bands job;
    long iters = 20, i;
    uint64_t t0;
    size_t bytes;
    pp_status st;

    if (iters_text != NULL) {
        char *end;
        iters = strtol(iters_text, &end, 10);
        if (*end != '\0' || iters <= 0)
            return fail(iters_text, PP_ERR_ARG);
    }
    st = pp_load_pnm(in, &src);
    if (st != PP_OK)
        return fail(in, st);
    st = pp_image_clone(&tmp, &src);
    if (st != PP_OK) {
        pp_image_destroy(&src);
        return fail("clone", st);
    }
    bytes = (size_t)src.width * (size_t)src.height * (size_t)src.channels;

    t0 = pp_now_ns();
    for (i = 0; i < iters; ++i) {
        pp_box_blur3(&tmp, &src);
        pp_clobber_memory();
    }
    report("blur", pp_now_ns() - t0, iters, bytes);

    t0 = pp_now_ns();
    for (i = 0; i < iters; ++i) {
        pp_histogram(hist, src.data, src.stride * (size_t)src.height);
        pp_keep(hist);
    }
    report("histogram", pp_now_ns() - t0, iters, bytes);

    job.img = &tmp;
    job.delta = 1;
    t0 = pp_now_ns();
    for (i = 0; i < iters; ++i) {
        pp_run_bands(tmp.height, 64, 4, bright_band, &job);
        pp_clobber_memory();
    }
    report("bright x4", pp_now_ns() - t0, iters, bytes);

    t0 = pp_now_ns();
    for (i = 0; i < iters; ++i)
        pp_keep(&(uint32_t){pp_crc32c(0, src.data, src.stride * (size_t)src.height)});
    report("crc32c", pp_now_ns() - t0, iters, bytes);

    pp_image_destroy(&tmp);
    pp_image_destroy(&src);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    pp_status st;

    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    st = pp_init();
    if (st != PP_OK)
        return fail("init", st);

    if (strcmp(cmd, "info") == 0 && argc == 2)
        return cmd_info();
    if (strcmp(cmd, "blur") == 0 && argc == 4)
        return filter(argv[2], argv[3], 0, pp_box_blur3);
    if (strcmp(cmd, "gray") == 0 && argc == 4)
        return filter(argv[2], argv[3], 1, pp_rgb_to_gray);
    if (strcmp(cmd, "bright") == 0 && argc == 5)
        return cmd_bright(argv[2], argv[3], argv[4]);
    if (strcmp(cmd, "sharpen") == 0 && argc == 5)
        return cmd_sharpen(argv[2], argv[3], argv[4]);
    if (strcmp(cmd, "stats") == 0 && argc == 3)
        return cmd_stats(argv[2]);
    if (strcmp(cmd, "hist") == 0 && argc == 3)
        return cmd_hist(argv[2]);
    if (strcmp(cmd, "crc") == 0 && argc == 3)
        return cmd_crc(argv[2]);
    if (strcmp(cmd, "bench") == 0 && (argc == 3 || argc == 4))
        return cmd_bench(argv[2], argc == 4 ? argv[3] : NULL);

    fputs(usage_text, stderr);
    return 2;
}
