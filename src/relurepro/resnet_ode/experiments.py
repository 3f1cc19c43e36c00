"""Cheap resnet_ode measurements (§3.9, §5.2): the reverse pass's reconstruction error vs depth (memory vs depth:
peak_memory)."""

from __future__ import annotations

import torch

from relurepro.resnet_ode.adjoint import reconstruction_error
from relurepro.resnet_ode.models import TinyODENet

def reconstruction_rows(depths: list[int], x: torch.Tensor, method: str = "euler", seed: int = 0) -> list[dict]:
    """Relative error of the input rebuilt by the reverse pass, for i.i.d. random residual functions of the tiny
    net (digits stem for 1-channel images, CIFAR stem for 3-channel ones) applied after its stem, batch norm on
    batch statistics (train mode, as a training step sees it; eval mode with fresh running statistics would make
    the branches near zero and the errors ~40x smaller)."""
    rows = []
    for n in depths:
        torch.manual_seed(seed)
        stem = "digits" if x.shape[1] == 1 else "cifar"
        net = TinyODENet(n, method, stem=stem, zero_init=False).train()
        with torch.no_grad():
            h = torch.relu(net.bn(net.conv(x)))
        rows.append({"depth": n, "method": method, "error": reconstruction_error(net.residuals, h, method)})
    return rows


def reconstruction_schema():
    """reconstruction.csv (rule ro_reconstruction, `reconstruction_rows`): one error per (depth, method)."""
    import pandera.pandas as pa

    return pa.DataFrameSchema({
        "depth": pa.Column(int, pa.Check.ge(1)), "method": pa.Column(str, pa.Check.isin(["euler", "heun"])),
        "error": pa.Column(float, pa.Check.ge(0), coerce=True),
    }, strict=True, ordered=True, unique=["depth", "method"])


def read_reconstruction(path, rows: int | None = None):
    """reconstruction.csv checked against `reconstruction_schema` (a violation names the file and its lines)."""
    from relurepro import schemas

    return schemas.read(path, reconstruction_schema(), rows=rows)
