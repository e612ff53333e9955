/*
 * A test-and-test-and-set spinlock for the frame pool's slow path. Critical sections are a
 * handful of instructions, so spinning beats a futex round trip.
 */
#ifndef PP_SPINLOCK_H
#define PP_SPINLOCK_H

#include <immintrin.h>

typedef struct pp_spinlock {
    volatile int locked;
} pp_spinlock;

#define PP_SPINLOCK_INIT {0}

static inline int pp_xchg(volatile int *p, int value)
{
    __asm__ __volatile__("lock; xchgl %0, %1" : "+r"(value), "+m"(*p) : : "memory");
    return value;
}

static inline void pp_spin_lock(pp_spinlock *l)
{
    while (pp_xchg(&l->locked, 1) != 0) {
        while (l->locked)
            _mm_pause();
    }
}

static inline int pp_spin_trylock(pp_spinlock *l)
{
    return pp_xchg(&l->locked, 1) == 0;
}

/* x86 stores are not reordered with earlier loads or stores: a plain store releases. */
static inline void pp_spin_unlock(pp_spinlock *l)
{
    __asm__ __volatile__("" : : : "memory");
    l->locked = 0;
}

#endif /* PP_SPINLOCK_H */
