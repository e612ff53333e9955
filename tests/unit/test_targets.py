"""The deployment-target table (archport.targets, data/targets.json): sane values, sources for
every fact, and the compiler flags checked against the AArch64 cross compiler (GCC 12 on CI)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

import pytest

import archport
from archport.targets import DEFAULT_TARGET, TARGET_NAMES, all_targets, get_target, source_notes

GCC = shutil.which("aarch64-linux-gnu-gcc")
needs_gcc = pytest.mark.skipif(GCC is None, reason="aarch64-linux-gnu-gcc is not installed")
TARGETS = list(all_targets().values())
REQUIRED = {"armv8-a", "armv8.2-a", "armv9-a", "kunpeng920", "graviton2", "graviton3", "graviton4",
            "ampere-altra", "ampere-one", "grace"}
#: extension -> the ACLE macro GCC defines when it is enabled
MACRO = {"crc": "__ARM_FEATURE_CRC32", "crypto": "__ARM_FEATURE_CRYPTO", "fp16": "__ARM_FEATURE_FP16_VECTOR_ARITHMETIC",
         "dotprod": "__ARM_FEATURE_DOTPROD", "sve": "__ARM_FEATURE_SVE", "sve2": "__ARM_FEATURE_SVE2"}


@functools.lru_cache(maxsize=None)
def gcc(flag: str) -> tuple[int, str, str]:
    """(exit status, `.arch` directive of -S output, predefined macros) for one flag string."""
    args = flag.split()
    asm = subprocess.run([GCC, *args, "-S", "-x", "c", "-", "-o", "-"], input="int f(void){return 0;}\n",
                         capture_output=True, text=True, timeout=60)
    macros = subprocess.run([GCC, *args, "-E", "-dM", "-x", "c", "-"], input="", capture_output=True, text=True, timeout=60)
    m = re.search(r"^\s*\.arch\s+(\S+)", asm.stdout, re.M)
    return asm.returncode, m.group(1) if m else "", macros.stdout


@functools.lru_cache(maxsize=None)
def gcc_major() -> int:
    out = subprocess.run([GCC, "-dumpversion"], capture_output=True, text=True, timeout=60).stdout
    return int(out.split(".")[0])


def test_table_has_every_documented_target_and_a_default():
    assert set(TARGET_NAMES) == REQUIRED
    assert DEFAULT_TARGET == "armv8-a" and get_target(None).name == "armv8-a"
    with pytest.raises(KeyError):
        get_target("pentium")


@pytest.mark.parametrize("t", TARGETS, ids=lambda t: t.name)
def test_values_are_sane_and_sourced(t):
    assert t.kind in ("cpu", "baseline")
    assert re.fullmatch(r"armv[89](\.\d)?-a", t.arch)
    assert t.gcc12_arch.split("+")[0] == t.arch or t.kind == "cpu" and t.mcpu_gcc and int(t.mcpu_gcc) > 12
    assert not t.sve2 or t.sve, "SVE2 implies SVE"
    assert t.sve_vector_bits in (None, 128, 256, 512)
    assert (t.sve_vector_bits is not None) <= t.sve
    assert t.lse == (t.arch != "armv8-a"), "LSE is mandatory from Armv8.1-A"
    assert t.false_sharing_bytes in (64, 128, 256)
    assert t.cache_line_bytes in (None, 64, 128)
    assert t.page_sizes_kib and set(t.page_sizes_kib) <= {4, 16, 64}
    assert (t.mcpu is None) == t.is_baseline
    notes = source_notes()
    for fact, source in t.sources.items():
        assert hasattr(t, fact), f"{t.name}: source for unknown fact {fact}"
        assert source.split(" ")[0] in notes, f"{t.name}.{fact}: unknown source {source}"
    for fact in ("arch", "false_sharing_bytes", "page_sizes_kib", "gcc12_arch"):
        assert fact in t.sources, f"{t.name}: {fact} has no source"
    if t.kind == "cpu":
        for fact in ("core", "sve", "cache_line_bytes"):
            assert fact in t.sources, f"{t.name}: {fact} has no source"


def test_known_facts():
    k = get_target("kunpeng920")
    assert (k.mcpu, k.arch, k.sve, k.dotprod, k.typical_page_kib, k.false_sharing_bytes) == ("tsv110", "armv8.2-a", False, True, 64, 128)
    assert get_target("graviton2").core == "Arm Neoverse N1" and not get_target("graviton2").sve
    assert get_target("graviton3").sve_vector_bits == 256 and not get_target("graviton3").sve2
    assert get_target("graviton4").sve2 and get_target("graviton4").mcpu == "neoverse-v2"
    assert get_target("grace").core == get_target("graviton4").core
    assert get_target("ampere-one").mcpu == "ampere1"
    assert get_target("graviton4").flag_text == "-mcpu=neoverse-v2 (GCC 13+; -march=armv9-a with GCC 12)"
    assert get_target("kunpeng920").flag_with("+dotprod") == "-mcpu=tsv110+dotprod"
    assert get_target("kunpeng920").flag_with("+crc") == "-mcpu=tsv110"
    assert get_target("armv8-a").flag_with("+crc") == "-march=armv8-a+crc"


@needs_gcc
@pytest.mark.parametrize("t", TARGETS, ids=lambda t: t.name)
def test_gcc12_flag_gives_the_recorded_architecture_and_features(t):
    status, arch, macros = gcc(t.gcc12_flag)
    assert status == 0, f"{GCC} rejects {t.gcc12_flag}"
    if gcc_major() == 12:  # the `.arch` line lists what GCC 12 enables; newer GCCs may list more
        assert arch == t.gcc12_arch
    assert ("__ARM_FEATURE_ATOMICS 1" in macros) == t.lse
    assert ("__ARM_FEATURE_SVE 1" in macros) == t.sve
    assert ("__ARM_FEATURE_SVE2 1" in macros) == t.sve2
    if t.name != "kunpeng920":  # GCC's tsv110 leaves out the dot product the core has (see its notes)
        assert ("__ARM_FEATURE_DOTPROD 1" in macros) == t.dotprod
    else:
        assert "__ARM_FEATURE_DOTPROD" not in macros and any("+dotprod" in n for n in t.notes)
        assert "__ARM_FEATURE_DOTPROD 1" in gcc(t.gcc12_flag + "+dotprod")[2]


@needs_gcc
@pytest.mark.parametrize("t", TARGETS, ids=lambda t: t.name)
def test_mcpu_and_march_are_accepted_by_a_gcc_that_is_new_enough(t):
    assert gcc(f"-march={t.march}")[0] == 0, f"-march={t.march} rejected"
    if t.mcpu is None:
        return
    status = gcc(f"-mcpu={t.mcpu}")[0]
    if gcc_major() >= int(t.mcpu_gcc):
        assert status == 0, f"-mcpu={t.mcpu} rejected by GCC {gcc_major()}"
    else:
        assert status != 0, f"GCC {gcc_major()} accepts -mcpu={t.mcpu}: lower mcpu_gcc ({t.mcpu_gcc})"


@needs_gcc
@pytest.mark.parametrize("t", TARGETS, ids=lambda t: t.name)
@pytest.mark.parametrize("ext", ["crc", "crypto", "fp16", "dotprod"])
def test_flag_with_enables_the_extension(t, ext):
    flag = t.flag_with("+" + ext)
    status, _, macros = gcc(flag)
    assert status == 0 and f"{MACRO[ext]} 1" in macros, f"{flag} does not enable {ext}"
    if flag == t.gcc12_flag:  # no `+ext` added: the target's own flag must already enable it
        assert f"{MACRO[ext]} 1" in gcc(t.gcc12_flag)[2]


def test_messages_change_with_the_target(tmp_path):
    (tmp_path / "a.c").write_text(
        "#include <sys/mman.h>\n#include <unistd.h>\n"
        "void g(char *p, int n) { mprotect(p + n, 4096, PROT_NONE); }\n"
        "int h(void) { return sysconf(_SC_PAGESIZE) == 4096; }\n"
        "#define CACHE_LINE 64\nstruct c { long v; char pad[CACHE_LINE - 8]; };\n"
        "#include <nmmintrin.h>\nunsigned k(unsigned c) { return _mm_crc32_u8(c, 1); }\n",
        encoding="utf-8",
    )

    def messages(target):
        report = archport.scan(tmp_path, select=["CC112", "CC113", "CC401"], target=target)
        return {(f.code, f.line): f.message + " | " + f.help for f in report.active}, report

    base, report = messages(None)
    assert report.settings["target"] == "armv8-a" and report.settings["target_chosen"] is False
    assert "on AArch64 kernels with 64 KiB pages (the RHEL family)" in base[("CC112", 3)]
    assert "64 KiB on the RHEL family" in base[("CC112", 4)]
    assert "-march=armv8-a+crc" in base[("CC401", 8)]
    kunpeng, report = messages("kunpeng920")
    assert report.settings["target_chosen"] is True
    assert "on kunpeng920, whose distributions typically use 64 KiB pages," in kunpeng[("CC112", 3)]
    assert "use 64 KiB pages (kunpeng920), so this test fails on the 64 KiB-page kernels" in kunpeng[("CC112", 4)]
    assert "on kunpeng920 data written by different threads should be 128 bytes apart" in kunpeng[("CC113", 5)]
    assert "-mcpu=tsv110" in kunpeng[("CC401", 8)]
    graviton, _ = messages("graviton3")
    assert "on graviton3 under a 64 KiB-page kernel (the RHEL family; Amazon Linux, Ubuntu and Debian use 4 KiB)" in graviton[("CC112", 3)]
    assert ("CC113", 5) not in graviton  # 64-byte lines on Neoverse V1
    assert "-mcpu=neoverse-v1" in graviton[("CC401", 8)]
