/*
 * Band-parallel execution: the image is cut into bands of rows and worker threads take
 * the next band from a shared counter until none is left. The calling thread works too.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cpu_relax.h"
#include "pp_internal.h"

#define PP_MAX_THREADS 64

typedef struct band_job {
    pp_band_fn fn;
    void *arg;
    int height;
    int band_rows;
    atomic_int next_band;
    atomic_int started; /* set once every worker exists, so timings start together */
} band_job;

static void run_bands(band_job *job)
{
    for (;;) {
        int band = atomic_fetch_add_explicit(&job->next_band, 1, memory_order_relaxed);
        int y0 = band * job->band_rows;
        int y1;

        if (y0 >= job->height)
            return;
        y1 = y0 + job->band_rows < job->height ? y0 + job->band_rows : job->height;
        job->fn(job->arg, y0, y1);
    }
}

static void *worker_main(void *p)
{
    band_job *job = p;

    while (!atomic_load_explicit(&job->started, memory_order_acquire))
        pp_cpu_relax();
    run_bands(job);
    return NULL;
}

int pp_run_bands(int height, int band_rows, int threads, pp_band_fn fn, void *arg)
{
    pthread_t tids[PP_MAX_THREADS];
    band_job job;
    int created = 0;
    int i;

    if (fn == NULL || height < 0 || band_rows <= 0)
        return -1;
    if (threads < 1)
        threads = 1;
    if (threads > PP_MAX_THREADS)
        threads = PP_MAX_THREADS;

    job.fn = fn;
    job.arg = arg;
    job.height = height;
    job.band_rows = band_rows;
    atomic_init(&job.next_band, 0);
    atomic_init(&job.started, 0);

    for (i = 1; i < threads; ++i) {
        if (pthread_create(&tids[created], NULL, worker_main, &job) != 0)
            break; /* fewer threads is fine: the bands still all get done */
        ++created;
    }
    atomic_store_explicit(&job.started, 1, memory_order_release);
    run_bands(&job);
    for (i = 0; i < created; ++i)
        pthread_join(tids[i], NULL);
    return 0;
}
