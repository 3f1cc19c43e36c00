"""The introduction experiment of relu_prime (§3.1-3.4).

Three MLPs start from the same weights: net1 with derivative 1 at the kink (``ReLUAlpha(1)``, set mode), net2
and net3 with the native activation (derivative 0 there). All three take plain SGD steps on the same unshuffled
batches. Per iteration, after the three backward passes and *before* the SGD step, we record the L1 distance of
the parameters of net1 and net3 to net2 ("1 vs 0", "0 vs 0") and the smallest |pre-activation| of net1's first
layer. Distances recorded at iteration t therefore reflect the steps 0..t-1: a gradient difference caused by an
exact zero at iteration k first shows as difference12 > 0 at iteration k+1.

Two set-ups (``SETUPS``): ``relu`` (784-2000-128-10, relu_prime §3.1/§3.2) and ``relu6`` (784-4000-256-10,
relu_prime §3.4: net1 has ``ReLU6AlphaBeta(1, 0)`` on layer 1 and ``(1, 1)`` on layer 2, net2/net3 native ReLU6;
the trace also follows the kink at 6). :func:`bifurcation_zone` is relu_prime §3.3: the |pre-activation| that hit
exactly 0, on a 2-D slice of first-layer weights around the point where it did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from relurepro.activations import ReLU6AlphaBeta, ReLUAlpha
from relurepro.data import TensorData
# The CSV columns live with their schemas in a torch-free module, which the notebooks read through.
from relurepro.relu_prime.intro_tables import COLUMNS, RELU6_COLUMNS, ZONE_COLUMNS  # noqa: F401
from relurepro.models.mlp import mlp
from relurepro.numerics import count_exact_zeros, dtype_for_bits

# The original notebooks' set-ups: widths and seeds (lr = 0.01 (1 + U/5), U from the NumPy seed).
SETUPS = {
    "relu": {"hidden": (2000, 128), "numpy_seed": 12345, "torch_seed": 123},
    "relu6": {"hidden": (4000, 256), "numpy_seed": 1234, "torch_seed": 13},
}


def intro_lr(numpy_seed: int = 12345) -> float:
    """lr = 0.01 (1 + U/5), U the first uniform draw of NumPy's legacy generator seeded with `numpy_seed`."""
    return 0.01 * (1 + np.random.RandomState(numpy_seed).uniform() / 5)


NATIVE = {"relu": nn.ReLU, "relu6": nn.ReLU6}


def _kinked(activation: str, layer: int) -> nn.Module:
    """net1's activation of hidden layer `layer` (0-based)."""
    if activation == "relu":
        return ReLUAlpha(1.0, mode="set")
    # Native ReLU6 has derivative 0 at 6 too: beta = 0 on layer 1 matches it, beta = 1 on layer 2 does not.
    return ReLU6AlphaBeta(1.0, 0.0 if layer == 0 else 1.0, mode="set")


def intro_nets(activation: str, in_features: int, hidden, torch_seed: int, out_features: int = 10):
    """net1 (derivative 1 at the kinks, see _kinked), net2 and net3 (native), with net1's initial weights.

    A hit of 6 in layer 1 of the relu6 nets changes no gradient; 0 anywhere and 6 in layer 2 do.
    """
    if activation not in NATIVE:
        raise ValueError(f"unknown intro activation {activation!r}; choose one of {sorted(NATIVE)}")
    torch.manual_seed(torch_seed)
    layer = iter(range(len(hidden)))
    net1 = mlp(in_features, list(hidden), out_features, lambda: _kinked(activation, next(layer)))
    net2 = mlp(in_features, list(hidden), out_features, NATIVE[activation])
    net3 = mlp(in_features, list(hidden), out_features, NATIVE[activation])
    net2.load_state_dict(net1.state_dict())
    net3.load_state_dict(net1.state_dict())
    return net1, net2, net3


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


