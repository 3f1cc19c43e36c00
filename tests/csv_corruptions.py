"""Corrupted copies of a valid CSV, for the schema tests: each must fail naming the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def corruptions(text: str, column: str) -> dict[str, str]:
    """name -> corrupted text: the last row duplicated, `column` of the first row mistyped, an extra column, the
    header alone."""
    header, *rows = text.rstrip("\n").split("\n")
    names = header.split(",")
    first = rows[0].split(",")
    first[names.index(column)] = "oops"
    return {"duplicated row": text + rows[-1] + "\n",
            "wrong type": "\n".join([header, ",".join(first), *rows[1:]]) + "\n",
            "extra column": "\n".join([header + ",extra", *(r + ",1" for r in rows)]) + "\n",
            "header only": header + "\n"}


def assert_rejected(path: Path, text: str, read, match: str = "") -> None:
    """`read(path)` of `text` fails with a ValueError that names `path` (and matches `match`)."""
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + match):
        read(path)
