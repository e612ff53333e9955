"""The languages and file kinds archport reads, and how to recognise them from a path and
the first bytes of a file."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archport.artifacts.kinds import artifact_kind


@dataclass(frozen=True)
class Language:
    name: str
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    #: line-comment leaders, for suppression comments and test markers
    comment_leaders: tuple[str, ...] = ()
    #: tree-sitter grammar name, or None when the line scanner is used
    grammar: str | None = None
    #: whether `#if`/`#ifdef` directives are evaluated for this language
    preprocessed: bool = False
    #: file-name prefixes that also select it (`Dockerfile.arm64`, `Jenkinsfile.release`)
    prefixes: tuple[str, ...] = ()


C = Language("c", (".c", ".h"), comment_leaders=("//",), grammar="c", preprocessed=True)
CPP = Language(
    "cpp",
    (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl", ".tcc", ".cu", ".cuh"),
    comment_leaders=("//",),
    grammar="cpp",
    preprocessed=True,
)
# GAS sources, `.S` ones through the C preprocessor; NASM/YASM/MASM sources.
ASM = Language("asm", (".s", ".S", ".sx", ".asm", ".nasm", ".yasm"), comment_leaders=("#", ";", "//", "@"))


# The build layer, containers, CI and scripts. Their masked text blanks comments only: the
# facts rules look for (flags, image names, URLs) are usually inside string literals.
MAKE = Language(
    "make",
    (".mk", ".mak", ".make"),
    filenames=("Makefile", "makefile", "GNUmakefile", "Makefile.am", "Makefile.in", "makefile.in", "Makefile.inc"),
    comment_leaders=("#",),
)
CMAKE = Language("cmake", (".cmake",), filenames=("CMakeLists.txt",), comment_leaders=("#",))
MESON = Language("meson", (), filenames=("meson.build", "meson_options.txt", "meson.options"), comment_leaders=("#",))
BAZEL = Language(
    "bazel",
    (".bzl", ".bazel", ".bazelrc"),
    filenames=("BUILD", "WORKSPACE", ".bazelrc", "MODULE.bazel", "BUCK"),
    comment_leaders=("#",),
)
AUTOCONF = Language("autoconf", (".ac", ".m4"), filenames=("configure.in",), comment_leaders=("#", "dnl"))
SHELL = Language(
    "shell",
    (".sh", ".bash", ".ksh", ".zsh"),
    filenames=("config.guess", "config.sub"),
    comment_leaders=("#",),
)
POWERSHELL = Language("powershell", (".ps1", ".psm1"), comment_leaders=("#",))
DOCKERFILE = Language(
    "dockerfile", (".dockerfile", ".containerfile"), filenames=("Dockerfile", "Containerfile"),
    comment_leaders=("#",), prefixes=("Dockerfile.", "Containerfile."),
)
YAML = Language("yaml", (".yml", ".yaml"), comment_leaders=("#",))
GROOVY = Language("groovy", (".groovy", ".jenkinsfile"), filenames=("Jenkinsfile",), comment_leaders=("//",), prefixes=("Jenkinsfile.",))
GYP = Language("gyp", (".gyp", ".gypi"), comment_leaders=("#",))
PYTHON = Language("python", (".py", ".pyw"), comment_leaders=("#",), grammar="python")
#: pip requirement files: `requirements.txt`, `constraints.txt`, and by name pattern
#: `requirements-dev.txt`, `dev-requirements.in`, `requirements_test.txt` (see _PIP_REQUIREMENTS_NAME)
PIP_REQUIREMENTS = Language("pip-requirements", (), filenames=("requirements.txt", "constraints.txt"), comment_leaders=("#",))
TOML = Language("toml", (".toml",), filenames=("Pipfile", "poetry.lock", "uv.lock", "Cargo.lock"), comment_leaders=("#",))
# Package manifests and lock files read by the dependency rules (DP7xx), by name only: most
# `.json`/`.xml` files in a tree are data. JSON has no comments (suppress through the config).
JSON_MANIFEST = Language(
    "json", (), filenames=("package.json", "package-lock.json", "npm-shrinkwrap.json", "Pipfile.lock", "packages.lock.json"),
)
MAVEN = Language("maven", (), filenames=("pom.xml",))
MSBUILD = Language(
    "msbuild", (".csproj", ".fsproj", ".vbproj", ".props", ".targets"), filenames=("Directory.Packages.props", "packages.config"),
    comment_leaders=("<!--",),
)
GOMOD = Language("gomod", (), filenames=("go.mod",), comment_leaders=("//",))
GRADLE = Language("gradle", (), filenames=("build.gradle", "build.gradle.kts"), comment_leaders=("//",))
INI = Language("ini", (), filenames=("setup.cfg",), comment_leaders=("#", ";"))
# JVM launch options: Maven's `.mvn/jvm.config`, Elasticsearch/Cassandra `jvm.options`, sbt
# `.jvmopts`, IntelliJ-style `*.vmoptions`, and `gradle.properties` (org.gradle.jvmargs).
JVM_OPTIONS = Language(
    "jvm-options", (".vmoptions", ".jvmopts"), filenames=("jvm.config", "jvm.options", ".jvmopts", "gradle.properties"),
    comment_leaders=("#",),
)
# Windows batch scripts: `REM` and `::` comment lines.
BATCH = Language("batch", (".bat", ".cmd"), comment_leaders=("REM", "::"))

# Other compiled languages of a server tree. `.F`/`.F90` Fortran goes through the C
# preprocessor; fixed form (`.f`, `.for`, `.f77`) has comment lines marked in column 1.
GO = Language("go", (".go",), comment_leaders=("//",), grammar="go")
RUST = Language("rust", (".rs",), comment_leaders=("//",), grammar="rust")
JAVA = Language("java", (".java",), comment_leaders=("//",), grammar="java")
KOTLIN = Language("kotlin", (".kt", ".kts"), comment_leaders=("//",))
CSHARP = Language("csharp", (".cs",), comment_leaders=("//",), grammar="csharp")
FORTRAN = Language(
    "fortran",
    (".f90", ".f95", ".f03", ".f08", ".f18", ".F90", ".F95", ".F03", ".F08", ".f", ".for", ".f77", ".ftn", ".F", ".FOR", ".fpp"),
    comment_leaders=("!",),
    grammar="fortran",
)
#: Fortran sources in fixed form, where a `c`, `C`, `*` or `!` in column 1 starts a comment line
FORTRAN_FIXED_EXTENSIONS = frozenset({".f", ".for", ".f77", ".ftn", ".F", ".FOR", ".fpp"})
#: sources that go through the C preprocessor although their language has none of its own
PREPROCESSED_EXTENSIONS = frozenset({".S", ".sx", ".F", ".F90", ".F95", ".F03", ".F08", ".FOR", ".fpp"})

LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        C, CPP, ASM, MAKE, CMAKE, MESON, BAZEL, AUTOCONF, SHELL, POWERSHELL, DOCKERFILE, YAML, GROOVY, GYP, PYTHON,
        GO, RUST, JAVA, KOTLIN, CSHARP, FORTRAN, PIP_REQUIREMENTS, TOML,
        JSON_MANIFEST, MAVEN, MSBUILD, GOMOD, GRADLE, INI, JVM_OPTIONS, BATCH,
    )
}
#: languages whose comments start with `#` (and whose strings are kept in the masked text)
HASH_COMMENT_LANGUAGES = frozenset(
    lang.name for lang in LANGUAGES.values() if lang.comment_leaders and lang.comment_leaders[0] == "#" and lang is not ASM
)

_BY_EXTENSION: dict[str, Language] = {}
for _lang in LANGUAGES.values():
    for _ext in _lang.extensions:
        _BY_EXTENSION.setdefault(_ext, _lang)
_BY_EXTENSION_LOWER = {ext.lower(): lang for ext, lang in _BY_EXTENSION.items()}
_BY_NAME: dict[str, Language] = {name: lang for lang in LANGUAGES.values() for name in lang.filenames}
_BY_PREFIX: tuple[tuple[str, Language], ...] = tuple(
    (prefix, lang) for lang in LANGUAGES.values() for prefix in lang.prefixes
)

# `.h` is shared by C and C++; a header with C++-only syntax is parsed with the C++ grammar.
_CPP_MARKERS = re.compile(
    rb"^\s*(?:namespace\s+\w|template\s*<|class\s+\w+[^;]*\{|using\s+namespace\b|extern\s+\"C\\+\\+\")"
    rb"|\bstd::|\bconstexpr\b",
    re.M,
)
# `.inc` files hold assembly, C, Pascal or PHP: take them only when they look like x86 assembly.
_ASM_SNIFF = re.compile(rb"^\s*(?:%(?:macro|define|ifdef|include)\b|\.(?:macro|globl|text|intel_syntax)\b)", re.M)
# A script without an extension is known by its `#!` line.
_SHEBANG = re.compile(rb"#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-\S+[ \t]+)*)?(?P<prog>[\w.-]+)")
_SHEBANG_LANGUAGES = {
    b"sh": SHELL, b"bash": SHELL, b"dash": SHELL, b"ksh": SHELL, b"zsh": SHELL,
    b"python": PYTHON, b"python3": PYTHON, b"python2": PYTHON, b"pwsh": POWERSHELL,
}


_PIP_REQUIREMENTS_NAME = re.compile(r"(?:[\w.-]*[-_.])?requirements(?:[-_.][\w.-]*)?\.(?:txt|in)")


def classify(name: str, head: bytes = b"") -> Language | None:
    """The language of a file from its name and, where the name is ambiguous, its first bytes."""
    lang = _BY_NAME.get(name)
    if lang is not None:
        return lang
    if _PIP_REQUIREMENTS_NAME.fullmatch(name):
        return PIP_REQUIREMENTS
    dot = name.rfind(".")
    ext = name[dot:] if dot > 0 else ""
    lang = _BY_EXTENSION.get(ext) or _BY_EXTENSION_LOWER.get(ext.lower())
    if lang is C and ext.lower() == ".h" and _CPP_MARKERS.search(head):
        return CPP
    if lang is None and ext.lower() == ".inc" and _ASM_SNIFF.search(head):
        return ASM
    if lang is None:
        for prefix, candidate_lang in _BY_PREFIX:
            if name.startswith(prefix):
                return candidate_lang
        if not ext and head.startswith(b"#!"):
            m = _SHEBANG.match(head)
            if m:
                return _SHEBANG_LANGUAGES.get(m.group("prog"))
    return lang


def needs_sniff(name: str) -> bool:
    """Whether only the first bytes can tell if this file is one we read (no extension, no
    known name): most such files are licences, data or executables, and are passed over
    without a word."""
    return name not in _BY_NAME and name.rfind(".") < 0 and not any(name.startswith(p) for p, _ in _BY_PREFIX)


def candidate(name: str) -> bool:
    """Cheap name-only test: could classify() accept this file? Names without an extension
    may be scripts known by their `#!` line."""
    if name in _BY_NAME or _PIP_REQUIREMENTS_NAME.fullmatch(name):
        return True
    dot = name.rfind(".")
    if dot < 0:
        return True  # maybe a script: see needs_sniff()
    if dot == 0:
        return False  # dotfiles (.gitignore, .clang-format) unless known by name
    ext = name[dot:]
    if ext in _BY_EXTENSION or ext.lower() in _BY_EXTENSION_LOWER or ext.lower() == ".inc":
        return True
    if artifact_kind(name) is not None:
        return True  # a binary or an archive (archport.artifacts)
    return any(name.startswith(prefix) for prefix, _ in _BY_PREFIX)
