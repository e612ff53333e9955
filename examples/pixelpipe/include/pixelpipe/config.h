/*
 * Build configuration for pixelpipe. Generated once by hand for the x86-64 build servers;
 * edit the values below rather than passing -D flags.
 */
#ifndef PIXELPIPE_CONFIG_H
#define PIXELPIPE_CONFIG_H

#if defined(__x86_64__) || defined(_M_X64)
#  define PP_ARCH_NAME "x86-64"
#  define PP_CACHE_LINE 64
#  define PP_VECTOR_BYTES 32          /* AVX2 */
#  define PP_HAVE_CRC32C_INSN 1
#  define PP_HAVE_RDTSC 1
#  define PP_UNALIGNED_OK 1
#else
#  error "unsupported architecture: pixelpipe requires x86-64 (AVX2)"
#endif

/* scratch buffers of the vector kernels are aligned to one vector */
#define PP_SCRATCH_ALIGN PP_VECTOR_BYTES

#endif /* PIXELPIPE_CONFIG_H */
