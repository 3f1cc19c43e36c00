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
    seconds: float  # wall time per run (the chunk average when draws are stacked)


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


def _hidden_linears(cell: VolumeCell, seeds, dtype, device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Weights (R, out, in) and biases (R, out) of each hidden Linear of the nets of `seeds`, stacked.

    Each net is initialised exactly as in `run_once` (float32 on the CPU under its seed); the head (N -> 10)
    is left out: no ReLU reads its output.
    """
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        nets.append([m for m in build_net(cell) if isinstance(m, nn.Linear)][: cell.layers])
    return [
        (torch.stack([n[i].weight.detach() for n in nets]).to(device=device, dtype=dtype),
         torch.stack([n[i].bias.detach() for n in nets]).to(device=device, dtype=dtype))
        for i in range(cell.layers)
    ]


def first_zero_batches(cell: VolumeCell, xs: list[torch.Tensor], seeds: list[int]) -> list[tuple[int, int]]:
    """Forward-only detector for many draws at once: (first bifurcation batch or -1, batches seen) per seed.

    The draws' hidden layers are stacked: the first layer is one GEMM of the batch against every draw's weights
    side by side, the next layers are batched matmuls; a draw leaves the stack at its first exact zero. Each
    output element is computed by the same kernel call shape as one draw alone, so results equal `run_once`
    bit for bit (checked in the tests and, per job, by the pair validation of `sample_volume`).
    """
    layers = _hidden_linears(cell, seeds, xs[0].dtype, xs[0].device)
    has_relu = [cell.variant == "relu_everywhere" or i > 0 for i in range(cell.layers)]
    active = torch.arange(len(seeds))  # positions (into seeds) of the draws still walking the data
    first = [-1] * len(seeds)
    with torch.no_grad():
        for i, x in enumerate(xs):
            w1, b1 = layers[0]
            r, n = w1.shape[0], w1.shape[1]
            z = torch.addmm(b1.reshape(-1), x, w1.reshape(r * n, -1).T).view(len(x), r, n).transpose(0, 1)
            hit = torch.zeros(r, dtype=torch.bool, device=x.device)
            for layer, (w, b) in enumerate(layers):
                if layer > 0:
                    z = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
                if has_relu[layer]:
                    hit |= ~z.reshape(r, -1).all(dim=1)
                    h = z.clamp(min=0)
                else:
                    h = z
            for pos in active[hit].tolist():
                first[pos] = i
            if hit.any():
                keep = ~hit
                active = active[keep.cpu()]
                layers = [(w[keep], b[keep]) for w, b in layers]
                if len(active) == 0:
                    break
    return [(f, f + 1) if f >= 0 else (-1, len(xs)) for f in first]


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


def chunk_size(cell: VolumeCell, budget_bytes: int = 1 << 28) -> int:
    """Draws stacked per chunk so the stacked weights stay within `budget_bytes` (at most 64)."""
    per_draw = (784 + (cell.layers - 1) * cell.neurons) * cell.neurons * dtype_for_bits(cell.bits).itemsize
    return max(1, min(64, budget_bytes // per_draw))


def pick_for_validation(results: list[RunResult], per_outcome: int) -> list[RunResult]:
    """Up to `per_outcome` bifurcated and `per_outcome` non-bifurcated runs, to re-check with the gradient pair."""
    return [r for r in results if r.bifurcated][:per_outcome] + [r for r in results if not r.bifurcated][:per_outcome]


def validate_with_pair(cell: VolumeCell, xs, ys, results: list[RunResult], per_outcome: int) -> int:
    """Re-run up to `per_outcome` bifurcated and non-bifurcated runs with the real gradient pair; any
    disagreement is an error (the forward-only shortcut would not be exact here). Returns runs checked."""
    pair = VolumeCell(cell.variant, cell.layers, cell.neurons, cell.batch_size, cell.bits, "pair")
    picked = pick_for_validation(results, per_outcome)
    for r in picked:
        first, _ = run_once(pair, xs, ys, r.seed)
        if first != r.first_batch:
            raise RuntimeError(f"pair validation failed for {cell}, seed {r.seed}: forward-only detector says "
                               f"{r.first_batch}, gradient pair says {first}")
    return len(picked)


def sample_runs(run_seeds, runs: int, out_csv: str | Path, *, seed0: int = 0, step: int = 1,
                progress: bool = True, desc: str = "volume") -> list[RunResult]:
    """`runs` Monte-Carlo runs (seeds seed0 .. seed0+runs-1), `step` at a time through
    `run_seeds(seeds) -> [(first bifurcation batch or -1, batches seen), ...]`, one row per run in `out_csv`.

    Rows are appended to ``<out_csv>.partial`` as chunks finish, so a killed job resumes where it stopped; the
    final CSV appears only when every run is done.
    """
    out_csv = Path(out_csv)
    partial = out_csv.with_name(out_csv.name + ".partial")
    done = [r for r in read_runs(partial) if r.run < runs] if partial.exists() else []
    if not done:
        partial.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", newline="") as f:
            csv.writer(f).writerow(RUN_COLUMNS)
    with partial.open("a", newline="") as f, tqdm(total=runs, initial=len(done), disable=not progress, desc=desc,
                                                  mininterval=5) as bar:
        writer = csv.writer(f)
        for start_run in range(len(done), runs, step):
            chunk = list(range(start_run, min(runs, start_run + step)))
            start = time.perf_counter()
            outcomes = run_seeds([seed0 + r for r in chunk])
            seconds = round((time.perf_counter() - start) / len(chunk), 4)
            for run, (first, seen) in zip(chunk, outcomes):
                result = RunResult(run, seed0 + run, first >= 0, first, seen, seconds)
                writer.writerow(asdict(result).values())
                done.append(result)
            f.flush()
            bar.update(len(chunk))
    partial.replace(out_csv)
    return done


def sample_volume(cell: VolumeCell, data: TensorData, runs: int, out_csv: str | Path, *, seed0: int = 0,
                  device="cpu", validate: int = 0, progress: bool = True) -> list[RunResult]:
    """Run `runs` Monte-Carlo runs of `cell` into `out_csv` (resumable, see `sample_runs`).

    ``forward_zero`` cells run in chunks of stacked draws (`first_zero_batches`); ``validate`` > 0 re-checks
    that many bifurcated and non-bifurcated runs with the gradient pair (a disagreement removes the CSV).
    """
    xs, ys = prepare_batches(data, cell, device)
    stacked = cell.detector == "forward_zero"
    results = sample_runs(
        (lambda seeds: first_zero_batches(cell, xs, seeds)) if stacked
        else (lambda seeds: [run_once(cell, xs, ys, s) for s in seeds]),
        runs, out_csv, seed0=seed0, step=chunk_size(cell) if stacked else 1, progress=progress,
        desc=f"volume {cell}")
    if validate and stacked:
        try:
            checked = validate_with_pair(cell, xs, ys, results, validate)
        except RuntimeError:
            Path(out_csv).unlink()  # a result the real gradients contradict is not kept
            raise
        print(f"pair validation: {checked} runs agree with the forward-only detector")
    return results


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
