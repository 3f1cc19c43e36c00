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
import functools
import time
from dataclasses import asdict, dataclass, fields, replace
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
DEPTH_COLUMNS = ["layers", *RUN_COLUMNS]  # a nested-depth MLP job: one row per run and depth


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


def first_zero_batches_by_depth(cell: VolumeCell, xs: list[torch.Tensor], seeds: list[int],
                                depths: list[int]) -> list[list[tuple[int, int]]]:
    """Forward-only detector for many draws and nested depths at once: per seed, per depth in `depths`,
    (first bifurcation batch or -1, batches seen).

    The draws' hidden layers are stacked: the first layer is one GEMM of the batch against every draw's weights
    side by side, the next layers are batched matmuls. Each output element is computed by the same kernel call
    shape as one draw alone, so results equal `run_once` bit for bit (checked in the tests and, per job, by the
    pair validation of `sample_volume`).

    Depths nest: under one seed the net of depth d < L is the net of depth L cut after its d-th hidden layer
    (the same draws from the generator in the same order; the head reads no ReLU), so depth d bifurcates on the
    first batch with an exact zero in hidden layers 1..d. A draw leaves the stack once its shallowest depth
    has bifurcated, and then every deeper one has too.
    """
    if not depths or max(depths) > cell.layers or min(depths) < 1:
        raise ValueError(f"depths {depths} must lie in 1..{cell.layers}")
    layers = _hidden_linears(cell, seeds, xs[0].dtype, xs[0].device)[: max(depths)]
    has_relu = [cell.variant == "relu_everywhere" or i > 0 for i in range(len(layers))]
    active = torch.arange(len(seeds))  # positions (into seeds) of the draws still walking the data
    first = [[-1] * len(depths) for _ in seeds]
    with torch.no_grad():
        for i, x in enumerate(xs):
            w1, b1 = layers[0]
            r, n = w1.shape[0], w1.shape[1]
            z = torch.addmm(b1.reshape(-1), x, w1.reshape(r * n, -1).T).view(len(x), r, n).transpose(0, 1)
            hit = torch.zeros(r, dtype=torch.bool, device=x.device)
            hit_at = {}  # depth -> draws with a zero in hidden layers 1..depth on this batch
            for layer, (w, b) in enumerate(layers):
                if layer > 0:
                    z = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
                if has_relu[layer]:
                    hit = hit | ~z.reshape(r, -1).all(dim=1)
                    h = z.clamp(min=0)
                else:
                    h = z
                hit_at[layer + 1] = hit
            for k, depth in enumerate(depths):
                for pos in active[hit_at[depth].cpu()].tolist():
                    if first[pos][k] < 0:
                        first[pos][k] = i
            done = hit_at[min(depths)]
            if done.any():
                keep = ~done
                active = active[keep.cpu()]
                layers = [(w[keep], b[keep]) for w, b in layers]
                if len(active) == 0:
                    break
    return [[(f, f + 1) if f >= 0 else (-1, len(xs)) for f in per_depth] for per_depth in first]


