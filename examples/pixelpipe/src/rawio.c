/*
 * Direct system calls for the input reader. The batch runner is statically linked against
 * an old libc whose open() wrapper adds a stat() per call; going straight to the kernel
 * saved 4% on directories of small thumbnails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pixelpipe/pixelpipe.h"

#ifndef SYS_open
#define SYS_open 2 /* x86-64 system call number, for old headers */
#endif

int pp_raw_open(const char *path, int flags)
{
    long fd;

    do {
        fd = syscall(SYS_open, path, flags | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    return (int)fd;
}

long pp_raw_read(int fd, void *buf, size_t len)
{
    long got;

    do {
        got = syscall(SYS_read, fd, buf, len);
    } while (got < 0 && errno == EINTR);
    return got;
}

/* Tell the kernel we will stream the file front to back (fadvise, number 221 on x86-64). */
int pp_raw_sequential(int fd)
{
    return (int)syscall(221, fd, 0L, 0L, 2 /* POSIX_FADV_SEQUENTIAL */);
}
