/*
 * A lock-free pool of preallocated frames shared by the decoder and worker threads.
 *
 * The free list is a Treiber stack. Its head is a pointer plus a generation counter,
 * swapped together with one 16-byte compare-and-swap (LOCK CMPXCHG16B through libatomic), so
 * a frame that is popped and pushed back between a thread's read and its CAS cannot fool it.
 */
#include <stdlib.h>
#include <string.h>

#include "pixelpipe/pixelpipe.h"
#include "spinlock.h"

typedef union pool_head {
    struct {
        pp_frame *top;
        uint64_t generation;
    } s;
    unsigned __int128 raw;
} __attribute__((aligned(16))) pool_head;

struct pp_frame_pool {
    pool_head head;
    pp_frame *frames;
    int count;
    pp_spinlock stats_lock;
    long acquired;
    long exhausted;
};

/* On failure, *expected is refreshed with the current head. */
static int head_cas(pool_head *h, pool_head *expected, pool_head desired)
{
    return __atomic_compare_exchange_n(&h->raw, &expected->raw, desired.raw, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

pp_frame_pool *pp_frame_pool_create(int width, int height, int channels, int count)
{
    pp_frame_pool *pool;
    int i;

    if (count <= 0)
        return NULL;
    pool = aligned_alloc(16, sizeof *pool);
    if (pool == NULL)
        return NULL;
    memset(pool, 0, sizeof *pool);
    pool->frames = calloc((size_t)count, sizeof *pool->frames);
    if (pool->frames == NULL) {
        free(pool);
        return NULL;
    }
    pool->count = count;
    for (i = 0; i < count; ++i) {
        if (pp_image_create(&pool->frames[i].image, width, height, channels) != PP_OK) {
            pp_frame_pool_destroy(pool);
            return NULL;
        }
        pool->frames[i].next = pool->head.s.top;
        pool->head.s.top = &pool->frames[i];
    }
    return pool;
}

pp_frame *pp_frame_acquire(pp_frame_pool *pool)
{
    pool_head old = pool->head, next;

    do {
        if (old.s.top == NULL) {
            pp_spin_lock(&pool->stats_lock);
            pool->exhausted++;
            pp_spin_unlock(&pool->stats_lock);
            return NULL;
        }
        next.s.top = old.s.top->next;
        next.s.generation = old.s.generation + 1;
    } while (!head_cas(&pool->head, &old, next));

    pp_spin_lock(&pool->stats_lock);
    pool->acquired++;
    pp_spin_unlock(&pool->stats_lock);
    return old.s.top;
}

void pp_frame_release(pp_frame_pool *pool, pp_frame *frame)
{
    pool_head old = pool->head, next;

    do {
        frame->next = old.s.top;
        next.s.top = frame;
        next.s.generation = old.s.generation + 1;
    } while (!head_cas(&pool->head, &old, next));
}

void pp_frame_pool_destroy(pp_frame_pool *pool)
{
    int i;

    if (pool == NULL)
        return;
    for (i = 0; i < pool->count; ++i)
        pp_image_destroy(&pool->frames[i].image);
    free(pool->frames);
    free(pool);
}
