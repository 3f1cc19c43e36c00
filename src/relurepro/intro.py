"""The introduction experiment of relu_prime (spec 3.1 intro_weight_diff, 3.2 intro_min_activation).

Three MLPs 784-2000-128-10 start from the same weights: net1 with ReLU'(0)=1 (``ReLUAlpha(1)``, set mode),
net2 and net3 with native ReLU (ReLU'(0)=0). All three take plain SGD steps on the same unshuffled batches.
Per iteration, after the three backward passes and *before* the SGD step, we record the L1 distance of the
parameters of net1 and net3 to net2 ("1 vs 0", "0 vs 0") and the smallest |pre-activation| of net1's first
layer. Distances recorded at iteration t therefore reflect the steps 0..t-1: a gradient difference caused
by an exact zero at iteration k first shows as difference12 > 0 at iteration k+1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from relurepro.activations import ReLUAlpha
from relurepro.data import TensorData
from relurepro.models.mlp import mlp
from relurepro.numerics import count_exact_zeros, dtype_for_bits

COLUMNS = ["iteration", "epoch", "batch", "difference12", "difference23", "active1", "zeros1", "zeros2", "bits"]


def intro_lr(numpy_seed: int = 12345) -> float:
    """lr = 0.01 (1 + U/5), U the first uniform draw of NumPy's legacy generator seeded with `numpy_seed`."""
    return 0.01 * (1 + np.random.RandomState(numpy_seed).uniform() / 5)


def _forward(net: nn.Sequential, x: torch.Tensor):
    """Logits and the inputs of every activation (the hidden pre-activations), in order."""
    preacts = []
    for layer in net:
        if not isinstance(layer, (nn.Linear, nn.Flatten)):
            preacts.append(x)
        x = layer(x)
    return x, preacts


def _l1_distance(a: nn.Module, b: nn.Module) -> float:
    """Sum over all Linear weights and biases of the L1 norm of a - b."""
    with torch.no_grad():
        return float(sum((p - q).abs().sum() for p, q in zip(a.parameters(), b.parameters())))


def _batch_starts(n: int, batch_size: int, iterations: int):
    """(epoch, batch index, start) for each iteration: the data walked in order, pass after pass."""
    per_epoch = -(-n // batch_size)  # the last, smaller batch is kept (DataLoader default)
    for it in range(iterations):
        epoch, b = divmod(it, per_epoch)
        yield epoch, b, b * batch_size


def weight_diff_trace(data: TensorData, bits: int, iterations: int, *, numpy_seed: int = 12345,
                      torch_seed: int = 123, hidden=(2000, 128), batch_size: int = 128, device="cpu",
                      progress=None) -> pd.DataFrame:
    """Train the three nets for `iterations` SGD steps and return one row per iteration (see COLUMNS).

    64 bit: the nets (initialised in float32 under `torch_seed`, as in the original) and the inputs are cast
    to float64, with float64 as torch's default dtype during the run. `progress(it, row)` is called after
    every iteration when given.
    """
    dtype = dtype_for_bits(bits)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"the intro experiment runs in 32 or 64 bit, not {bits}")
    lr = intro_lr(numpy_seed)
    torch.manual_seed(torch_seed)
    in_features = int(np.prod(data.x.shape[1:]))
    net1 = mlp(in_features, list(hidden), 10, lambda: ReLUAlpha(1.0, mode="set"))
    net2 = mlp(in_features, list(hidden), 10, nn.ReLU)
    net3 = mlp(in_features, list(hidden), 10, nn.ReLU)
    net2.load_state_dict(net1.state_dict())
    net3.load_state_dict(net1.state_dict())
    nets = [net.to(device=device, dtype=dtype) for net in (net1, net2, net3)]
    opts = [torch.optim.SGD(net.parameters(), lr=lr, momentum=0.0) for net in nets]
    x_all = data.x.to(device=device, dtype=dtype)
    y_all = data.y.to(device)
    loss_fn = nn.CrossEntropyLoss()

    rows = []
    old_default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        for it, (epoch, b, start) in enumerate(_batch_starts(len(data), batch_size, iterations)):
            x, y = x_all[start:start + batch_size], y_all[start:start + batch_size]
            for k, (net, opt) in enumerate(zip(nets, opts)):
                opt.zero_grad()
                logits, preacts = _forward(net, x)
                loss_fn(logits, y).backward()
                if k == 0:
                    z1, z2 = preacts[0].detach(), preacts[1].detach()
            row = {
                "iteration": it, "epoch": epoch, "batch": b,
                "difference12": _l1_distance(net1, net2),
                "difference23": _l1_distance(net3, net2),
                "active1": float(z1.abs().min()),
                "zeros1": count_exact_zeros(z1), "zeros2": count_exact_zeros(z2), "bits": int(bits),
            }
            rows.append(row)
            for opt in opts:
                opt.step()
            if progress:
                progress(it, row)
    finally:
        torch.set_default_dtype(old_default)
    trace = pd.DataFrame(rows, columns=COLUMNS)
    trace.attrs.update(lr=lr, first_zero_iteration=first_zero_iteration(trace))
    return trace


def first_zero_iteration(trace: pd.DataFrame, column: str = "zeros1") -> int | None:
    """The first iteration with an exact zero in `column` (first-layer pre-activations by default), or None."""
    hits = trace.loc[trace[column] > 0, "iteration"]
    return int(hits.iloc[0]) if len(hits) else None


def first_divergence_iteration(trace: pd.DataFrame) -> int | None:
    """The first iteration whose recorded difference12 is not exactly 0, or None."""
    hits = trace.loc[trace["difference12"] != 0, "iteration"]
    return int(hits.iloc[0]) if len(hits) else None

