"""Monte-Carlo estimate of the volume of S01 at initialization (relu_prime, Section 3).

S01 is the set of parameters where backpropagation with ReLU'(0)=0 and with ReLU'(0)=1 gives different gradients.
One run draws an initialization (seeded), casts weights and inputs to the chosen precision and walks the data
batches *in order* with no parameter update; the run is in S01 if on some batch the first layer's weight gradients
of net0 (alpha=0) and net1 (alpha=1), identical copies, differ exactly. Each batch's gradients are compared on their
own (zeroed before the batch: the paper's definition and the CIFAR original's protocol; the MNIST original let them
accumulate, which can only hide a difference in the running sum).

Two detectors decide the same event:
- ``pair``: the original protocol, both nets forward and backward on every batch.
- ``exact``: the same decision, computed only where it can come out "different". No parameter changes, so net0 and
  net1 run the same forward computation, and their backward passes differ only where some ReLU input is exactly 0.
  So the walk runs net0's own forward (its modules, shapes and kernels, grad mode on as in the pair) on every
  batch and watches the ReLU inputs; a batch without an exact zero is ruled out, and a batch with one is decided by
  the real gradient pair. A zero is necessary, not sufficient: its gradient difference can die in inactive units
  or vanish in floating-point accumulation.

Both detectors record two events per run: the first batch with an exact zero at a ReLU input (``first_zero``) and
the first batch whose gradients differ (``first_batch``, the S01 event).
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn
from tqdm import tqdm

from relurepro.activations import ReLUAlpha
from relurepro.data import TensorData, batches
from relurepro.models.mlp import mlp
from relurepro.numerics import dtype_for_bits

VARIANTS = ("relu_everywhere", "no_first_relu")
DETECTORS = ("exact", "pair")
ACTIVATION_TYPES = (nn.ReLU, ReLUAlpha)


# --- the decision, for any network ------------------------------------------------------------------------------

def first_weight(net: nn.Module) -> nn.Parameter:
    """The weight of the first Conv2d/Linear in registration order (VGG features[0], ResNet conv1, MLP [1])."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            return m.weight
    raise ValueError("the network has no Conv2d or Linear layer")


class ZeroWatch:
    """Watches the inputs of a network's activation modules: after a forward pass, `zeros()` says per module (in
    registration order) whether its input held an exact zero (+0.0 or -0.0). Modules the pass did not reach say
    False."""

    def __init__(self, net: nn.Module):
        self.modules = [m for m in net.modules() if isinstance(m, ACTIVATION_TYPES)]
        self._flags: list = [False] * len(self.modules)
        self._handles = [m.register_forward_pre_hook(self._hook(k)) for k, m in enumerate(self.modules)]

    def _hook(self, k):
        def record(_module, inputs):
            self._flags[k] = ~torch.all(inputs[0])  # a tensor: no device sync until zeros() is read
        return record

    def reset(self) -> None:
        self._flags = [False] * len(self.modules)

    def zeros(self) -> list[bool]:
        return [bool(f) for f in self._flags]

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


def activation_count(net: nn.Module) -> int:
    """How many activation modules (the ReLU inputs a ZeroWatch sees) `net` has."""
    return sum(isinstance(m, ACTIVATION_TYPES) for m in net.modules())


def gradients_differ(net0: nn.Module, net1: nn.Module, x: torch.Tensor, y: torch.Tensor) -> bool:
    """The gradient pair on one batch: loss = CE(net0) + CE(net1), one backward (the CIFAR original's form; the
    add passes each net its own gradient unchanged), exact comparison of the first layer's weight gradients."""
    loss_fn = nn.CrossEntropyLoss()
    net0.zero_grad(set_to_none=True)
    net1.zero_grad(set_to_none=True)
    (loss_fn(net0(x), y) + loss_fn(net1(x), y)).backward()
    return not torch.equal(first_weight(net0).grad, first_weight(net1).grad)


@dataclass(frozen=True)
class Events:
    """One run's two events (0-based batch numbers, -1 if never) and the batches it walked."""

    first_zero: int  # first batch with an exact zero at a ReLU input
    first_batch: int  # first batch whose first-layer weight gradients differ (the run is in S01)
    batches_seen: int


@dataclass(frozen=True)
class Pair:
    """net0 (alpha=0) and net1 (alpha=1) with identical weights; `relus`: how many of the screen's activation
    modules (in order) are this pair's, i.e. its ReLU inputs are the screen's first `relus` ones."""

    net0: nn.Module
    net1: nn.Module
    relus: int


