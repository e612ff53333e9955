"""x86 assembly vocabulary and the AArch64 replacement for each recognised idiom.

Shared by CC404 (inline assembly) and AS401 (assembly sources). Facts only; the statement
parsing that uses them lives in archport.rules.assembly._x86.

Mnemonics are lower case. A name belongs in X86_MNEMONICS only when no assembler an AArch64
build might meet (AArch64, Arm32, POWER, s390x, RISC-V, MIPS) has an instruction of that
name: `mov`, `add`, `ret`, `push`, `fadd`, `hlt`, `aesimc`, `ptest`, `pext`, `addw` and
`cmpb` are shared, so they are left out and x86 code is recognised by its other words
(registers, suffixed AT&T forms, x86-only mnemonics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- registers ---------------------------------------------------------------------------------

#: x86 register names (without the AT&T `%`). `r8`-`r15` need a size suffix here because
#: s390 spells its registers `%r0`-`%r15`; bare `sp`/`bp`/`si`/`di` are left out (SPARC,
#: m68k); `st` is the x87 stack.
X86_REGISTER = (
    r"(?:[re]?[abcd]x|[re](?:si|di|sp|bp)|[abcd][lh]|(?:si|di|sp|bp)l|r(?:[89]|1[0-5])[dwb]"
    r"|[re]ip|[xyz]mm(?:[12]?\d|3[01])|mm[0-7]|st(?:\([0-7]\))?|[cdefgs]s|cr[0-8]|dr[0-7]|tmm[0-7])"
)
#: bare register names in Intel syntax (NASM, MASM, `.intel_syntax`, MSVC `__asm`)
X86_BARE_REGISTER = r"(?:[re][abcd]x|[re](?:si|di|sp|bp)|[abcd][lh]|(?:si|di|sp|bp)l|r(?:[89]|1[0-5])[dwb]?|[re]ip|[xyz]mm(?:[12]?\d|3[01]))"
#: bare register names that are x86 even outside Intel syntax (no Arm32 `r8`, no `al`/`bl`)
X86_BARE_REGISTER_STRICT = r"(?:[re][abcd]x|[re](?:si|di|sp|bp)|r(?:[89]|1[0-5])[dwb]|[re]ip|[xyz]mm(?:[12]?\d|3[01]))"
#: Intel-syntax operand size keywords
X86_SIZE_KEYWORD = r"(?:(?:byte|word|dword|qword|tbyte|oword|xmmword|ymmword|zmmword)\s+ptr\b|\b(?:dword|qword|oword|yword|zword)\s*\[)"

#: register words of other architectures (AArch64 first)
OTHER_REGISTER = (
    r"(?:[xw](?:[12]?\d|30)|[xw]zr|wsp|v(?:[12]?\d|3[01])\.\d*[bhsdq]|[bhsdq](?:[12]?\d|3[01])"
    r"|z(?:[12]?\d|3[01])\.[bhsdq]|p(?:1[0-5]|\d)(?:/[zm]|\.[bhsdq])|\w+_el[0-3]"
    r"|\$(?:zero|ra|gp|fp|[atvsk]\d))"
)

# -- mnemonics ---------------------------------------------------------------------------------

#: instruction prefixes
X86_PREFIXES = frozenset(
    {"lock", "rep", "repe", "repz", "repne", "repnz", "data16", "data32", "addr32", "rex64", "notrack",
     "xacquire", "xrelease"}
)

#: x86-only mnemonics (exact names, AT&T size suffixes included where they are spelled out)
X86_MNEMONICS = frozenset(
    """
    cpuid rdtsc rdtscp rdpmc rdmsr wrmsr xgetbv xsetbv rdrand rdseed rdpid int3 into ud2 ud1
    sysenter sysexit sysret syscall iret iretq iretd cli sti clc cld cmc lahf sahf
    pushf pushfq pushfd pushfl popf popfq popfd popfl pushq pushl popq popl pusha popa pushal popal
    pause mfence lfence sfence clflush clflushopt clwb prefetcht0 prefetcht1 prefetcht2 prefetchnta
    prefetchw prefetchwt1 monitor mwait umonitor umwait tpause serialize xbegin xend xabort xtest
    vzeroupper vzeroall emms femms ldmxcsr stmxcsr vldmxcsr vstmxcsr fxsave fxrstor fxsave64
    fxrstor64 xsave xsave64 xrstor xrstor64 xsaveopt xsavec xsaves invlpg wbinvd lgdt sgdt lidt sidt
    xadd xaddb xaddw xaddl xaddq cmpxchg cmpxchgb cmpxchgw cmpxchgl cmpxchgq cmpxchg8b cmpxchg16b
    xchg xchgb xchgw xchgl xchgq
    bswap bswapl bswapq bsf bsfw bsfl bsfq bsr bsrw bsrl bsrq tzcnt tzcntw tzcntl tzcntq lzcnt
    lzcntw lzcntl lzcntq popcnt popcntl popcntq btl btq btc btcl btcq btr btrl btrq bts btsl btsq
    bextr blsi blsr blsmsk bzhi mulx rorx sarx shlx shrx adcx adox pdep shld shrd shldl shrdl shldq shrdq
    crc32 crc32l crc32q
    movzx movsx movsxd movzbl movzwl movzbq movzwq movzbw movsbl movswl movsbq movswq movsbw movslq
    movabs movabsq movl movq movb leal leaq lea cbw cwde cdqe cwd cdq cqo cltq cqto cltd cwtl cbtw
    xlat xlatb lodsb lodsw lodsd lodsq stosb stosw stosd stosq stosl movsb movsq movsl scasb scasw
    scasd scasq cmpsb cmpsw cmpsq
    enter leave leaveq leavel callq calll retq retl jmpq jmp jecxz jrcxz loop loope loopne loopz loopnz
    ja jae jb jbe jc jnc je jne jz jnz jg jge jl jle jna jnae jnb jnbe jng jnge jnl jnle jo jno jp
    jnp jpe jpo js jns
    inb inw inl outb outw outl insb insw insl outsb outsw outsl
    imul imull imulq imulw idiv idivl idivq idivb mull mulq mulb divl divq divb negl negq notl
    notq inc dec incl incq incb decl decq decb decw
    shl shr sal sar shll shrl sarl sall shlq shrq sarq salq shlb shrb sarb rcl rcr roll rorl rolq rorq
    test testl testq testb testw
    addl addq addb subl subq subb andl andq andb orl orq orb xorl xorq xorb cmpl cmpq adcl adcq sbbl
    sbbq
    fld fldl fldt fld1 fldz fldpi fldl2e fldl2t fldlg2 fldln2 fild fildl fildll fildq fist fistl fistp
    fistpl fistpll fistpq fisttp fisttpl fisttpll fst fstl fstp fstpl fstps fstpt fxch fnstcw fstcw
    fldcw fnstsw fstsw fninit finit fwait fclex fnclex fsin fcos fsincos fptan fpatan fyl2x fyl2xp1
    f2xm1 fscale fprem fprem1 frndint fxam ftst fucom fucomp fucompp fucomi fucomip fcomi fcomip fcom
    fcomp fcompp fsubp fsubrp fmulp fdivp fdivrp fchs fnsave fsave frstor fldenv fnstenv fstenv
    ffree fdecstp fincstp fxtract fbld fbstp fiadd fiaddl fimul fimull fisub fidiv ficom ficomp
    """.split()
)

#: x86-only SSE/AVX mnemonics that the families below do not cover
X86_SIMD_MNEMONICS = frozenset(
    """
    movdqa movdqu movaps movups movapd movupd movd movntdq movntdqa movnti movntps movntpd movntq
    movhps movlps movhpd movlpd movhlps movlhps movmskps movmskpd movss movsd movddup movshdup
    movsldup movq2dq movdq2q lddqu maskmovdqu maskmovq
    aesenc aesenclast aesdec aesdeclast aeskeygenassist vaesenc vaesenclast vaesdec vaesdeclast
    pclmulqdq vpclmulqdq sha1rnds4 sha1nexte sha1msg1 sha1msg2 sha256rnds2 sha256msg1 sha256msg2
    """.split()
)
X86_MNEMONICS = X86_MNEMONICS | X86_SIMD_MNEMONICS

#: conditional moves and set-on-condition (`sete` and `setp` are left out: AArch64 MOPS has them)
X86_SCALAR_FAMILIES = re.compile(r"cmov\w+|set(?:n?[abcglosz]|n?[abgl]e|po|pe)b?")

#: SSE/AVX mnemonic families, matched against the whole mnemonic
X86_SIMD_FAMILIES = re.compile(
    r"(?:"
    # SSE/AVX packed and scalar floating point (vaddps, mulsd, vfmadd231ps, cvtsi2sd, ...)
    r"v?(?:add|sub|mul|div|max|min|sqrt|rcp|rsqrt|and|andn|or|xor|cmp\w*|hadd|hsub|addsub|unpck[hl]"
    r"|shuf|blendv?|round|dp|broadcast\w*|insert|extract|ucomi|comi"
    r"|fn?m(?:add|sub)(?:sub|add)?(?:132|213|231)|getexp|getmant|scalef|rndscale|range|reduce"
    r"|fixupimm|compress|expand|gather\w*|scatter\w*|perm(?:il|2)?\w*)(?:ps|pd|ss|sd|ph|sh)"
    r"|v?mov(?:a|u|nt|msk|h|l)p[sd]|v?movs[sd]|v?mov(?:hl|lh)ps|v?movs[hl]dup|v?movddup"
    r"|v?cvtt?(?:ss|sd|si|ps|pd|dq|pi|sh|ph|udq|uqq|qq|usi)2\w+"
    # SSE/AVX integer (paddd, vpshufb, pmovmskb, vpternlogd, ...)
    r"|v?p(?:add|sub)(?:[bwdq]|s[bw]|us[bw])|v?pmul(?:l[dwq]|h[wu]?w|hrsw|u?dq)|v?pmadd\w+"
    r"|v?pcmp(?:eq|gt)[bwdq]|v?pcmp[ei]str[im]|v?pcmpu?[bwdq]|v?pshuf(?:[bd]|[hl]w|w)|v?psh[lr]dv?[wdq]"
    r"|v?ps(?:ll|rl|ra)(?:[wdq]|dq|v[wdq])|v?punpck[hl](?:bw|wd|dq|qdq)|v?pack[su]s(?:wb|dw)"
    r"|v?pmov(?:msk|[sz]x)\w*|v?p(?:max|min)[su][bwdq]|v?pavg[bw]|v?psadbw|v?psign[bwd]|v?pabs[bwdq]"
    r"|v?palignr|v?p(?:and|andn|or|xor)[dq]?|v?pblend\w*|v?pextr[bwdq]|v?pinsr[bwdq]|v?ph(?:add|sub)\w+"
    r"|v?phminposuw|v?pbroadcast\w+|vperm(?:[bwdq]|p[sd]|il\w+|2[fi]128|[it]2\w+)|v?pgather\w+"
    r"|v?pscatter\w+|vpternlog[dq]|vpcompress\w+|vpexpand\w+|vp(?:rol|ror)v?[dq]|vplzcnt[dq]"
    r"|vpopcnt[bwdq]|vpconflict[dq]|vpdp(?:bu|ws)sds?|v?movdq[au](?:8|16|32|64)?|vmovq|vmovd"
    r"|v?maskmov\w+|vinsert[fi](?:128|32x4|64x2|32x8|64x4)|vextract[fi](?:128|32x4|64x2|32x8|64x4)"
    r"|vbroadcast[fi]\w+|v?gf2p8\w+|k(?:mov|and|andn|or|xor|xnor|not|shiftl|shiftr|ortest|test|unpck|add)[bwdq]\w*)"
)

#: mnemonics of other architectures (AArch64 first, then Arm32, POWER, s390x, RISC-V, MIPS)
OTHER_MNEMONICS = frozenset(
    """
    isb dmb dsb yield wfe wfi sev sevl mrs msr ldr ldrb ldrh ldrsb ldrsh ldrsw str strb strh ldp stp
    ldnp stnp ldur stur ldxr stxr ldaxr stlxr ldxp stxp ldaxp stlxp ldar stlr ldapr ldarb stlrb cas
    casa casl casal casp caspal swp swpa swpal ldadd ldaddal stadd eor eon orr orn bic csel csinc
    csinv csneg cset csetm cinc cbz cbnz tbz tbnz adr adrp svc brk hint rev rev16 rev32 rbit clz cls
    cnt dup ins umov smov ld1 ld2 ld3 ld4 ld1r st1 st2 st3 st4 fmla fmls umull smull umull2 umulh
    smulh umaddl smaddl umsubl madd msub sxtw uxtw sxtb uxtb sxth uxth lsl lsr asr bl blr br prfm dc
    ic tlbi uqsub sqadd addv uaddlv umlal umlal2 tbl tbx zip1 zip2 uzp1 uzp2 trn1 trn2 ext movz movk
    movn mvn tst ccmp ccmn ubfx sbfx bfi bfxil ubfm sbfm extr crc32h crc32x crc32cb crc32ch crc32cw
    crc32cx pacia autia paciasp autiasp bti esb csdb ssbb ptrue whilelo whilelt
    ldrex strex ldrexd strexd mcr mrc bx blx ldm stm ldmia stmdb stmfd ldmfd uqsub8 uqsub16 uadd8
    uadd16 smlal pld cpsid cpsie vld1 vst1 vmov vdup it ite itt
    lwsync sync isync eieio mftb mftbu mfspr mtspr mfcr mtcr mflr mtlr lwarx stwcx. ldarx stdcx. dcbt
    dcbtst dcbz dcbf icbi lwz stw stwu lwzu vmulouw vmuleuw vperm xxpermdi lxvd2x stxvd2x ori
    bcr stck stckf stcke lgr lghi stg cdsg csg niai ppa
    fence fence.i rdcycle rdtime rdinstret csrr csrw csrrs ecall ebreak auipc jal jalr lui addi slli srli
    vsetvli lr.w sc.w lr.d sc.d amoadd.w amoadd.d
    dbar ibar
    """.split()
)

#: mnemonics that mean nothing by themselves (shared, or not instructions at all)
NEUTRAL_MNEMONICS = frozenset(
    """
    nop ret mov add sub and or xor not neg cmp push pop call mul div adc sbb rol ror b
    """.split()
)

#: `.directive`s that name an architecture's syntax
X86_DIRECTIVES = frozenset({".intel_syntax", ".att_syntax", ".code16", ".code32", ".code64"})
OTHER_DIRECTIVES = frozenset(
    {".arch", ".arch_extension", ".cpu", ".fpu", ".syntax", ".thumb", ".thumb_func", ".arm", ".inst",
     ".machine", ".option", ".variant_pcs"}
)

#: x86 machine code written as `.byte` lists in asm templates -> the instruction it encodes
X86_ENCODINGS: dict[tuple[int, ...], str] = {
    (0x0F, 0xA2): "cpuid",
    (0x0F, 0x31): "rdtsc",
    (0x0F, 0x01, 0xF9): "rdtscp",
    (0x0F, 0x01, 0xD0): "xgetbv",
    (0xF3, 0x90): "pause",
    (0x0F, 0xAE, 0xF0): "mfence",
    (0x0F, 0xAE, 0xE8): "lfence",
    (0x0F, 0xAE, 0xF8): "sfence",
    (0x0F, 0x0B): "ud2",
    (0x0F, 0x05): "syscall",
    (0xCC,): "int3",
}

# -- idioms ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AsmIdiom:
    key: str  #: stable identifier, reported in properties
    replacement: str  #: the AArch64 replacement, for the help line


_IDIOMS = (
    AsmIdiom(
        "rdtsc",
        "time with clock_gettime(CLOCK_MONOTONIC), or read the CNTVCT_EL0 virtual counter "
        "(`isb` then `mrs %0, cntvct_el0`) and convert with its frequency from CNTFRQ_EL0; never assume a GHz "
        "tick rate",
    ),
    AsmIdiom(
        "cpuid",
        "detect AArch64 features with getauxval(AT_HWCAP) / getauxval(AT_HWCAP2) and the HWCAP_* bits "
        "of <asm/hwcap.h>",
    ),
    AsmIdiom(
        "xgetbv",
        "detect AArch64 SIMD support with getauxval(AT_HWCAP) and HWCAP_ASIMD / HWCAP_SVE from <asm/hwcap.h>",
    ),
    AsmIdiom(
        "pause",
        "use `__asm__ volatile(\"isb\" ::: \"memory\")` (or `\"yield\"`) as the spin-wait hint on AArch64",
    ),
    AsmIdiom("mfence", "use atomic_thread_fence(memory_order_seq_cst) from <stdatomic.h> (`dmb ish` on AArch64)"),
    AsmIdiom(
        "sfence",
        "use atomic_thread_fence(memory_order_release) (`dmb ish`), or `dmb ishst` where only store-store "
        "order is needed",
    ),
    AsmIdiom("lfence", "use atomic_thread_fence(memory_order_acquire) (`dmb ishld` on AArch64)"),
    AsmIdiom("bswap", "use __builtin_bswap32 / __builtin_bswap64 (one `rev` instruction on AArch64)"),
    AsmIdiom("lock-xadd", "use __atomic_fetch_add(ptr, val, __ATOMIC_SEQ_CST), which returns the old value like `xadd`"),
    AsmIdiom(
        "lock-cmpxchg16b",
        "use __sync_bool_compare_and_swap on `unsigned __int128` (GCC emits LSE `casp` with "
        "-march=armv8.1-a and an -moutline-atomics helper otherwise), or __atomic_compare_exchange on "
        "16 bytes (GCC calls libatomic: link with -latomic)",
    ),
    AsmIdiom(
        "lock-cmpxchg",
        "use __atomic_compare_exchange_n(ptr, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)",
    ),
    AsmIdiom("xchg", "use __atomic_exchange_n(ptr, val, __ATOMIC_SEQ_CST) (x86 `xchg` with memory is implicitly locked)"),
    AsmIdiom(
        "lock-rmw",
        "use __atomic_fetch_add / __atomic_fetch_sub / __atomic_fetch_and / __atomic_fetch_or / "
        "__atomic_fetch_xor with __ATOMIC_SEQ_CST",
    ),
    AsmIdiom(
        "crc32",
        "use __crc32cb / __crc32ch / __crc32cw / __crc32cd from <arm_acle.h> with -march=armv8-a+crc; "
        "x86 `crc32` computes CRC-32C, which __crc32b/h/w/d do not",
    ),
    AsmIdiom("popcnt", "use __builtin_popcount / __builtin_popcountll"),
    AsmIdiom(
        "ctz",
        "use __builtin_ctz / __builtin_ctzll; they are undefined for 0 (`tzcnt` returns the operand width), "
        "so test for 0 first",
    ),
    AsmIdiom(
        "clz",
        "use __builtin_clz / __builtin_clzll; they are undefined for 0 (`lzcnt` returns the operand width), "
        "and `bsr` gives the bit index, i.e. 63 - __builtin_clzll(x)",
    ),
    AsmIdiom("int3", "use __builtin_trap() (a `brk`, SIGTRAP on AArch64 Linux) or raise(SIGTRAP)"),
    AsmIdiom("ud2", "use __builtin_trap()"),
    AsmIdiom("rdrand", "use getrandom() from <sys/random.h>"),
    AsmIdiom("cmov", "use a plain C conditional expression (the compiler emits `csel`)"),
    AsmIdiom(
        "syscall",
        "use the libc syscall(2) wrapper with SYS_* numbers from <sys/syscall.h> (AArch64 enters the "
        "kernel with `svc #0` and the asm-generic syscall numbers)",
    ),
    AsmIdiom(
        "x87",
        "remove x87 precision and control-word code: AArch64 has no x87 unit and `double` is already "
        "IEEE binary64; set rounding with fesetround() from <fenv.h>",
    ),
    AsmIdiom(
        "mxcsr",
        "use <fenv.h> (fesetround, feclearexcept) for rounding and exception flags; flush-to-zero lives "
        "in FPCR (`_FPU_GETCW` / `_FPU_SETCW` from <fpu_control.h>)",
    ),
    AsmIdiom("prefetch", "use __builtin_prefetch(ptr, rw, locality) (`prfm` on AArch64)"),
    AsmIdiom("rep-movs", "use memcpy() / memmove()"),
    AsmIdiom("rep-stos", "use memset()"),
    AsmIdiom(
        "simd",
        "rewrite the SSE/AVX code with NEON intrinsics from <arm_neon.h>, or in portable C the compiler "
        "can vectorise",
    ),
)
IDIOMS: dict[str, AsmIdiom] = {i.key: i for i in _IDIOMS}

GENERIC_REPLACEMENT = (
    "rewrite it in C with compiler builtins, or add an `#elif defined(__aarch64__)` branch with "
    "AArch64 assembly"
)

#: idioms whose advice another idiom of the same template already covers (`lfence; rdtsc`
#: serialises the timestamp read: the `isb` in the rdtsc advice replaces it)
SUBSUMED_BY: dict[str, frozenset[str]] = {
    "rdtsc": frozenset({"lfence", "mfence"}),
    "cpuid": frozenset({"xgetbv"}),
}

#: normalised mnemonic (AT&T size suffix removed) -> idiom key
IDIOM_BY_MNEMONIC: dict[str, str] = {
    "rdtsc": "rdtsc",
    "rdtscp": "rdtsc",
    "cpuid": "cpuid",
    "xgetbv": "xgetbv",
    "pause": "pause",
    "mfence": "mfence",
    "sfence": "sfence",
    "lfence": "lfence",
    "bswap": "bswap",
    "xadd": "lock-xadd",
    "cmpxchg16b": "lock-cmpxchg16b",
    "cmpxchg": "lock-cmpxchg",
    "cmpxchg8b": "lock-cmpxchg",
    "xchg": "xchg",
    "crc32": "crc32",
    "popcnt": "popcnt",
    "bsf": "ctz",
    "tzcnt": "ctz",
    "bsr": "clz",
    "lzcnt": "clz",
    "int3": "int3",
    "ud2": "ud2",
    "rdrand": "rdrand",
    "rdseed": "rdrand",
    "syscall": "syscall",
    "sysenter": "syscall",
    "ldmxcsr": "mxcsr",
    "stmxcsr": "mxcsr",
    "vldmxcsr": "mxcsr",
    "vstmxcsr": "mxcsr",
    "prefetcht0": "prefetch",
    "prefetcht1": "prefetch",
    "prefetcht2": "prefetch",
    "prefetchnta": "prefetch",
    "prefetchw": "prefetch",
}
#: read-modify-write instructions that `lock` makes atomic (besides xadd/cmpxchg/xchg)
LOCKABLE_RMW = frozenset({"add", "sub", "inc", "dec", "and", "or", "xor", "neg", "not", "bts", "btr", "btc", "adc", "sbb"})
#: instructions that take an AT&T size suffix (b/w/l/q), for normalisation
SUFFIXABLE = frozenset(
    LOCKABLE_RMW
    | {"xadd", "cmpxchg", "xchg", "bswap", "bsf", "bsr", "tzcnt", "lzcnt", "popcnt", "bt", "crc32", "mov", "cmp",
       "test", "lea", "push", "pop", "shl", "shr", "sar", "sal", "rol", "ror", "imul", "mul", "div", "idiv",
       "movs", "stos", "lods", "scas", "cmps", "call", "ret", "jmp", "fld", "fst", "fstp", "fild", "fist",
       "fistp", "fisttp"}
)
X87_MNEMONIC = re.compile(
    r"f(?:n?(?:stcw|ldcw|stsw|init|clex|save|stenv)|ld(?:[lt]|1|z|pi|l2e|l2t|lg2|ln2|cw|env)?|ild\w*|ist\w*|isttp\w*"
    r"|stp?[lts]?|xch|wait|sin|cos|sincos|ptan|patan|yl2x\w*|2xm1|scale|prem1?|rndint|xam|tst|u?comi?p{0,2}"
    r"|(?:add|sub|subr|mul|div|divr)p|chs|rstor|free|decstp|incstp|xtract|bld|bstp|i(?:add|mul|sub|div|com)\w*)"
)
