from __future__ import annotations

import re

from archport import mathlibs
from archport.model import Confidence, Impact, Severity
from archport.rule import Rule

_NAMES = "|".join(sorted((re.escape(n).replace(r"\-", "[-_.]") for n in mathlibs.python_package_names()),
                         key=len, reverse=True))
#: a requirement at the start of a requirements-file line: `mkl`, `mkl-service>=2.4`, `mkl_fft[x]; ...`
_REQ_LINE = re.compile(rf"^[ \t]*(?P<name>{_NAMES})(?![\w.-])(?P<rest>[^\n]*)", re.M | re.I)
#: a conda/pip list item in environment.yml: `- mkl`, `- conda-forge::mkl=2023`, `- blas=*=mkl`
_YAML_ITEM = re.compile(
    rf"^[ \t]*-[ \t]+[\"']?(?:[\w.-]+::)?(?:(?P<name>{_NAMES})(?![\w.-])|(?P<blas>(?:lib)?blas)[ \t]*=[^\n]*?mkl)"
    r"(?P<rest>[^\n]*)",
    re.M | re.I,
)
#: a quoted requirement in pyproject.toml (PEP 621 arrays), or a Poetry dependency key
_TOML_REQ = re.compile(
    rf"(?P<q>[\"'])(?P<name>{_NAMES})(?![\w.-])(?P<rest>(?:(?!(?P=q))[^\n])*)(?P=q)|^[ \t]*(?P<key>{_NAMES})[ \t]*=",
    re.M | re.I,
)
_ENV_FILE = re.compile(r"(?:environment|conda|env)[\w.-]*\.ya?ml", re.I)
_CONDA_SHAPE = re.compile(r"^dependencies[ \t]*:", re.M)
#: an environment marker that keeps the requirement off AArch64
_X86_MARKER = re.compile(
    r"platform_machine[ \t]*==[ \t]*[\"'](?:x86_64|AMD64|i[3-6]86|x86)[\"']"
    r"|platform_machine[ \t]*!=[ \t]*[\"'](?:aarch64|arm64)[\"']"
    r"|platform_machine[ \t]+(?:not[ \t]+)?in[ \t]+[\"'][^\"']*[\"']"
    r"|sys_platform[ \t]*==[ \t]*[\"'](?:win32|darwin|cygwin)[\"']",
    re.I,
)


class IntelMathPythonDependency(Rule):
    """Python or conda dependency on an Intel math package (MKL, Intel OpenMP, oneDAL).

    ## What it does
    Checks for declared dependencies on Intel's x86 math packages: `mkl`, `mkl-service`,
    `mkl_fft`, `mkl_random`, `mkl-devel`/`mkl-include`/`mkl-static`, `intel-openmp`,
    `daal`/`daal4py`, `scikit-learn-intelex`, `intel-numpy`/`intel-scipy`, `ipp`, and a conda
    BLAS pinned to MKL (`blas=*=mkl`), in `requirements*.txt` / `constraints.txt`, conda
    `environment*.yml`, and `pyproject.toml` (PEP 621 dependency arrays, optional
    dependencies, build requirements, Poetry tables). A requirement whose environment marker
    keeps it off AArch64 (`; platform_machine == "x86_64"`) is not reported. The replacement
    is in `properties["migration"]`.

    ## Why is this a problem on ARM64?
    These packages are published for x86 only (PyPI has no aarch64 wheel of `mkl`, `mkl-fft`,
    `intel-openmp` or `scikit-learn-intelex`; checked with `pip download --platform
    manylinux2014_aarch64`), so `pip install` or `conda env create` fails on an AArch64
    machine. Most are not needed there: NumPy and SciPy wheels for aarch64 bundle OpenBLAS.
    Code that imports `mkl`, `mkl_fft`, `mkl_random` or `daal4py` needs a small rewrite.

    ## Example
    ```requirements
    numpy>=1.24
    mkl==2023.2.0
    mkl-service>=2.4
    ```

    Use instead:
    ```requirements
    numpy>=1.24
    threadpoolctl>=3.1
    ```

    ## Limitations
    `setup.py`/`setup.cfg` `install_requires`, Pipfile and lock files are not read; nor are
    Python imports of these modules. A conda environment file is recognised by its name
    (`environment*.yml`, `conda*.yml`) or by a top-level `dependencies:` key.

    ## References
    - NumPy on AArch64 (OpenBLAS wheels): https://numpy.org/install/
    - threadpoolctl: https://github.com/joblib/threadpoolctl
    - PEP 508 environment markers: https://peps.python.org/pep-0508/#environment-markers
    """

    code = "DP510"
    name = "intel-math-python-dependency"
    summary = "Python or conda dependency on an Intel math package"
    languages = frozenset({"pip-requirements", "yaml", "toml"})
    severity = Severity.ERROR
    impact = Impact.PACKAGING
    confidence = Confidence.HIGH
    tags = ("dependencies", "python", "math-library", "mkl")
    effort_minutes = 30
    prefilter = (b"mkl", b"MKL", b"intel", b"daal", b"ipp")

    def check_file(self, ctx):
        base = ctx.path.rsplit("/", 1)[-1]
        masked = ctx.masked
        if ctx.language == "pip-requirements":
            matches = _REQ_LINE.finditer(masked)
        elif ctx.language == "yaml":
            if not (_ENV_FILE.fullmatch(base) or _CONDA_SHAPE.search(masked)):
                return
            matches = _YAML_ITEM.finditer(masked)
        elif base == "pyproject.toml":
            matches = _TOML_REQ.finditer(masked)
        else:
            return
        for m in matches:
            rest = m.groupdict().get("rest") or ""
            if _X86_MARKER.search(rest):
                continue
            if m.groupdict().get("blas"):
                name, start, end = "mkl", m.start("blas"), m.end()
                shown = masked[m.start("blas") : m.end()].strip().strip("\"'")
            else:
                group = "name" if m.group("name") else "key"
                name, start, end = m.group(group), m.start(group), m.end(group)
                shown = name
            advice = mathlibs.lookup_python_package(name)
            if advice is None:
                continue
            yield ctx.finding(
                self, start, end,
                f"`{shown}` ({advice.library}) has no AArch64 build ({advice.note}): installing this "
                "environment on AArch64 fails here",
                advice.help_text(),
                properties={"package": advice.call, "library": advice.library, "migration": advice.as_properties()},
            )
