; void pp_fill_u8(uint8_t *dst, uint8_t value, size_t n)
;
; Fills n bytes with value: 32 bytes per store with AVX2, REP STOSB for the rest.
; NASM syntax, System V AMD64 ABI (rdi = dst, esi = value, rdx = n).
; Assemble with: nasm -f elf64 fill_avx2.asm

default rel
bits 64

section .text

global pp_fill_u8:function

pp_fill_u8:
        movzx   eax, sil                ; value for the REP STOSB tail
        vmovd   xmm0, esi
        vpbroadcastb ymm0, xmm0
        cmp     rdx, 32
        jb      .tail
.loop32:
        vmovdqu [rdi], ymm0
        add     rdi, 32
        sub     rdx, 32
        cmp     rdx, 32
        jae     .loop32
.tail:
        mov     rcx, rdx
        rep stosb
        vzeroupper
        ret

section .note.GNU-stack noalloc noexec nowrite progbits
