"""The "5x32" teacher networks and the sine target (§2.2, §2.6)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from relurepro.numerics import seed_everything
from relurepro.uniform_accuracy.models import StackedMLP, linear_stack

TEACHER_WIDTH, TEACHER_DEPTH = 32, 5

# First three first-layer weights and u(0) of a few teachers (§2.2): a changed construction order shows here.
FINGERPRINT = {
    (1, 0): ([0.181061, -0.405958, -0.308786], -0.772050),
    (1, 1): ([-0.457049, -0.328605, -0.224532], -0.586570),
    (1, 2): ([-0.039873, 0.251161, 0.109438], -0.184603),
    (1, 39): ([0.384513, -0.428949, -0.039092], -0.148616),
    (3, 0): ([-0.354844, 0.235091, 0.381862], 1.284973),
}


def build_teacher(d: int, seed: int) -> list[nn.Linear]:
    """Teacher `seed` in the original's construction order: seed Python, NumPy and torch; build the five layers
    on the CPU in float32 (the default init runs first and consumes random numbers); then re-initialise input to
    output, weight then bias, from U[-0.5, 0.5]. Generating in float64 directly would give other weights."""
    seed_everything(seed)
    layers = linear_stack(d, TEACHER_WIDTH, TEACHER_DEPTH)
    for layer in layers:
        nn.init.uniform_(layer.weight, -0.5, 0.5)
        nn.init.uniform_(layer.bias, -0.5, 0.5)
    return layers


def fingerprint(d: int, seed: int, layers: list[nn.Linear]) -> dict:
    """First three first-layer weights and the value at 0 (float64), with the published check where known."""
    with torch.no_grad():
        net = StackedMLP.from_nets([layers], standardize=False)
        u0 = float(net(torch.zeros(1, d, dtype=torch.float64))[0, 0])
    first = [float(v) for v in layers[0].weight.detach().flatten()[:3]]
    row = {"d": d, "seed": seed, "w0": first[0], "w1": first[1], "w2": first[2], "u0": u0, "expected": "",
           "matches": ""}
    if (d, seed) in FINGERPRINT:
        exp_w, exp_u0 = FINGERPRINT[(d, seed)]
        row["expected"] = " ".join(f"{v:.6f}" for v in [*exp_w, exp_u0])
        row["matches"] = all(abs(a - b) < 5e-7 for a, b in zip([*first, u0], [*exp_w, exp_u0]))
    return row


def save_teachers(d: int, seeds: list[int], path: str | Path) -> list[dict]:
    """Build and store teachers `seeds` of dimension d (float32 state, as the original keeps them); returns
    their fingerprints. Fails if a teacher with a published fingerprint does not match it."""
    teachers = {seed: build_teacher(d, seed) for seed in seeds}
    prints = [fingerprint(d, seed, layers) for seed, layers in teachers.items()]
    bad = [p for p in prints if p["matches"] is False]
    if bad:
        raise RuntimeError(f"teacher construction changed: fingerprints {bad} differ from the published ones")
    state = {seed: [(lin.weight.detach().clone(), lin.bias.detach().clone()) for lin in layers]
             for seed, layers in teachers.items()}
    torch.save({"d": d, "seeds": list(seeds), "state": state}, path)
    Path(path).with_suffix(".json").write_text(json.dumps(prints, indent=1))
    return prints


def load_teachers(path: str | Path, seeds: list[int], dtype=torch.float64, device="cpu") -> StackedMLP:
    """Teachers `seeds` (repeats allowed, one per student) stacked, cast to `dtype` as when the original uses them."""
    stored = torch.load(path, weights_only=True)
    missing = [s for s in seeds if s not in stored["state"]]
    if missing:
        raise KeyError(f"{path}: no teachers {missing} (stored: {stored['seeds']})")
    # Stacked straight from the stored tensors (building nn.Linear first would also draw from torch's generator).
    to = {"dtype": dtype, "device": device}
    n_layers = len(stored["state"][seeds[0]])
    weights = [torch.stack([stored["state"][s][i][0] for s in seeds]).to(**to) for i in range(n_layers)]
    biases = [torch.stack([stored["state"][s][i][1] for s in seeds]).unsqueeze(1).to(**to) for i in range(n_layers)]
    teachers = StackedMLP(weights, biases, standardize=False)
    teachers.requires_grad_(False)
    return teachers


class SineTarget(nn.Module):
    """u(x) = log(sin(50x) + 2) + sin(5x) on [-0.5, 0.5] (§2.6), for K copies: (K, n, 1) or (n, 1) -> (K, n)."""

    def __init__(self, copies: int = 1):
        super().__init__()
        self.copies = copies

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[..., 0]
        u = torch.log(torch.sin(50 * x) + 2) + torch.sin(5 * x)
        return u.expand(self.copies, -1) if u.dim() == 1 else u

    def select(self, index) -> "SineTarget":
        return SineTarget(len(index))

