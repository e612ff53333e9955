"""Binaries and archives (archport.artifacts, rules BN701/BN702): real compiled libraries,
nested archives, and the limits that refuse compression bombs, giant files and path tricks."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archport
from archport.artifacts.archives import (
    ArchiveDamaged,
    ArchiveRefused,
    Limits,
    inspect_archive_bytes,
)
from archport.artifacts.binaries import read_binary
from archport.artifacts.kinds import ARCHIVE, BINARY, artifact_kind
from archport.artifacts.platforms import counterpart_name, normalized
from tests.artifacts import tree

GCC = shutil.which("gcc")
CROSS_GCC = shutil.which("aarch64-linux-gnu-gcc")
needs_compilers = pytest.mark.skipif(not (GCC and CROSS_GCC), reason="needs gcc and aarch64-linux-gnu-gcc")


def scan(path: Path, code: str = "BN", **kw):
    return archport.scan(path, select=[code], jobs=1, **kw)


@pytest.fixture(scope="module")
def libs(tmp_path_factory) -> dict[str, bytes]:
    """Shared libraries compiled for real: x86-64 (plain, x86-64-v3 with the ISA note, linked
    to a library named like MKL's) and AArch64."""
    if not (GCC and CROSS_GCC):
        pytest.skip("needs gcc and aarch64-linux-gnu-gcc")
    d = tmp_path_factory.mktemp("libs")
    (d / "f.c").write_text("double f(double x) { return x * 3.0; }\n")
    (d / "mkl.c").write_text("int mkl_stub(void) { return 0; }\n")

    def cc(compiler, out, *flags):
        subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(d / out), str(d / "f.c"), *flags], check=True)
        return (d / out).read_bytes()

    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(d / "libmkl_rt.so.2"), str(d / "mkl.c"), "-Wl,-soname,libmkl_rt.so.2"], check=True)
    return {
        "x86": cc(GCC, "x86.so"),
        "x86v3": cc(GCC, "x86v3.so", "-march=x86-64-v3", "-mneeded"),
        "x86mkl": cc(GCC, "x86mkl.so", "-Wl,--no-as-needed", str(d / "libmkl_rt.so.2")),
        "arm": cc(CROSS_GCC, "arm.so"),
    }


# -- compiled libraries ------------------------------------------------------------------------


@needs_compilers
def test_compiled_x86_library_is_reported_with_its_isa_level_and_x86_only_needs(tmp_path, libs):
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor/libfast.so").write_bytes(libs["x86v3"])
    (tmp_path / "vendor/libblas.so").write_bytes(libs["x86mkl"])
    (tmp_path / "vendor/libarm.so").write_bytes(libs["arm"])
    report = scan(tmp_path, "BN701")
    by_path = {f.path: f for f in report.active}
    assert set(by_path) == {"vendor/libfast.so", "vendor/libblas.so"}
    fast = by_path["vendor/libfast.so"]
    assert fast.properties["x86_isa_needed"] == "x86-64-v3"
    assert "x86-64-v3 (AVX2, FMA, BMI2)" in fast.message
    blas = by_path["vendor/libblas.so"]
    assert "libmkl_rt.so.2" in blas.properties["needed"] and blas.properties["x86_only_libraries"] == ["libmkl_rt.so.2"]
    assert "libmkl_rt.so.2" in blas.message and "OpenBLAS" in blas.help


