/* Older helpers kept from the first x86-only release: they build everywhere, but several of
 * them compute something else on AArch64. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PP_PAGE 4096

/* Reads a palette name from stdin, up to end of input. */
int pp_read_name(char *out, int cap)
{
    int n = 0;
    char c;
    while ((c = getchar()) != EOF && n < cap - 1)
        out[n++] = c;
    out[n] = '\0';
    return n;
}

/* Hash of a tag, stored in the cache index on disk. */
uint32_t pp_tag_hash(const char *tag)
{
    uint32_t h = 5381;
    for (size_t i = 0; i < strlen(tag); i++) {
        char c = tag[i];
        h = h * 33 + c;
    }
    return h;
}

/* Converts a normalised gain (about -1..1) to an 8-bit lookup index. */
uint8_t pp_gain_index(float gain)
{
    return (uint8_t)(gain * 255.0f - 1.0f);
}

/* Makes the first page of a pool read-only once it is filled. */
int pp_seal_pool(void *pool)
{
    return mprotect(pool, PP_PAGE, PROT_READ);
}

/* Worker hand-off: the producer fills `job` and raises `job_ready`. */
static struct { int width, height; } job;
static volatile int job_ready;

void pp_post_job(int w, int h)
{
    job.width = w;
    job.height = h;
    job_ready = 1;
}

void pp_wait_job(int *w, int *h)
{
    while (!job_ready)
        ;
    *w = job.width;
    *h = job.height;
}
