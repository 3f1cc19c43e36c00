"""Code run in a fresh interpreter, for the packed-run tests: a run trained "alone" must share nothing with the
test process (no imported module, seeded generator or torch setting carries over)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def run_fresh(code: str, out: Path) -> None:
    """Make folder `out` and run `code` in a new Python with only this checkout's src importable; `out` is its
    sys.argv[1]."""
    out.mkdir()
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, capture_output=True,
                   env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