def weight_diff_trace(data: TensorData, bits: int, iterations: int, *, activation: str = "relu",
                      numpy_seed: int | None = None, torch_seed: int | None = None, hidden=None,
                      batch_size: int = 128, device="cpu", progress=None) -> pd.DataFrame:
    """Train the three nets for `iterations` SGD steps and return one row per iteration (see COLUMNS, and
    RELU6_COLUMNS for relu6). Seeds and widths default to the activation's original set-up (SETUPS).

    64 bit: the nets (initialised in float32 under `torch_seed`, as in the original) and the inputs are cast
    to float64, with float64 as torch's default dtype during the run. `progress(it, row)` is called after
    every iteration when given.
    """
    dtype = dtype_for_bits(bits)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"the intro experiment runs in 32 or 64 bit, not {bits}")
    setup = _setup(activation, numpy_seed=numpy_seed, torch_seed=torch_seed, hidden=hidden)
    lr = intro_lr(setup["numpy_seed"])
    in_features = int(np.prod(data.x.shape[1:]))
    net1, net2, net3 = intro_nets(activation, in_features, setup["hidden"], setup["torch_seed"])
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
            if activation == "relu6":
                row.update(active1_6=float((z1 - 6).abs().min()), sixes1=int((z1 == 6).sum()),
                           sixes2=int((z2 == 6).sum()))
            rows.append(row)
            for opt in opts:
                opt.step()
            if progress:
                progress(it, row)
    finally:
        torch.set_default_dtype(old_default)
    trace = pd.DataFrame(rows, columns=RELU6_COLUMNS if activation == "relu6" else COLUMNS)
    trace.attrs.update(lr=lr, first_zero_iteration=first_zero_iteration(trace), activation=activation, **setup)
    return trace


def _setup(activation: str, **overrides) -> dict:
    """The original set-up of `activation` with any non-None override."""
    if activation not in SETUPS:
        raise ValueError(f"unknown intro activation {activation!r}; choose one of {sorted(SETUPS)}")
    setup = dict(SETUPS[activation])
    setup.update({k: v for k, v in overrides.items() if v is not None})
    setup["hidden"] = tuple(int(h) for h in setup["hidden"])
    return setup


def first_zero_iteration(trace: pd.DataFrame, column: str = "zeros1") -> int | None:
    """The first iteration with an exact zero in `column` (first-layer pre-activations by default), or None."""
    hits = trace.loc[trace[column] > 0, "iteration"]
    return int(hits.iloc[0]) if len(hits) else None


def first_kink_iteration(trace: pd.DataFrame) -> int | None:
    """The first iteration with a kink hit that makes net1's gradient differ from native: an exact 0 in layer
    1 or 2, and for relu6 also an exact 6 in layer 2 (net1 has derivative 0 at 6 in layer 1, as native)."""
    hit = (trace["zeros1"] > 0) | (trace["zeros2"] > 0)
    if "sixes2" in trace:
        hit |= trace["sixes2"] > 0
    hits = trace.loc[hit, "iteration"]
    return int(hits.iloc[0]) if len(hits) else None


def first_divergence_iteration(trace: pd.DataFrame) -> int | None:
    """The first iteration whose recorded difference12 is not exactly 0, or None."""
    hits = trace.loc[trace["difference12"] != 0, "iteration"]
    return int(hits.iloc[0]) if len(hits) else None



# --- relu_prime §3.3: the bifurcation zone ----------------------------------------------------------------------------

@dataclass
class ZeroHit:
    """Where training hit a first-layer pre-activation of exactly 0 (or came closest, see `exact_zero`)."""

    iteration: int
    sample: int
    neuron: int
    value: float
    zeros_in_batch: int
    weight: torch.Tensor  # first-layer weights at that iteration (float32)
    bias: torch.Tensor
    batch: torch.Tensor  # the batch's flattened inputs
    torch_seed: int
    numpy_seed: int

    @property
    def exact_zero(self) -> bool:
        return self.value == 0.0


def train_until_zero(data: TensorData, max_iterations: int, *, numpy_seed: int = 12345, torch_seed: int = 123,
                     hidden=(2000, 128), batch_size: int = 128) -> ZeroHit:
    """Retrain net1 (ReLU'(0) = 1) in float32 until the first iteration whose first-layer pre-activations hold
    an exact 0, and return it; without one in `max_iterations`, the iteration with the smallest |z| instead.

    Only net1 is trained: its trajectory depends on nothing else, so it is bitwise the net1 of the three-net
    run (weight_diff_trace) at the same iteration.
    """
    net = intro_nets("relu", int(np.prod(data.x.shape[1:])), hidden, torch_seed)[0]
    opt = torch.optim.SGD(net.parameters(), lr=intro_lr(numpy_seed), momentum=0.0)
    loss_fn = nn.CrossEntropyLoss()
    best = None
    for it, (_, _, start) in enumerate(_batch_starts(len(data), batch_size, max_iterations)):
        x, y = data.x[start:start + batch_size], data.y[start:start + batch_size]
        opt.zero_grad()
        logits, preacts = _forward(net, x)
        z1 = preacts[0].detach()
        value, flat = z1.abs().flatten().min(0)
        if best is None or float(value) < best.value:
            sample, neuron = divmod(int(flat), z1.shape[1])
            layer = net[1]
            best = ZeroHit(it, sample, neuron, float(value), count_exact_zeros(z1), layer.weight.detach().clone(),
                           layer.bias.detach().clone(), x.flatten(1).clone(), torch_seed, numpy_seed)
        if best.exact_zero:
            break
        loss_fn(logits, y).backward()
        opt.step()
    return best


