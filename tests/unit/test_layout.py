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
