"""Figure manifests: `figures/<paper>/all` and `figures/all`, one tab-separated line per figure."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

COLUMNS = ["figure", "path", "sha256", "scale", "deviations", "claims"]


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def paper_rows(paper: str, figures: dict[str, list[str]], paths: list[str], scale: str,
               claims: dict[str, str] | None = None) -> list[dict]:
    """Manifest rows of one paper; `figures` maps figure id -> labelled deviations, `paths` are their PDFs,
    `claims` figure id -> 'passed/total' of its checked claims."""
    by_id = {Path(p).stem: p for p in paths}
    missing = set(figures) - set(by_id)
    if missing:
        raise ValueError(f"{paper}: no PDF for figures {sorted(missing)}")
    return [
        {"figure": f"{paper}/{fid}", "path": by_id[fid], "sha256": sha256(by_id[fid]), "scale": scale,
         "deviations": "; ".join(devs) or "none", "claims": (claims or {}).get(fid, "none")}
        for fid, devs in figures.items()
    ]


def write(rows: list[dict], out: str | Path) -> None:
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read(path: str | Path) -> list[dict]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path}: not a figure manifest (columns {reader.fieldnames})")
        return list(reader)
