"""Weight correlations (§2.9) and symmetry diagnostics (§2.11).

For a weight W [out, in, kh, kw] (a linear layer [out, in] counts as kh = kw = 1) three row sets are correlated:
"correlations" every (out, in) kernel flattened (1 value for 1x1 convs and fc: degenerate, always 1), "forward"
one fan-in row per output unit, "backward" one fan-out row per input channel. The statistic c is the signed mean of
the strictly-lower triangle of the Pearson matrix, NaN entries (zero-variance rows) counted as 1.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

KINDS = ("correlations", "forward", "backward")


def _rows(w: np.ndarray, kind: str) -> np.ndarray:
    out, cin = w.shape[:2]
    if kind == "correlations":
        return w.reshape(out * cin, -1)
    if kind == "forward":
        return w.reshape(out, -1)
    if kind == "backward":
        return w.transpose(1, 0, 2, 3).reshape(cin, -1)
    raise ValueError(f"unknown correlation kind {kind!r}; choose one of {KINDS}")


def mean_correlation(rows: np.ndarray) -> float:
    """Signed mean of the strictly-lower triangle of np.corrcoef(rows), NaN -> 1. A single row has no pair: c = 1
    (one row is trivially 'fully correlated', as a width-1 layer).

    Computed without the k x k matrix (k = 5,000 rows made it ~3 s a layer, most of a ConstNet run's time): with
    z_i the centred rows scaled to unit norm, the off-diagonal sum of the Pearson matrix is |sum z_i|^2 - sum
    |z_i|^2. The NaN entries are those of rows whose centred values are all exactly 0, centred as np.cov centres
    them (the row mean subtracted), so the same rows count 1. Equal to the matrix form up to float64 rounding
    (tests/constnet/test_constnet_leakynet.py compares the two); clipped to [-1, 1] as np.corrcoef clips entries.
    """
    k = rows.shape[0]
    if k < 2:
        return 1.0
    centred = rows.astype(np.float64)
    centred = centred - centred.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", centred, centred))
    valid = norms > 0
    z = centred[valid] / norms[valid, None]
    v = int(valid.sum())
    total = z.sum(axis=0)
    valid_pairs = float(total @ total) - float(np.einsum("ij,ij->", z, z))  # ordered pairs i != j, both valid
    nan_pairs = k * (k - 1) - v * (v - 1)  # ordered pairs with a zero-variance row: NaN, counted as 1
    return float(np.clip((valid_pairs + nan_pairs) / (k * (k - 1)), -1.0, 1.0))


def weight_correlations(weight: torch.Tensor, max_rows: int = 5000,
                        rng: np.random.Generator | None = None) -> dict[str, float]:
    """c for each kind. More than `max_rows` rows: `max_rows` distinct rows drawn with `rng` (default: a generator
    seeded 0, so results are reproducible; the original drew them unseeded)."""
    w = weight.detach().cpu().double().numpy()
    if w.ndim == 2:
        w = w[:, :, None, None]
    if w.ndim != 4:
        raise ValueError(f"expected a conv [out, in, kh, kw] or linear [out, in] weight, got shape {tuple(w.shape)}")
    rng = np.random.default_rng(0) if rng is None else rng
    result = {}
    for kind in KINDS:
        rows = _rows(w, kind)
        if rows.shape[0] > max_rows:
            rows = rows[rng.choice(rows.shape[0], max_rows, replace=False)]
        result[kind] = mean_correlation(rows)
    return result


def neg_log_abs(c: float) -> float:
    """-ln|c| (the logged value; 0 for fully correlated, inf for c = 0)."""
    return math.inf if c == 0 else -math.log(abs(c))


def diversity(backward_cs) -> float:
    """sum over layers of ln sqrt(1 - c^2) of the backward correlations; -inf when some |c| = 1."""
    total = 0.0
    for c in backward_cs:
        v = 1.0 - c * c
        if v <= 0:
            return -math.inf
        total += 0.5 * math.log(v)
    return total


@torch.no_grad()
def symmetry_deviation(model: nn.Module) -> float:
    """max over nn.Conv2d layers of max|W[c] - W[0]| over output channels and (except the first conv, whose input
    channels are colours) over input channels, relative to max|W| (an all-zero layer counts 0). Exactly 0 iff every
    conv is channel-symmetric."""
    worst = 0.0
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    for k, conv in enumerate(convs):
        w = conv.weight.detach()
        top = w.abs().max()
        if top == 0:
            continue
        d = (w - w[:1]).abs().max()
        if k > 0:
            d = torch.maximum(d, (w - w[:, :1]).abs().max())
        worst = max(worst, float(d / top))
    return worst


def distinct_channels(features: torch.Tensor) -> int:
    """Number of bitwise-distinct columns (channels) of a (B, C) feature tensor."""
    a = np.ascontiguousarray(features.detach().cpu().numpy().T)
    return len({col.tobytes() for col in a})
