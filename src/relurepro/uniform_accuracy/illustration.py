"""Zoom windows of the illustration (spec 3): around the largest interior maxima of |model - target|.

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
