"""The linear residual network of Figure 2 (§2.6d, §3.1): X = Id (Id + A_1/N) ... (Id + A_N/N) fitted to a
random target by plain SGD from A = 0; the weights stay smooth in depth."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from relurepro.numerics import seed_everything


@dataclass
class LinearRun:
    target: torch.Tensor  # B (d, d)
    weights: list[torch.Tensor]  # A_k (N, d, d) before update k, k = 0 .. stop
    losses: list[tuple[int, float]]  # (step, loss) at every check


def product(a: torch.Tensor) -> torch.Tensor:
    """Id (Id + A_1/N) ... (Id + A_N/N), multiplied on the right in layer order."""
    n, d, _ = a.shape
    eye = torch.eye(d, dtype=a.dtype)
    x = eye
    for layer in a:
        x = x @ (eye + layer / n)
    return x


def train_linear(d: int = 2, n: int = 100, seed: int = 6, lr: float = 100.0, max_steps: int = 10_000,
                 check_every: int = 100, tol: float = 1e-5) -> LinearRun:
    """The original recipe: seed 6, B = Id + randn(d, d), A = 0, SGD(lr); A is copied before every update and
    training stops at the first check (every `check_every` steps) with loss < `tol`."""
    seed_everything(seed)
    target = torch.eye(d) + torch.randn(d, d)
    a = torch.zeros(n, d, d, requires_grad=True)
    optimizer = torch.optim.SGD([a], lr=lr)
    weights, losses = [], []
    for k in range(max_steps + 1):
        weights.append(a.detach().clone())
        loss = ((product(a) - target) ** 2).mean()
        if k % check_every == 0:
            losses.append((k, loss.item()))
            if loss.item() < tol:
                break
        if k == max_steps:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return LinearRun(target, weights, losses)


def roughness(a: torch.Tensor) -> float:
    """max_n ||A_{n+1} - A_n|| (Frobenius): O(1/N) when the weights are smooth in depth."""
    return float((a[1:] - a[:-1]).flatten(1).norm(dim=1).max())


def summary_schema():
    """linear/summary.csv (rule ro_linear): one row per depth N; `recorded` weight snapshots, the last at
    stop_step."""
    import pandera.pandas as pa

    loss = pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True)  # NaN where SGD diverged
    return pa.DataFrameSchema({
        "N": pa.Column(int, pa.Check.ge(1)), "lr": pa.Column(float, pa.Check.gt(0), coerce=True),
        "loss_step0": loss, "final_loss": loss, "converged": pa.Column(bool),
        "stop_step": pa.Column(int, pa.Check.ge(0)), "recorded": pa.Column(int, pa.Check.ge(1)),
        "roughness": loss,
    }, strict=True, ordered=True, unique=["N"], checks=[
        pa.Check(lambda d: d["stop_step"] == d["recorded"] - 1, error="stop_step = recorded - 1"),
    ])


def read_summary(path, rows: int | None = None):
    """linear/summary.csv checked against `summary_schema` (a violation names the file and its lines)."""
    from relurepro import schemas

    return schemas.read(path, summary_schema(), rows=rows)


def weights_schema():
    """linear/weights.csv (rule ro_linear): every entry (i, j) of every layer's matrix at every recorded step, of
    one depth N: steps 0..k-1, layers 0..N-1, a square d x d matrix."""
    import pandera.pandas as pa

    index = pa.Column(int, pa.Check.ge(0))
    return pa.DataFrameSchema({
        "N": pa.Column(int, pa.Check.ge(1)), "step": index, "layer": index, "i": index, "j": index,
        "value": pa.Column(float, coerce=True, nullable=True),  # NaN where SGD diverged
    }, strict=True, ordered=True, unique=["N", "step", "layer", "i", "j"], checks=[
        pa.Check(lambda t: t["N"].nunique() == 1, error="one depth N"),
        pa.Check(lambda t: (t["layer"] < t["N"]) & (t["i"] <= t["j"].max()) & (t["j"] <= t["i"].max()),
                 error="layer < N, square matrices"),
        pa.Check(lambda t: len(t) == (t["step"].max() + 1) * t["N"].iloc[0] * (t["i"].max() + 1) ** 2,
                 error="every entry of every layer at steps 0..k-1"),
    ])


def read_weights(path):
    """linear/weights.csv checked against `weights_schema` (a violation names the file and its lines)."""
    from relurepro import schemas

    return schemas.read(path, weights_schema())
