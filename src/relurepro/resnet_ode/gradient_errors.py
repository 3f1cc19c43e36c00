"""Gradient errors of the adjoint against backprop (§2.9, Figure 4): the same net, the same batch, train-mode
batch norm; per non-bias parameter tensor, relative = mean((g_bp - g_adj)^2) / mean(g_bp^2) (a squared error),
cosine similarity and mean squared difference."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from relurepro.resnet_ode.models import TinyODENet, piecewise_constant_init


def parameter_gradients(net: TinyODENet, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    net.zero_grad(set_to_none=True)
    F.cross_entropy(net(x), y).backward()
    return {name: p.grad.detach().clone() for name, p in net.named_parameters() if "bias" not in name}


def gradient_errors(base: TinyODENet, depth: int, method: str, x: torch.Tensor, y: torch.Tensor,
                    local: bool = False) -> list[dict]:
    """One row per non-bias parameter tensor of the depth-`depth` copy of `base` (piecewise-constant init);
    `local` selects the original tiny-net adjoint (switch S1)."""
    rows, grads = [], {}
    for adjoint in (False, True):
        net = TinyODENet(depth, method, adjoint, stem=base.stem_kind, zero_init=False,
                         channels=base.conv.out_channels, local=local).to(x.device)  # where the batch is
        piecewise_constant_init(net, base).train()
        grads[adjoint] = parameter_gradients(net, x, y)
    for name, g_bp in grads[False].items():
        g_adj = grads[True][name]
        rows.append({"depth": depth, "method": method, "parameter": name,
                     "relative": float(((g_bp - g_adj) ** 2).mean() / (g_bp ** 2).mean()),
                     "cosine": float(F.cosine_similarity(g_bp.flatten(), g_adj.flatten(), dim=0)),
                     "mse": float(((g_bp - g_adj) ** 2).mean())})
    return rows


def gradient_errors_schema():
    """gradient_errors.csv (rule ro_gradient_errors): one row per (depth, method, parameter tensor), then the base
    weights, batch and seed the file shares."""
    import pandera.pandas as pa

    error = pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True)  # NaN where backprop's gradient is 0
    shared = ["base", "base_depth", "batch", "seed", "adjoint_variant"]
    return pa.DataFrameSchema({
        "depth": pa.Column(int, pa.Check.ge(1)), "method": pa.Column(str, pa.Check.isin(["euler", "heun"])),
        "parameter": pa.Column(str), "relative": error,
        "cosine": pa.Column(float, pa.Check.in_range(-1 - 1e-6, 1 + 1e-6), coerce=True, nullable=True),
        "mse": error, "base": pa.Column(str, pa.Check.isin(["random", "checkpoint"])),
        "base_depth": pa.Column(int, pa.Check.ge(1)), "batch": pa.Column(int, pa.Check.ge(1)),
        "seed": pa.Column(int), "adjoint_variant": pa.Column(str, pa.Check.isin(["chained", "local"])),
    }, strict=True, ordered=True, unique=["depth", "method", "parameter"], checks=[
        pa.Check(lambda d: (d[shared].nunique() == 1).all(), error="one base, batch, seed and variant per file"),
        pa.Check(lambda d: (d["mse"] == 0) <= (d["relative"] == 0), error="relative = 0 where mse = 0"),
    ])


def read_gradient_errors(path):
    """gradient_errors.csv checked against `gradient_errors_schema` (a violation names the file and its lines)."""
    from relurepro import schemas

    return schemas.read(path, gradient_errors_schema())