def walk(pairs: dict, batches_: Iterable, detector: str, screen: nn.Module | None = None,
         forward: Callable | None = None) -> dict:
    """Walk `batches_` ((x, y) in order) for every pair of `pairs` (key -> Pair) until each one's gradients differ
    or the batches run out; returns key -> Events.

    ``exact``: per batch one forward of `screen` (by `forward(screen, x, relus)`, which must run at least the
    modules of the first `relus` activations; default: the whole net) decides which pairs can differ; only those
    run the gradient pair. `screen` must be a net whose first activations see exactly what each pair's net0 sees
    (net0 itself, or a deeper net of which net0 is a prefix). ``pair``: every pending pair runs on every batch.
    """
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; choose one of {DETECTORS}")
    forward = forward or (lambda net, x, relus: net(x))
    pending, zero, found, seen = dict(pairs), {}, {}, 0
    screen_watch = ZeroWatch(screen) if detector == "exact" else None
    watches = {} if detector == "exact" else {k: ZeroWatch(p.net0) for k, p in pairs.items()}
    try:
        for i, (x, y) in enumerate(batches_):
            seen = i + 1
            if screen_watch is not None:
                screen_watch.reset()
                forward(screen, x, max(p.relus for p in pending.values()))
                zeros = screen_watch.zeros()
            for key, p in list(pending.items()):
                if screen_watch is not None:
                    hit = any(zeros[:p.relus])
                    differ = hit and gradients_differ(p.net0, p.net1, x, y)
                else:
                    watches[key].reset()
                    differ = gradients_differ(p.net0, p.net1, x, y)
                    hit = any(watches[key].zeros()[:p.relus])
                if hit:
                    zero.setdefault(key, i)
                if differ:
                    found[key] = i
                    del pending[key]
            if not pending:
                break
    finally:
        for w in [screen_watch, *watches.values()]:
            if w is not None:
                w.remove()
    return {k: Events(zero.get(k, -1), found.get(k, -1), found[k] + 1 if k in found else seen) for k in pairs}


def twin(net0: nn.Module, build1: Callable[[], nn.Module]) -> nn.Module:
    """net1: `build1()` on net0's device and dtype, with net0's weights and buffers."""
    ref = first_weight(net0)
    net1 = build1().to(device=ref.device, dtype=ref.dtype)
    net1.load_state_dict(net0.state_dict())
    return net1.train(net0.training)


# --- the volume_mnist MLP cells -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class VolumeCell:
    """One cell of the volume grid: a net shape, a precision and a detector."""

    variant: str
    layers: int
    neurons: int
    batch_size: int
    bits: int
    detector: str = "exact"

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown volume MLP variant {self.variant!r}; choose one of {VARIANTS}")
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; choose one of {DETECTORS}")
        if self.layers < 1 or self.neurons < 1 or self.batch_size < 1:
            raise ValueError(f"layers, neurons and batch_size must be positive: {self}")
        dtype_for_bits(self.bits)


@dataclass
class RunResult:
    """One Monte-Carlo run: whether (and on which 0-based batch) it entered S01, and its first exact zero."""

    run: int
    seed: int
    bifurcated: bool  # in S01: on some batch the gradients differed
    first_batch: int  # first batch whose gradients differ; -1 if none
    first_zero: int  # first batch with an exact zero at a ReLU input; -1 if none
    batches_seen: int
    seconds: float  # wall time of the run


RUN_COLUMNS = [f.name for f in fields(RunResult)]
DEPTH_COLUMNS = ["layers", *RUN_COLUMNS]  # a nested-depth MLP job: one row per run and depth


def build_net(cell: VolumeCell, alpha: float | None = None) -> nn.Sequential:
    """The volume MLP: 784 -> N -> ... -> 10 with L hidden layers (float32, default PyTorch init)."""
    activation = nn.ReLU if alpha is None else (lambda: ReLUAlpha(alpha))
    return mlp(784, [cell.neurons] * cell.layers, 10, activation,
               first_activation=cell.variant == "relu_everywhere")


def build_pair(cell: VolumeCell, seed: int, dtype: torch.dtype, device) -> Pair:
    """The pair of one run: net0 initialised in float32 on the CPU from `seed` (so every device and precision
    sees the same initialisation), cast to `dtype` on `device`, and its alpha=1 twin."""
    torch.manual_seed(seed)
    net0 = build_net(cell, alpha=0.0).to(device=device, dtype=dtype)
    net1 = twin(net0, lambda: build_net(cell, alpha=1.0))
    return Pair(net0, net1, activation_count(net0))


def forward_through(net: nn.Sequential, x: torch.Tensor, relus: int) -> None:
    """Run `net`'s modules in order until its `relus`-th activation has seen its input (the nested-depth screen:
    deeper layers, and the head, which no ReLU reads, are not computed)."""
    if relus == 0:
        return
    count = 0
    for m in net:
        x = m(x)
        if isinstance(m, ACTIVATION_TYPES):
            count += 1
            if count == relus:
                return


