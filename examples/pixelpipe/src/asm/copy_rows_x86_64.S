/*
 * void *pp_copy_rows(void *dst, const void *src, size_t n)
 *
 * Row copy for the frame pool: 64 bytes per iteration with unaligned SSE2 moves, then
 * REP MOVSB for the tail. Returns dst. System V AMD64 calling convention.
 */
        .text
        .p2align 4
        .globl  pp_copy_rows
        .type   pp_copy_rows, @function
pp_copy_rows:
        .cfi_startproc
        movq    %rdi, %rax              # return value
        cmpq    $64, %rdx
        jb      .Ltail
.Lloop64:
        movdqu  0(%rsi), %xmm0
        movdqu  16(%rsi), %xmm1
        movdqu  32(%rsi), %xmm2
        movdqu  48(%rsi), %xmm3
        movdqu  %xmm0, 0(%rdi)
        movdqu  %xmm1, 16(%rdi)
        movdqu  %xmm2, 32(%rdi)
        movdqu  %xmm3, 48(%rdi)
        addq    $64, %rsi
        addq    $64, %rdi
        subq    $64, %rdx
        cmpq    $64, %rdx
        jae     .Lloop64
.Ltail:
        movq    %rdx, %rcx
        rep movsb
        ret
        .cfi_endproc
        .size   pp_copy_rows, .-pp_copy_rows

        .section .note.GNU-stack,"",@progbits
