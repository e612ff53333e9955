import archport
from archport.layout import x86_only_directories


def test_x86_directory_with_arm_sibling(make_tree):
    root = make_tree({"arch/x86/crc.c": "x", "arch/arm/crc.c": "x", "src/x86/a.c": "x", "lib/amd64/b.c": "x", "lib/aarch64/b.c": "x"})
    dirs = x86_only_directories(root, ["arch/x86/crc.c", "arch/arm/crc.c", "src/x86/a.c", "lib/amd64/b.c"])
    assert dirs == {"arch/x86/": "arch/arm/", "lib/amd64/": "lib/aarch64/"}


def test_findings_under_layout_dirs_are_suppressed_with_reason(make_tree):
    root = make_tree({"arch/x86/k.c": "#include <immintrin.h>\n", "arch/arm/k.c": "#include <arm_neon.h>\n", "src/x86/k.c": "#include <immintrin.h>\n"})
    report = archport.scan(root, select=["CC403"])
    by_path = {f.path: f for f in report.findings}
    assert by_path["arch/x86/k.c"].suppressed.startswith("layout: arch/x86/")
    assert by_path["src/x86/k.c"].suppressed is None  # no Arm sibling: the port is still to be done
    report = archport.scan(root, select=["CC403"], respect_layout=False)
    assert all(f.suppressed is None for f in report.findings)


def test_x86_variant_files_next_to_a_generic_or_arm_one(make_tree):
    from archport.layout import x86_variant_of

    root = make_tree({"t/SFMT.h": "", "t/SFMT-sse2.h": "", "k/blur_avx2.c": "", "k/crc_sse42.c": "", "k/crc_neon.c": "",
                      "k/sse_helpers.c": ""})
    assert x86_variant_of(root, "t/SFMT-sse2.h") == "t/SFMT.h"
    assert x86_variant_of(root, "k/crc_sse42.c") == "k/crc_neon.c"
    assert x86_variant_of(root, "k/blur_avx2.c") is None  # nothing to take its place: still to port
    assert x86_variant_of(root, "t/SFMT.h") is None


def test_findings_in_an_x86_variant_file_are_suppressed(make_tree):
    root = make_tree({"SFMT.h": "int x;\n", "SFMT-sse2.h": "#include <emmintrin.h>\n", "blur_avx2.c": "#include <immintrin.h>\n"})
    report = archport.scan(root, select=["CC403"])
    by_path = {f.path: f.suppressed for f in report.findings}
    assert by_path["SFMT-sse2.h"].startswith("layout: SFMT-sse2.h is the x86 variant of SFMT.h")
    assert by_path["blur_avx2.c"] is None