def zone_steps(points: int = 200, half_width: float = 5e-6) -> np.ndarray:
    """Grid steps (k / (points/2)) * half_width, k = -points/2 .. points/2 - 1 (spec: (k/100) 5e-6)."""
    half = points // 2
    return np.arange(-half, points - half) / half * half_width


def _directions(shape, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two float32 directions, uniform [0, 1) entries, each of unit Frobenius norm (torch seed `seed`)."""
    gen = torch.Generator().manual_seed(seed)
    p1 = torch.rand(shape, generator=gen)
    p2 = torch.rand(shape, generator=gen)
    return p1 / p1.norm(), p2 / p2.norm()


def zone_grid(hit: ZeroHit, bits: int, steps: np.ndarray, direction_seed: int = 123) -> tuple[np.ndarray, np.ndarray]:
    """|pre-activation (hit.sample, hit.neuron)| on the grid W + x P1 + y P2 (x, y in `steps`), as arrays
    indexed [iy, ix]: (forward-GEMM value, matrix-vector value).

    Only the neuron's weight row moves, so a grid point needs only its own pre-activation; but one dot product
    rounds differently from the forward pass (at the training zero it is not 0). So the grid's perturbed rows
    go through F.linear with the batch in blocks of the layer's width: the forward pass's GEMM, same shape,
    same rounding (40,000 points = 20 layer-sized GEMMs, about 8 GFLOP instead of the original's 8e12 MAC).
    """
    dtype = dtype_for_bits(bits)
    p1, p2 = _directions(hit.weight.shape, direction_seed)
    j = hit.neuron
    w, b = hit.weight[j].to(dtype), hit.bias[j].to(dtype)
    d1, d2 = p1[j].to(dtype), p2[j].to(dtype)
    t = torch.as_tensor(steps, dtype=dtype)
    ty, tx = torch.meshgrid(t, t, indexing="ij")
    # (W + x P1) + y P2 elementwise in the grid's precision, as the original's `W + x*P1 + y*P2`.
    rows = (w + tx.reshape(-1, 1) * d1) + ty.reshape(-1, 1) * d2
    batch = hit.batch.to(dtype)
    width = hit.weight.shape[0]
    bias = b.expand(width)
    values = []
    with torch.no_grad():
        for block in rows.split(width):
            n = len(block)
            if n < width:  # pad the last block so every GEMM has the forward pass's shape
                block = torch.cat([block, block[-1:].expand(width - n, -1)])
            values.append(nn.functional.linear(batch, block, bias)[hit.sample, :n])
        z = torch.cat(values).abs().reshape(len(t), len(t))
        z_dot = (torch.mv(rows, batch[hit.sample]) + b).abs().reshape(len(t), len(t))
    return z.numpy(), z_dot.numpy()


def bifurcation_zone(hit: ZeroHit, bits_list=(32, 64), *, points: int = 200, half_width: float = 5e-6,
                     direction_seed: int = 123) -> pd.DataFrame:
    """The zone grids of `hit` for each precision, one row per grid point (ZONE_COLUMNS)."""
    steps = zone_steps(points, half_width)
    iy, ix = np.meshgrid(np.arange(points), np.arange(points), indexing="ij")
    frames = []
    for bits in bits_list:
        if int(bits) not in (32, 64):
            raise ValueError(f"the bifurcation zone is drawn in 32 or 64 bit, not {bits}")
        z, z_dot = zone_grid(hit, int(bits), steps, direction_seed)
        frames.append(pd.DataFrame({
            "bits": int(bits), "ix": ix.ravel(), "iy": iy.ravel(), "x": steps[ix.ravel()], "y": steps[iy.ravel()],
            "z": z.ravel().astype(np.float64), "z_dot": z_dot.ravel().astype(np.float64),
            "iteration": hit.iteration, "exact_zero": hit.exact_zero, "sample": hit.sample, "neuron": hit.neuron,
            "zeros_in_batch": hit.zeros_in_batch, "direction_seed": direction_seed, "torch_seed": hit.torch_seed,
            "numpy_seed": hit.numpy_seed,
        }))
    return pd.concat(frames, ignore_index=True)[list(ZONE_COLUMNS)]