def run_once(cell: VolumeCell, xs: list[torch.Tensor], ys: list[torch.Tensor], seed: int,
             depths: list[int] | None = None) -> list[Events]:
    """One Monte-Carlo run with `seed`: Events per depth of `depths` (default: the cell's own depth).

    Under one seed the net of depth d is the deepest net cut after its d-th hidden layer plus a head of its own
    (the generator draws the hidden layers in the same order), so the deepest net0's forward screens every depth;
    each depth is decided by its own gradient pair. The shared prefix is asserted, not assumed.
    """
    depths = depths or [cell.layers]
    if min(depths) < 1 or max(depths) != cell.layers:
        raise ValueError(f"depths {depths} must lie in 1..{cell.layers} and include {cell.layers}")
    dtype, device = xs[0].dtype, xs[0].device
    pairs = {d: build_pair(replace(cell, layers=d), seed, dtype, device) for d in depths}
    screen = pairs[cell.layers].net0
    hidden = [m for m in screen if isinstance(m, nn.Linear)]
    for d, p in pairs.items():
        own = [m for m in p.net0 if isinstance(m, nn.Linear)][:d]
        if not all(torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias) for a, b in zip(own, hidden)):
            raise RuntimeError(f"seed {seed}: the depth-{d} net is not a prefix of the depth-{cell.layers} net")
    events = walk(pairs, zip(xs, ys), cell.detector, screen, forward_through)
    return [events[d] for d in depths]


def prepare_batches(data: TensorData, cell: VolumeCell, device="cpu") -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Flattened inputs in the cell's precision on `device`, cut into unshuffled batches once for all runs."""
    x = data.x.reshape(len(data), -1).to(device=device, dtype=dtype_for_bits(cell.bits))
    flat = TensorData(x, data.y.to(device), data.name, data.split)
    pairs = list(batches(flat, cell.batch_size))
    return [x for x, _ in pairs], [y for _, y in pairs]


# --- run files ----------------------------------------------------------------------------------------------------

def partial_of(out_csv: str | Path) -> Path:
    """Where the runs of `out_csv` collect until every run is done."""
    out_csv = Path(out_csv)
    return out_csv.with_name(out_csv.name + ".partial")


def publish(out_csv: str | Path) -> None:
    """Move a finished cell's runs to `out_csv` (see `sample_runs`' `publish_now`)."""
    partial_of(out_csv).replace(out_csv)


def sample_cells(cells: list[dict], outputs: list[str], data_root: str, sample: Callable) -> None:
    """A job's Monte-Carlo cells (their wildcards), one after another: `sample(cell, data, out_csv, publish_now)`
    runs one, on its (dataset, split, samples), loaded once per job. A pack (several cells) publishes its CSVs only
    at its end, so that a pack stopped half-way keeps its finished cells' partial files (Snakemake deletes a failed
    job's outputs) and resumes them."""
    from relurepro.data import load_dataset

    data, pack = {}, len(cells) > 1
    for i, (cell, out) in enumerate(zip(cells, outputs, strict=True)):
        print(f"cell {i + 1} of {len(cells)}: {out}", flush=True)
        key = (cell["dataset"], cell["split"], int(cell["samples"]))
        if key not in data:
            data[key] = load_dataset(key[0], key[1], root=data_root).subset(key[2])
        sample(cell, data[key], out, publish_now=not pack)
    if pack:
        for out in outputs:
            publish(out)


