import shutil
import subprocess
import sys

import pytest

from archport.doctor import compare_macro_table


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-gcc") is None, reason="AArch64 cross compiler not installed")
def test_bundled_macro_table_matches_the_cross_compiler():
    missing, extra, different = compare_macro_table(shutil.which("aarch64-linux-gnu-gcc"))
    assert (missing, extra, different) == ([], [], [])


def test_doctor_runs_and_names_the_install_line_for_missing_tools():
    out = subprocess.run([sys.executable, "-m", "archport", "doctor"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "qemu-aarch64" in out.stdout
    if shutil.which("aarch64-linux-gnu-gfortran") is None:
        assert "apt-get install" in out.stdout and "gfortran-aarch64-linux-gnu" in out.stdout
