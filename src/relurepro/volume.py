"""Monte-Carlo estimate of the volume of S01 at initialization (relu_prime, Section 3).

S01 is the set of parameters where backpropagation with ReLU'(0)=0 and ReLU'(0)=1 differ. One run draws an
initialization (seeded), casts weights and inputs to the chosen precision and walks the data batches *in order*
with no parameter update; the run is in S01 if on some batch the first layer's weight gradients of the two nets
differ. Two detectors:
- ``pair``: the real comparison, net0 (alpha=0) and net1 (alpha=1) with identical weights, separate backward
  passes, gradients accumulated over batches as in the original (no zero_grad; harmless because the walk stops at
  the first difference), exact inequality of the first layer's weight gradients.
- ``forward_zero``: no parameter changes, so both nets share their forward pass and their gradients can differ
  only where some ReLU input is exactly 0; the first batch with such a zero is the bifurcation batch. About 6x
  cheaper; validated against ``pair`` in the tests.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from relurepro.activations import ReLUAlpha
from relurepro.data import TensorData, batches
from relurepro.models.mlp import mlp
from relurepro.numerics import dtype_for_bits

VARIANTS = ("relu_everywhere", "no_first_relu")
DETECTORS = ("forward_zero", "pair")


@dataclass(frozen=True)
class VolumeCell:
    """One cell of the volume grid: a net shape, a precision and how bifurcation is detected."""

    variant: str
    layers: int
    neurons: int
    batch_size: int
    bits: int
    detector: str = "forward_zero"

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown volume MLP variant {self.variant!r}; choose one of {VARIANTS}")
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; choose one of {DETECTORS}")
        if self.layers < 1 or self.neurons < 1 or self.batch_size < 1:
            raise ValueError(f"layers, neurons and batch_size must be positive: {self}")


@dataclass
class RunResult:
    """One Monte-Carlo run: whether (and on which 0-based batch) it bifurcated."""

    run: int
    seed: int
    bifurcated: bool
    first_batch: int  # -1 if the run never bifurcated
    batches_seen: int
    seconds: float


RUN_COLUMNS = [f.name for f in fields(RunResult)]


def build_net(cell: VolumeCell, alpha: float | None = None) -> nn.Sequential:
    """The volume MLP: 784 -> N -> ... -> 10 with L hidden layers (float32, default PyTorch init)."""
    activation = nn.ReLU if alpha is None else (lambda: ReLUAlpha(alpha))
    return mlp(784, [cell.neurons] * cell.layers, 10, activation,
               first_activation=cell.variant == "relu_everywhere")


def _first_zero_batch(net: nn.Sequential, xs: list[torch.Tensor]) -> tuple[int, int]:
    """Forward-only detector: (first batch with an exact zero at a ReLU input or -1, batches seen)."""
    modules = list(net)
    with torch.no_grad():
        for i, x in enumerate(xs):
            h = x
            for m in modules:
                if isinstance(m, (nn.ReLU, ReLUAlpha)) and not bool(torch.all(h)):
                    return i, i + 1
                h = m(h)
    return -1, len(xs)


def _first_grad_difference(net0: nn.Sequential, net1: nn.Sequential, xs, ys) -> tuple[int, int]:
    """Pair detector: (first batch where the first-layer weight gradients differ or -1, batches seen)."""
    loss_fn = nn.CrossEntropyLoss()
    w0, w1 = net0[1].weight, net1[1].weight
    for i, (x, y) in enumerate(zip(xs, ys)):
        loss_fn(net0(x), y).backward()
        loss_fn(net1(x), y).backward()
        if not torch.equal(w0.grad, w1.grad):
            return i, i + 1
    return -1, len(xs)


def run_once(cell: VolumeCell, xs: list[torch.Tensor], ys: list[torch.Tensor], seed: int) -> tuple[int, int]:
    """One Monte-Carlo run with the given seed: (first bifurcation batch or -1, batches seen).

    The net is initialised in float32 on the CPU from `seed` (so every device and precision sees the same
    initialisation), then cast to the cell's precision and moved to the batches' device.
    """
    to = {"dtype": dtype_for_bits(cell.bits), "device": xs[0].device}
    torch.manual_seed(seed)
    if cell.detector == "forward_zero":
        return _first_zero_batch(build_net(cell).to(**to), xs)
    net0 = build_net(cell, alpha=0.0).to(**to)
    net1 = build_net(cell, alpha=1.0).to(**to)
    net1.load_state_dict(net0.state_dict())
    return _first_grad_difference(net0, net1, xs, ys)


def prepare_batches(data: TensorData, cell: VolumeCell, device="cpu") -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Flattened inputs in the cell's precision on `device`, cut into unshuffled batches once for all runs."""
    x = data.x.reshape(len(data), -1).to(device=device, dtype=dtype_for_bits(cell.bits))
    flat = TensorData(x, data.y.to(device), data.name, data.split)
    pairs = list(batches(flat, cell.batch_size))
    return [x for x, _ in pairs], [y for _, y in pairs]


def sample_volume(cell: VolumeCell, data: TensorData, runs: int, out_csv: str | Path, *, seed0: int = 0,
                  device="cpu", progress: bool = True) -> list[RunResult]:
    """Run `runs` Monte-Carlo runs (seeds seed0 .. seed0+runs-1) and write one row per run to `out_csv`.

    Rows are appended to ``<out_csv>.partial`` as they finish, so a killed job resumes where it stopped; the
    final CSV appears only when every run is done.
    """
    out_csv = Path(out_csv)
    partial = out_csv.with_name(out_csv.name + ".partial")
    done = read_runs(partial) if partial.exists() else []
    done = [r for r in done if r.run < runs]
    xs, ys = prepare_batches(data, cell, device)
    if not done:
        partial.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", newline="") as f:
            csv.writer(f).writerow(RUN_COLUMNS)
    with partial.open("a", newline="") as f, tqdm(total=runs, initial=len(done), disable=not progress,
                                                  desc=f"volume {cell}", mininterval=5) as bar:
        writer = csv.writer(f)
        for run in range(len(done), runs):
            start = time.perf_counter()
            first, seen = run_once(cell, xs, ys, seed0 + run)
            result = RunResult(run, seed0 + run, first >= 0, first, seen, round(time.perf_counter() - start, 4))
            writer.writerow(asdict(result).values())
            f.flush()
            done.append(result)
            bar.update()
    partial.replace(out_csv)
    return done


def read_runs(path: str | Path) -> list[RunResult]:
    """Read a per-cell run CSV, failing with the file name on a malformed file."""
    path = Path(path)
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != RUN_COLUMNS:
            raise ValueError(f"{path}: expected columns {RUN_COLUMNS}, found {reader.fieldnames}")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append(RunResult(int(row["run"]), int(row["seed"]), row["bifurcated"] == "True",
                                      int(row["first_batch"]), int(row["batches_seen"]), float(row["seconds"])))
            except (TypeError, ValueError) as err:
                raise ValueError(f"{path}, line {line}: malformed run row {row}: {err}") from None
    return rows