def sample_runs(run_seed: Callable[[int], list[Events]], runs: int, out_csv: str | Path, *, seed0: int = 0,
                progress: bool = True, desc: str = "volume", depths: list[int] | None = None,
                publish_now: bool = True) -> list:
    """`runs` Monte-Carlo runs (seeds seed0 .. seed0+runs-1) through `run_seed(seed) -> [Events per depth]`, one
    row per run (and depth, with `depths`: a leading ``layers`` column) in `out_csv`.

    Rows are appended to ``<out_csv>.partial`` as runs finish, so a killed job resumes where it stopped (keeping
    only the runs complete in every depth); the final CSV appears only when every run is done. A pack of cells
    passes `publish_now=False` and calls `publish` for every cell at its end: Snakemake deletes the outputs of a
    failed job, and a finished cell's runs must survive that as a partial file. Returns the RunResults, or
    (layers, RunResult) pairs with `depths`.
    """
    out_csv = Path(out_csv)
    partial = partial_of(out_csv)
    keys = depths or [None]
    done = _complete_prefix(partial, runs, keys) if partial.exists() else []
    if done:
        print(f"resuming {out_csv} from {partial}: {len(done) // len(keys)} of {runs} runs done")
    partial.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("w", newline="") as f:  # rewritten: a row cut by a kill is dropped, not resumed past
        writer = csv.writer(f)
        writer.writerow(RUN_COLUMNS if depths is None else DEPTH_COLUMNS)
        for key, result in done:
            writer.writerow(_row(key, result))
    with partial.open("a", newline="") as f, tqdm(total=runs, initial=len(done) // len(keys), disable=not progress,
                                                  desc=desc, mininterval=5) as bar:
        writer = csv.writer(f)
        for run in range(len(done) // len(keys), runs):
            start = time.perf_counter()
            outcome = run_seed(seed0 + run)
            seconds = round(time.perf_counter() - start, 4)
            for key, e in zip(keys, outcome, strict=True):
                result = RunResult(run, seed0 + run, e.first_batch >= 0, e.first_batch, e.first_zero,
                                   e.batches_seen, seconds)
                writer.writerow(_row(key, result))
                done.append((key, result))
            f.flush()
            bar.update(1)
    if publish_now:
        publish(out_csv)
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
                  device="cpu", progress: bool = True, depths: list[int] | None = None,
                  publish_now: bool = True) -> list[RunResult] | list[tuple[int, RunResult]]:
    """Run `runs` Monte-Carlo runs of `cell` into `out_csv` (resumable, see `sample_runs`); with `depths` one job
    serves the nested nets of those depths (cell.layers must be the deepest) and returns (layers, run) pairs."""
    xs, ys = prepare_batches(data, cell, device)
    return sample_runs(lambda seed: run_once(cell, xs, ys, seed, depths), runs, out_csv, seed0=seed0,
                       progress=progress, desc=f"volume {cell}", depths=depths, publish_now=publish_now)


def run_schema(nested: bool):
    """The declared schema of a run CSV (relurepro.schemas): RUN_COLUMNS (after ``layers`` when nested), one row per
    run (and depth), and the two events in a possible order."""
    import pandera.pandas as pa  # here: sampling jobs import this module and need no schema until they resume

    columns = {"run": pa.Column(int, pa.Check.ge(0)), "seed": pa.Column(int),
               "bifurcated": pa.Column(bool), "first_batch": pa.Column(int, pa.Check.ge(-1)),
               "first_zero": pa.Column(int, pa.Check.ge(-1)), "batches_seen": pa.Column(int, pa.Check.ge(1)),
               "seconds": pa.Column(float, pa.Check.ge(0), coerce=True)}
    if nested:
        columns = {"layers": pa.Column(int, pa.Check.ge(1)), **columns}
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=["layers", "run"] if nested else ["run"],
                              checks=[
        pa.Check(lambda d: d["bifurcated"] == (d["first_batch"] >= 0), error="bifurcated iff first_batch >= 0"),
        pa.Check(lambda d: ~d["bifurcated"] | d["first_zero"].between(0, d["first_batch"]),
                 error="a gradient difference needs an exact zero on or before its batch"),
        pa.Check(lambda d: ~d["bifurcated"] | (d["batches_seen"] == d["first_batch"] + 1),
                 error="a run stops at its gradient difference"),
        pa.Check(lambda d: d["first_zero"] < d["batches_seen"], error="first_zero within the batches walked"),
    ])


def read_runs(path: str | Path, layers: int | str | None = None, runs: int | None = None) -> list:
    """Read a run CSV, validated against `run_schema` (a violation names the file and its lines); with `runs`,
    it must hold exactly runs 0..runs-1 (at every depth of a nested file).

    A nested-depth CSV (leading ``layers`` column) needs `layers`: the runs of that depth, or ``"all"`` for
    (layers, run) pairs.
    """
    import pandas as pd

    from relurepro import schemas

    path = Path(path)
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    nested = header == DEPTH_COLUMNS
    if header != RUN_COLUMNS and not nested:
        raise ValueError(f"{path}: expected columns {RUN_COLUMNS} or {DEPTH_COLUMNS}, found {header}")
    if nested and layers is None:
        raise ValueError(f"{path} holds nested depths: say which layers to read")
    df = schemas.read(path, run_schema(nested))
    if runs is not None:
        for depth, group in df.groupby("layers") if nested else [(None, df)]:
            if sorted(group["run"]) != list(range(runs)):
                at = f" at depth {depth}" if nested else ""
                raise ValueError(f"{path}: {len(group)} rows{at} for runs {sorted(group['run'])[:5]}..., the job "
                                 f"wrote runs 0..{runs - 1}")
    results = [(int(row.pop("layers")) if nested else None, RunResult(**row))
               for row in df.astype(object).to_dict("records")]
    if not nested:
        return [r for _, r in results]
    if layers == "all":
        return results
    picked = [r for depth, r in results if depth == layers]
    if not picked:
        raise ValueError(f"{path}: no runs of depth {layers}")
    return picked
