"""Two results/ trees compared file by file: what a refactor's "no behaviour change" (tools/compare_results) and a
rerun's determinism (tools/determinism_check) rest on.

CSVs are compared cell by cell as the text written, so a change in the last printed digit counts, leaving out the
columns that measure the job's process rather than compute a result (`PROCESS_COLUMNS`). Torch files are compared
tensor by tensor, NumPy archives array by array, anything else byte by byte. TensorBoard event logs hold
wall-clock times and are left out.
"""

from __future__ import annotations

import csv
from pathlib import Path

# Wall time (relurepro.training's seconds, leaf's duration and timings) and the memory of the process
# (ro_memory's peak and baseline: on the CPU the resident set, which the allocator and the run order move).
PROCESS_COLUMNS = ("seconds", "duration", "it_time", "startup_s", "start_time", "end_time", "peak_mib",
                   "baseline_mib")
SKIPPED_FOLDERS = ("tensorboard",)  # event files named and stamped by wall-clock time


def files(root: Path) -> set[Path]:
    """The files under `root` that are compared (relative paths)."""
    return {p.relative_to(root) for p in Path(root).rglob("*")
            if p.is_file() and not set(SKIPPED_FOLDERS) & set(p.relative_to(root).parts)}


def differences(before: Path, after: Path, ignore=PROCESS_COLUMNS) -> list[str]:
    """One line per file that differs between the two trees or is in one only (relative paths; empty when all are
    identical)."""
    before, after = Path(before), Path(after)
    ones, twos = files(before), files(after)
    found = []
    for name in sorted(ones | twos):
        if name not in ones or name not in twos:
            found.append(f"{name}: only in {'after' if name not in ones else 'before'}")
            continue
        diff = _difference(before / name, after / name, set(ignore))
        if diff:
            found.append(f"{name}: {diff}")
    return found


def _difference(a: Path, b: Path, ignore: set[str]) -> str | None:
    if a.suffix == ".csv":
        return _csv_difference(a, b, ignore)
    if a.suffix == ".pt":
        from relurepro import checkpoints  # weights only: a results file never runs code when it is read

        same = _same_object(*(checkpoints.load(p, map_location="cpu") for p in (a, b)))
        return None if same else "tensors differ"
    if a.suffix == ".npz":
        import numpy as np

        with np.load(a) as x, np.load(b) as y:  # no pickles: reading a result never runs code
            same = x.files == y.files and all(
                np.array_equal(x[k], y[k], equal_nan=x[k].dtype.kind in "fc") for k in x.files)
        return None if same else "arrays differ"
    return None if a.read_bytes() == b.read_bytes() else "bytes differ"


def _table(path: Path, ignore: set[str]) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], []
    keep = [i for i, name in enumerate(rows[0]) if name not in ignore]
    return [rows[0][i] for i in keep], [[row[i] if i < len(row) else "" for i in keep] for row in rows[1:]]


def _csv_difference(a: Path, b: Path, ignore: set[str]) -> str | None:
    (head_a, rows_a), (head_b, rows_b) = _table(a, ignore), _table(b, ignore)
    if head_a != head_b:
        return f"columns differ: {head_a} vs {head_b}"
    if len(rows_a) != len(rows_b):
        return f"{len(rows_a)} rows vs {len(rows_b)}"
    for i, (ra, rb) in enumerate(zip(rows_a, rows_b)):
        if ra != rb:
            col = next(j for j, (x, y) in enumerate(zip(ra, rb)) if x != y)
            return f"row {i + 1}, column {head_a[col]}: {ra[col]!r} vs {rb[col]!r}"
    return None


def _same_object(x, y) -> bool:
    """Tensors (dtype, shape and values, NaN equal to NaN), nested in dicts, lists and tuples, and plain values."""
    import torch

    if torch.is_tensor(x) or torch.is_tensor(y):
        if not (torch.is_tensor(x) and torch.is_tensor(y) and x.dtype == y.dtype and x.shape == y.shape):
            return False
        if x.is_floating_point() or x.is_complex():  # NaN at the same places, the rest equal
            nan = x.isnan()
            return torch.equal(nan, y.isnan()) and torch.equal(x[~nan], y[~nan])
        return torch.equal(x, y)
    if isinstance(x, dict) or isinstance(y, dict):
        return isinstance(x, dict) and isinstance(y, dict) and x.keys() == y.keys() and all(
            _same_object(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(_same_object(p, q) for p, q in zip(x, y))
    return bool(x == y) or (x != x and y != y)  # NaN equals NaN here