def first_zero_batches(cell: VolumeCell, xs: list[torch.Tensor], seeds: list[int]) -> list[tuple[int, int]]:
    """Forward-only detector for many draws at once: (first bifurcation batch or -1, batches seen) per seed."""
    return [per_depth[0] for per_depth in first_zero_batches_by_depth(cell, xs, seeds, [cell.layers])]


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
                progress: bool = True, desc: str = "volume", depths: list[int] | None = None) -> list[RunResult]:
    """`runs` Monte-Carlo runs (seeds seed0 .. seed0+runs-1), `step` at a time through
    `run_seeds(seeds) -> [(first bifurcation batch or -1, batches seen), ...]`, one row per run in `out_csv`.

    With `depths` (nested MLP depths), `run_seeds` gives per seed one outcome per depth and the CSV has a
    leading ``layers`` column: one row per run and depth.

    Rows are appended to ``<out_csv>.partial`` as chunks finish, so a killed job resumes where it stopped
    (keeping only the runs complete in every depth); the final CSV appears only when every run is done.
    """
    out_csv = Path(out_csv)
    partial = out_csv.with_name(out_csv.name + ".partial")
    keys = depths or [None]
    done = _complete_prefix(partial, runs, keys) if partial.exists() else []
    partial.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("w", newline="") as f:  # rewritten: a row cut by a kill is dropped, not resumed past
        writer = csv.writer(f)
        writer.writerow(RUN_COLUMNS if depths is None else DEPTH_COLUMNS)
        for key, result in done:
            writer.writerow(_row(key, result))
    with partial.open("a", newline="") as f, tqdm(total=runs, initial=len(done) // len(keys), disable=not progress,
                                                  desc=desc, mininterval=5) as bar:
        writer = csv.writer(f)
        for start_run in range(len(done) // len(keys), runs, step):
            chunk = list(range(start_run, min(runs, start_run + step)))
            start = time.perf_counter()
            outcomes = run_seeds([seed0 + r for r in chunk])
            seconds = round((time.perf_counter() - start) / len(chunk), 4)
            for run, outcome in zip(chunk, outcomes):
                for key, (first, seen) in zip(keys, [outcome] if depths is None else outcome):
                    result = RunResult(run, seed0 + run, first >= 0, first, seen, seconds)
                    writer.writerow(_row(key, result))
                    done.append((key, result))
            f.flush()
            bar.update(len(chunk))
    partial.replace(out_csv)
    return [result for _, result in done] if depths is None else done


def _row(layers: int | None, result: RunResult) -> list:
    return ([] if layers is None else [layers]) + list(asdict(result).values())


def _complete_prefix(partial: Path, runs: int, keys: list) -> list[tuple]:
    """(layers or None, run) rows of a partial file for runs 0..k-1 complete in every depth of `keys`."""
    rows = [(None, r) for r in read_runs(partial)] if keys == [None] else read_runs(partial, layers="all")
    by_run: dict[int, dict] = {}
    for key, r in rows:
        by_run.setdefault(r.run, {})[key] = r
    prefix = []
    for run in range(runs):
        if set(by_run.get(run, {})) != set(keys):
            break
        prefix += [(key, by_run[run][key]) for key in keys]
    return prefix


def sample_volume(cell: VolumeCell, data: TensorData, runs: int, out_csv: str | Path, *, seed0: int = 0,
                  device="cpu", validate: int = 0, progress: bool = True,
                  depths: list[int] | None = None) -> list[RunResult] | list[tuple[int, RunResult]]:
    """Run `runs` Monte-Carlo runs of `cell` into `out_csv` (resumable, see `sample_runs`).

    ``forward_zero`` cells run in chunks of stacked draws (`first_zero_batches_by_depth`); with `depths` one job
    serves the nested nets of those depths (cell.layers must be the deepest) and returns (layers, run) pairs.
    ``validate`` > 0 re-checks that many bifurcated and non-bifurcated runs with the gradient pair, at the
    shallowest and the deepest depth (a disagreement removes the CSV).
    """
    xs, ys = prepare_batches(data, cell, device)
    stacked = cell.detector == "forward_zero"
    if depths is not None and (not stacked or max(depths) != cell.layers):
        raise ValueError(f"nested depths {depths} need the forward_zero detector and cell.layers == max(depths)")
    if depths is not None:
        run_seeds = functools.partial(first_zero_batches_by_depth, cell, xs, depths=depths)
    elif stacked:
        run_seeds = functools.partial(first_zero_batches, cell, xs)
    else:
        def run_seeds(seeds):
            return [run_once(cell, xs, ys, s) for s in seeds]
    results = sample_runs(run_seeds, runs, out_csv, seed0=seed0, step=chunk_size(cell) if stacked else 1,
                          progress=progress, desc=f"volume {cell}", depths=depths)
    if validate and stacked:
        by_depth = ({cell.layers: results} if depths is None else
                    {d: [r for key, r in results if key == d] for d in {min(depths), max(depths)}})
        try:
            checked = sum(validate_with_pair(replace(cell, layers=d), xs, ys, rs, validate)
                          for d, rs in by_depth.items())
        except RuntimeError:
            Path(out_csv).unlink()  # a result the real gradients contradict is not kept
            raise
        print(f"pair validation: {checked} runs agree with the forward-only detector")
    return results


def read_runs(path: str | Path, layers: int | str | None = None) -> list:
    """Read a run CSV, failing with the file name on a malformed file.

    A nested-depth CSV (leading ``layers`` column) needs `layers`: the runs of that depth, or ``"all"`` for
    (layers, run) pairs.
    """
    path = Path(path)
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        nested = reader.fieldnames == DEPTH_COLUMNS
        if reader.fieldnames != RUN_COLUMNS and not nested:
            raise ValueError(f"{path}: expected columns {RUN_COLUMNS} or {DEPTH_COLUMNS}, found {reader.fieldnames}")
        if nested and layers is None:
            raise ValueError(f"{path} holds nested depths: say which layers to read")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                result = RunResult(int(row["run"]), int(row["seed"]), row["bifurcated"] == "True",
                                   int(row["first_batch"]), int(row["batches_seen"]), float(row["seconds"]))
                depth = int(row["layers"]) if nested else None
            except (TypeError, ValueError) as err:
                raise ValueError(f"{path}, line {line}: malformed run row {row}: {err}") from None
            if not nested:
                rows.append(result)
            elif layers == "all":
                rows.append((depth, result))
            elif depth == layers:
                rows.append(result)
    if nested and layers != "all" and not rows:
        raise ValueError(f"{path}: no runs of depth {layers}")
    return rows