@needs_compilers
def test_compiled_wheel_jar_and_nupkg(tmp_path, libs):
    x86, arm = libs["x86"], libs["arm"]
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(tree.zip_([("fast/_c.cpython-311-x86_64-linux-gnu.so", x86)]))
    (wheels / "slow-2.0-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(tree.zip_([("slow/_c.so", x86)]))
    (wheels / "slow-2.0-cp311-cp311-manylinux_2_17_aarch64.whl").write_bytes(tree.zip_([("slow/_c.so", arm)]))
    (tmp_path / "x86.jar").write_bytes(tree.zip_([("native/linux-x86_64/libz.so", x86)]))
    (tmp_path / "multi.jar").write_bytes(tree.zip_([("native/linux-x86_64/libz.so", x86), ("native/linux-aarch64/libz.so", arm)]))
    (tmp_path / "x.nupkg").write_bytes(tree.zip_([("runtimes/linux-x64/native/libx.so", x86)]))
    report = scan(tmp_path, "BN702")
    assert not report.errors
    assert sorted(f.path for f in report.active) == ["wheels/fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "x.nupkg", "x86.jar"]
    wheel = next(f for f in report.active if f.path.endswith(".whl"))
    assert "--platform manylinux2014_aarch64 --python-version 3.11 fast==1.0" in wheel.help
    assert wheel.properties["x86_members"] == ["fast/_c.cpython-311-x86_64-linux-gnu.so"]


@needs_compilers
def test_compiled_static_library_and_extensionless_executable(tmp_path, libs):
    (tmp_path / "c.c").write_text("int main(void) { return 0; }\n")
    subprocess.run([GCC, "-c", "-o", str(tmp_path / "c.o"), str(tmp_path / "c.c")], check=True)
    subprocess.run([GCC, "-o", str(tmp_path / "tool"), str(tmp_path / "c.c")], check=True)
    (tmp_path / "libc_part.a").write_bytes(tree.ar([("c.o", (tmp_path / "c.o").read_bytes())]))
    (tmp_path / "c.c").unlink()
    report = scan(tmp_path, "BN701")
    found = {f.path: f for f in report.active}
    assert set(found) == {"c.o", "tool", "libc_part.a"}
    assert found["tool"].properties["kind"] == "executable" and "cannot run" in found["tool"].message
    assert found["libc_part.a"].properties["x86_members"] == ["c.o"]


# -- limits --------------------------------------------------------------------------------------


def _one_error(report, *words):
    assert len(report.errors) == 1, report.errors
    assert all(w in report.errors[0].message for w in words), report.errors[0].message
    assert not report.active


def test_zip_bomb_is_refused_quickly_without_reading_it(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("libbomb.so", b"\x7fELF" + bytes(64 * 1024 * 1024))
        zf.writestr("native/linux-x86_64/libx.so", tree.elf("x86-64"))
    (tmp_path / "bomb.jar").write_bytes(buf.getvalue())
    assert (tmp_path / "bomb.jar").stat().st_size < 1024 * 1024
    started = time.perf_counter()
    report = scan(tmp_path)
    assert time.perf_counter() - started < 10
    _one_error(report, "refused", "zip bomb")


def test_tar_gz_bomb_is_refused_by_its_compression_ratio(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 80 * 1024 * 1024
        tf.addfile(info, io.BytesIO(bytes(info.size)))
    import gzip

    (tmp_path / "bomb.tar.gz").write_bytes(gzip.compress(raw.getvalue(), compresslevel=9))
    report = scan(tmp_path)
    _one_error(report, "refused", "compression bomb")


def test_archives_nested_too_deep_are_refused(tmp_path):
    data = tree.zip_([("bin/tool", tree.elf("x86-64"))])
    for level in range(6):  # a quine-like tower: each archive holds the one before
        data = tree.zip_([(f"level{level}.zip", data)])
    (tmp_path / "tower.zip").write_bytes(data)
    _one_error(scan(tmp_path), "nested more than 4 deep")
    # within the limit, the innermost x86 member is found and named by its chain
    report = scan(tmp_path, "BN702", rule_options={"BN702": {"max-depth": 8}})
    assert not report.errors
    (f,) = report.active
    assert f.properties["x86_members"] == ["level5.zip!/level4.zip!/level3.zip!/level2.zip!/level1.zip!/level0.zip!/bin/tool"]


def test_too_many_members_are_refused_before_the_directory_is_read(tmp_path):
    (tmp_path / "many.zip").write_bytes(tree.zip_([(f"f{i}.txt", b"x") for i in range(50)]))
    _one_error(scan(tmp_path, "BN702", rule_options={"BN702": {"max-members": 10}}), "50 members", "limit of 10")


def test_a_1_gb_archive_is_refused_by_its_size_without_reading(tmp_path):
    big = tmp_path / "huge.tar.gz"
    with open(big, "wb") as fh:
        fh.truncate(1024 ** 3)  # sparse: no disk is used
    started = time.perf_counter()
    report = scan(tmp_path)
    assert time.perf_counter() - started < 10
    _one_error(report, "1024.0 MiB", "512 MiB limit")
    assert not report.files_scanned


def test_path_tricks_are_skipped_and_reported_once(tmp_path):
    members = [("../../evil/libevil.so", tree.elf("x86-64")), ("/abs/libabs.so", tree.elf("x86-64")),
               ("lib/libok.so", tree.elf("x86-64"))]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    (tmp_path / "tricks.tar").write_bytes(raw.getvalue())
    report = scan(tmp_path)
    assert len(report.errors) == 1 and "2 member(s) skipped" in report.errors[0].message
    assert "unsafe member name" in report.errors[0].message
    (f,) = report.active
    assert f.properties["x86_members"] == ["lib/libok.so"]
    assert not (tmp_path.parent / "evil").exists()


@pytest.mark.parametrize("name", ["cut.tar.gz", "cut.jar", "cut.deb", "cut.rpm", "cut.tar.xz"])
def test_truncated_archives_give_one_error(tmp_path, name):
    data = tree.archive(name, [("usr/bin/tool", tree.elf("x86-64") + bytes(5000)), ("usr/lib/libx.so", tree.elf("x86-64"))])
    (tmp_path / name).write_bytes(data[: len(data) // 2])
    report = scan(tmp_path)
    assert len(report.errors) == 1, report.errors
    assert report.errors[0].stage in ("parse", "read") and not report.active


def test_a_damaged_nested_archive_is_noted_and_the_rest_is_read(tmp_path):
    (tmp_path / "app.zip").write_bytes(tree.zip_([("lib/broken.jar", b"PK\x03\x04 not really"), ("bin/tool", tree.elf("x86-64"))]))
    report = scan(tmp_path)
    assert len(report.errors) == 1 and "lib/broken.jar" in report.errors[0].message
    (f,) = report.active
    assert f.properties["x86_members"] == ["bin/tool"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["zip", "tar", "ar", "rpm"]))
def test_garbage_never_escapes_as_anything_but_damage_or_refusal(data, fmt):
    for blob in (data, tree.archive({"zip": "a.zip", "tar": "a.tar.gz", "ar": "a.deb", "rpm": "a.rpm"}[fmt],
                                    [("bin/x", tree.elf("x86-64"))])[: len(data) or 1]):
        try:
            inspect_archive_bytes(blob, fmt, Limits(max_members=1000))
        except (ArchiveDamaged, ArchiveRefused):
            pass


# -- the engine, discovery and suppression --------------------------------------------------------------


def test_artifacts_are_not_opened_unless_an_artifact_rule_runs(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04garbage")
    (tmp_path / "lib.so").write_bytes(tree.elf("x86-64"))
    (tmp_path / "a.c").write_text("int x;\n")
    report = scan(tmp_path, "CC401")
    assert not report.errors and not report.findings and report.files_scanned == 1
    report = scan(tmp_path)
    assert [e.path for e in report.errors] == ["broken.zip"] and [f.path for f in report.active] == ["lib.so"]


def test_extensionless_files_are_sniffed(tmp_path):
    (tmp_path / "tool").write_bytes(tree.elf("x86-64", kind=2))
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / "script").write_text("#!/bin/sh\necho hi\n")
    report = scan(tmp_path)
    assert [f.path for f in report.active] == ["tool"] and report.files_scanned == 2  # tool and script, not LICENSE


def test_per_file_ignores_suppress_artifacts(tmp_path):
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor/libx.so").write_bytes(tree.elf("x86-64"))
    (tmp_path / "libs.jar").write_bytes(tree.zip_([("native/linux-x86_64/libz.so", tree.elf("x86-64"))]))
    config = tmp_path / "archport.toml"
    config.write_text('[per-file-ignores]\n"vendor/**" = ["BN701"]\n"*.jar" = ["BN"]\n')
    assert not scan(tmp_path, config=config).active
    assert len(scan(tmp_path).active) == 2


def test_layout_marks_x86_directories_beside_arm_ones(tmp_path):
    for rel in ("arch/x86/libfoo.so", "arch/arm/libfoo.so"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "arch/x86/libfoo.so").write_bytes(tree.elf("x86-64"))
    (tmp_path / "arch/arm/libfoo.so").write_bytes(tree.elf("aarch64"))
    report = scan(tmp_path)
    assert not report.active
    (f,) = report.findings
    assert f.suppressed and f.suppressed.startswith("layout:")


def test_json_sarif_and_text_reports_carry_artifact_findings(tmp_path):
    import json

    from archport.report.formats import render, write_text
    from archport.report.json import schema

    (tmp_path / "lib.so").write_bytes(tree.elf("x86-64"))
    report = scan(tmp_path)
    data = json.loads(render(report, "json"))
    import jsonschema

    jsonschema.validate(data, schema())
    (f,) = data["findings"]
    assert f["line"] == 1 and f["properties"]["artifact"] == BINARY and f["fingerprint"]
    sarif = json.loads(render(report, "sarif"))
    assert sarif["runs"][0]["results"][0]["ruleId"] == "BN701"
    out = io.StringIO()
    write_text(report, out)
    assert "BN701" in out.getvalue() and "1 | " not in out.getvalue()  # no code frame of binary bytes


# -- pieces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,head,kind",
    [("libfoo.so", None, BINARY), ("libfoo.so.1.2.3", None, BINARY), ("foo.DLL", None, BINARY), ("x.tar.zst", None, ARCHIVE),
     ("pkg.nupkg", None, ARCHIVE), ("foo.c", None, None), ("README", b"hello", None), ("tool", b"\x7fELF\x02\x01", BINARY),
     ("Main", b"\xca\xfe\xba\xbe\x00\x00\x00\x34", None), ("fat", b"\xca\xfe\xba\xbe\x00\x00\x00\x02", BINARY),
     ("foo.targets", None, None), (".so", None, None)],
)
def test_artifact_kind(name, head, kind):
    assert artifact_kind(name, head) == kind


def test_counterpart_names():
    assert normalized("libnetty_transport_native_epoll_x86_64.so") == normalized("libnetty_transport_native_epoll_aarch_64.so")
    assert counterpart_name("foo_1.0_amd64.deb", ["foo_1.0_arm64.deb", "foo_1.0_amd64.deb"]) == "foo_1.0_arm64.deb"
    assert counterpart_name("linux-x64", ["linux-arm64", "win-arm64"]) == "linux-arm64"
    assert counterpart_name("linux-x64", ["win-arm64"]) is None
    assert counterpart_name("foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", ["foo-1.0-cp311-cp311-macosx_11_0_arm64.whl"])
    assert not counterpart_name("foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", ["bar-1.0-cp311-cp311-manylinux_2_17_aarch64.whl"])


@pytest.mark.parametrize(
    "data,arches,x86_only",
    [(tree.pe("x86-64"), ("x86-64",), True), (tree.pe("aarch64"), ("aarch64",), False), (tree.pe("x86", managed=True), ("x86",), False),
     (tree.macho("x86-64"), ("x86-64",), True), (tree.fat_macho(["x86-64", "aarch64"]), ("x86-64", "aarch64"), False),
     (tree.elf("x86"), ("x86",), True), (tree.elf("riscv"), ("riscv",), False)],
)
def test_read_binary(data, arches, x86_only):
    info = read_binary(io.BytesIO(data))
    assert info.arches == arches and info.is_x86_only == x86_only
