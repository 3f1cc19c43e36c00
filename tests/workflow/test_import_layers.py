"""The library's layers, checked on its source: a paper never imports another paper, the core never imports a
paper, and what the workflow imports while planning needs neither torch nor matplotlib (planning stays fast and
runs where neither is installed)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "relurepro"
PAPERS = ("relu_prime", "uniform_accuracy", "resnet_ode", "leaf", "constnet")
# The cost estimate prices every paper's jobs from their plan-time descriptions: it may read the papers' grids.
COST_MAY_IMPORT = {f"relurepro.{paper}.grid" for paper in PAPERS}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every relurepro module or name `path` imports, anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {n for n in found if n.startswith("relurepro.")}


def paper_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PAPERS else None


def violations(here: str, names: set[str]) -> list[str]:
    """The imports of module `here` that cross a layer: into another paper, or from the core into a paper."""
    own, bad = paper_of(here), []
    for name in sorted(names):
        other = paper_of(name)
        if other is None or other == own:
            continue
        if here.startswith("relurepro.cost.") and any(name.startswith(m) for m in COST_MAY_IMPORT):
            continue
        bad.append(f"{'paper ' + own if own else 'the core'} imports {name}")
    return bad


LIBRARY = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(SRC)))
def test_layers(path):
    assert not violations(module_name(path), imports(path)), path.relative_to(REPO)


def test_the_layer_check_is_not_vacuous(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from relurepro.constnet.models import ConstNet\n")
    assert imports(probe) == {"relurepro.constnet.models.ConstNet"}
    assert violations("relurepro.leaf.training", imports(probe))  # paper -> paper
    assert violations("relurepro.training", imports(probe))  # core -> paper
    assert not violations("relurepro.constnet.training", imports(probe))  # within its paper
    assert not violations("relurepro.cost.work", {"relurepro.constnet.grid.Run"})  # cost reads grids
    assert violations("relurepro.cost.work", {"relurepro.constnet.training.train"})


def plan_time_modules() -> list[str]:
    """The relurepro modules the workflow imports while planning (Snakefile and rule files), and the pipeline
    package."""
    text = "\n".join(p.read_text() for p in [REPO / "Snakefile", *sorted((REPO / "workflow").glob("*.smk"))])
    names = set(re.findall(r"^\s*from (relurepro[\w.]*) import", text, re.M))
    for listed in re.findall(r"^\s*from relurepro import ([\w, ]+)", text, re.M):
        names |= {f"relurepro.{m.split(' as ')[0].strip()}" for m in listed.split(",")}
    names |= {module_name(p) for p in (SRC / "pipeline").glob("*.py") if p.stem != "jobs"}  # jobs: job-time
    return sorted(names)


def test_planning_imports_neither_torch_nor_matplotlib():
    modules = plan_time_modules()
    assert "relurepro.pipeline.config" in modules and len(modules) >= 5
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'matplotlib'):\n"
        "            raise ImportError(f'plan time imported {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
    )
    run = subprocess.run([sys.executable, "-c", blocker], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def test_the_blocker_catches_torch():
    run = subprocess.run([sys.executable, "-c", "import sys\nclass B:\n    def find_spec(self, n, p=None, t=None):\n"
                          "        if n.split('.')[0] == 'torch':\n            raise ImportError(n)\n"
                          "sys.meta_path.insert(0, B())\nimport relurepro.data\n"],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and "ImportError" in run.stderr
