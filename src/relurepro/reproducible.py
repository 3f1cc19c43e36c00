"""Reproducible output files: a rebuild from the same inputs is byte-identical (no build times in figures,
executed notebooks or their HTML).

- matplotlib stamps PDFs (CreationDate) and SVGs (dc:date) with the build time unless SOURCE_DATE_EPOCH is
  set; `pin_source_date` sets it for this process and every job it starts (the library does so on import, the
  workflow before any job). Its PNGs carry no time.
- R's pdf device has no such switch: scripts/reproducible.R overwrites its dates after saving.
- papermill records start/end times and durations, the kernel its message times, and the injected-parameters
  cell gets a random id: `strip_notebook_times` removes or fixes them in the executed notebook, so its HTML
  export is reproducible too. Run by the papermill rules as `python -m relurepro.strip_notebook NOTEBOOK...`.

Standard library only: the notebook environment runs this module without the project's dependencies.
"""

from __future__ import annotations

import json
import os

# 1970-01-01T00:00:00Z; R's side (scripts/reproducible.R) falls back to the same value.
SOURCE_DATE_EPOCH = "0"
# papermill's per-notebook and per-cell timing keys (under metadata.papermill).
PAPERMILL_TIMES = ("start_time", "end_time", "duration")
INJECTED = "injected-parameters"


def pin_source_date() -> None:
    """Set SOURCE_DATE_EPOCH unless the caller chose one (then that one is honoured)."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)


def _drop_times(metadata: dict) -> None:
    papermill = metadata.get("papermill")
    if isinstance(papermill, dict):
        for key in PAPERMILL_TIMES:
            papermill.pop(key, None)
    metadata.pop("execution", None)  # the kernel's iopub/shell message times


def strip_notebook_times(nb: dict) -> dict:
    """Remove the execution times from an executed notebook (JSON dict, changed in place and returned) and give
    papermill's injected-parameters cell a fixed id. Outputs, parameters and execution counts stay."""
    _drop_times(nb.setdefault("metadata", {}))
    for cell in nb.get("cells", []):
        _drop_times(cell.setdefault("metadata", {}))
        if "id" in cell and INJECTED in cell["metadata"].get("tags", []):
            cell["id"] = INJECTED  # papermill draws a random one per run; the HTML export shows it
    return nb


def strip_notebook_file(path: str) -> None:
    """`strip_notebook_times` on a notebook file, rewritten in nbformat's own layout."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    text = json.dumps(strip_notebook_times(nb), sort_keys=True, indent=1, separators=(",", ": "),
                      ensure_ascii=False)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")

