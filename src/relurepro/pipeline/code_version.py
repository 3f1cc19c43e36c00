"""Which library code a job runs, as one hash: Snakemake tracks a rule's script, not the modules it imports, so a
fix in `src/relurepro/` would otherwise never reach existing results. The Snakefile gives every script rule this
fingerprint as a param (`library_code`); a changed param reruns the job. Torch-free: computed while planning."""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

PACKAGE = "relurepro"
ROOT = Path(__file__).resolve().parents[1]  # src/relurepro


def _module_file(name: str, root: Path) -> Path | None:
    """The source file of module `name` (dotted, starting with the package) under `root`, or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache  # one parse per file while planning: ~70 script rules share most modules
def _imported_modules(path: Path, root: Path) -> frozenset[str]:
    """Dotted names of the package's modules that `path` imports anywhere in its body (also inside functions)."""
    here = ".".join((PACKAGE, *path.relative_to(root).with_suffix("").parts)) if path.is_relative_to(root) else ""
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importing module's package upwards
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return frozenset(n for n in names if n.split(".")[0] == PACKAGE)


@functools.cache
def library_files(script: Path, root: Path = ROOT) -> tuple[Path, ...]:
    """The package's source files that `script` imports, directly or through other modules (parent packages'
    __init__ files included, as Python runs them), sorted."""
    seen: set[Path] = set()
    todo = [Path(script)]
    while todo:
        for name in _imported_modules(todo.pop(), root):
            parts = name.split(".")
            for k in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                found = _module_file(".".join(parts[:k]), root)
                if found is not None and found not in seen:
                    seen.add(found)
                    todo.append(found)
    return tuple(sorted(seen))


def fingerprint(script: str | Path, root: Path = ROOT) -> str:
    """A short hash of the contents (and package paths) of every library file `script` imports."""
    digest = hashlib.sha256()
    for path in library_files(Path(script).resolve(), root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
