"""Built-in rule packs. Each rule lives in its own module under a family package; this
module finds them, so adding a rule never means editing a second list."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from archport.rule import Rule

_FAMILIES = ("archport", "c_cpp", "assembly", "containers", "build", "dependencies", "go", "rust", "fortran", "java", "csharp", "python", "binaries")


def builtin_rules() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for family in _FAMILIES:
        package = importlib.import_module(f"{__name__}.{family}")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, Rule)
                    and obj.__module__ == module.__name__
                    and "code" in vars(obj)
                ):
                    found.append(obj)
    return found
