"""Zoom windows of the illustration (§3): around the largest interior maxima of |model - target|.

The global maximum may sit at the domain edge outside the samples' hull, which is not the figure's message, so
only points between the smallest and the largest sample count, and a window must lie inside the samples' hull;
each window spans a few sample gaps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW_COLUMNS = ["window", "x", "error", "lo", "hi", "interior_linf", "global_linf", "l2"]


def local_maxima(err: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of err (plateaus count once), largest first."""
    left = np.r_[True, err[1:] > err[:-1]]
    right = np.r_[err[:-1] >= err[1:], True]
    idx = np.flatnonzero(left & right)
    return idx[np.argsort(-err[idx], kind="stable")]


def zoom_windows(x: np.ndarray, model: np.ndarray, target: np.ndarray, samples_x: np.ndarray, *, count: int = 2,
                 gaps: int = 3) -> pd.DataFrame:
    """`count` windows centred on the largest interior local maxima of |model - target|, each spanning about
    2 * `gaps` mean sample gaps, not overlapping; with the interior and global L-infinity and the L2 error."""
    err = np.abs(model - target)
    s = np.sort(samples_x)
    half = gaps * (s[-1] - s[0]) / max(1, len(s) - 1)
    interior = (x >= s[0]) & (x <= s[-1])
    centres = (x - half >= s[0]) & (x + half <= s[-1])  # a window shows samples on both sides
    picked: list[int] = []
    for i in local_maxima(np.where(centres, err, -np.inf)):
        if not centres[i]:
            break
        if all(abs(x[i] - x[j]) > 2 * half for j in picked):
            picked.append(i)
        if len(picked) == count:
            break
    rows = [{"window": k + 1, "x": float(x[i]), "error": float(err[i]), "lo": float(x[i] - half),
             "hi": float(x[i] + half)} for k, i in enumerate(picked)]
    table = pd.DataFrame(rows, columns=WINDOW_COLUMNS[:5])
    return table.assign(interior_linf=float(err[interior].max()), global_linf=float(err.max()),
                        l2=float(np.sqrt(np.mean(err ** 2))))


def windows_schema():
    """illustration_windows.csv (rule ua_illustration, `zoom_windows`): windows 1..n around their centre x, each
    error at most the interior L-infinity, which is at most the global one; the run's errors on every row."""
    import pandera.pandas as pa

    error = pa.Column(float, pa.Check.ge(0), coerce=True)
    run = ["interior_linf", "global_linf", "l2"]
    return pa.DataFrameSchema({
        "window": pa.Column(int, pa.Check.ge(1)), "x": pa.Column(float, coerce=True), "error": error,
        "lo": pa.Column(float, coerce=True), "hi": pa.Column(float, coerce=True), "interior_linf": error,
        "global_linf": error, "l2": error,
    }, strict=True, ordered=True, unique=["window"], checks=[
        pa.Check(lambda t: t["window"] == pd.Series(range(1, len(t) + 1), index=t.index), error="windows 1..n"),
        pa.Check(lambda t: (t["lo"] < t["x"]) & (t["x"] < t["hi"]), error="lo < x < hi"),
        pa.Check(lambda t: (t["error"] <= t["interior_linf"]) & (t["interior_linf"] <= t["global_linf"])
                 & (t["l2"] <= t["global_linf"]), error="error <= interior_linf <= global_linf, l2 <= global_linf"),
        pa.Check(lambda t: (t[run].nunique() == 1).all(), error="one run's errors on every row"),
    ])


def read_windows(path) -> pd.DataFrame:
    """illustration_windows.csv checked against `windows_schema` (a violation names the file and its lines)."""
    from relurepro import schemas

    return schemas.read(path, windows_schema())
