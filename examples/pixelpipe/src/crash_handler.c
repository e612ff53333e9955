/*
 * Crash reporting for the batch workers: on SIGSEGV, SIGBUS, SIGILL or SIGFPE, write the
 * faulting instruction address and stack pointer to stderr, then die with the same signal
 * so the supervisor still sees the crash. Only async-signal-safe calls are used.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "pixelpipe/pixelpipe.h"

static char alt_stack[64 * 1024];

#define PUT_LITERAL(s) put((s), sizeof(s) - 1)

static size_t format_hex(char *out, uintptr_t value)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    out[0] = '0';
    out[1] = 'x';
    for (i = 0; i < 16; ++i)
        out[2 + i] = digits[(value >> (60 - 4 * i)) & 0xf];
    return 18;
}

static void put(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context)
{
    const ucontext_t *uc = context;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    char buf[32];
    const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "SIGFPE";

    PUT_LITERAL("pixelpipe: fatal ");
    put(name, strlen(name));
    PUT_LITERAL(" at pc=");
    put(buf, format_hex(buf, pc));
    PUT_LITERAL(" sp=");
    put(buf, format_hex(buf, sp));
    PUT_LITERAL(" addr=");
    put(buf, format_hex(buf, (uintptr_t)info->si_addr));
    PUT_LITERAL("\n");
    if (sig == SIGILL)
        PUT_LITERAL("pixelpipe: (an illegal instruction usually means a CPU without AVX2)\n");

    /* SA_RESETHAND restored the default action: re-raise to terminate with this signal */
    raise(sig);
}

int pp_install_crash_handler(void)
{
    static const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    struct sigaction sa;
    stack_t ss;
    size_t i;

    ss.ss_sp = alt_stack;
    ss.ss_size = sizeof alt_stack;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, NULL) != 0)
        return -1;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof signals / sizeof signals[0]; ++i) {
        if (sigaction(signals[i], &sa, NULL) != 0)
            return -1;
    }
    return 0;
}
