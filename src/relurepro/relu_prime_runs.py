"""relu_prime training experiments without torch: job specs and their paths, grids, aggregation, claims input.

A *job* trains every combination of its batch-norm settings, alphas, dropout rates and seeds for one set of
settings; its self-describing path names everything that decides the result (spec section 3 "train" rule)::

    results/relu_prime/train/net~vgg11/width~0.0625/init~kaiming/data~mnist5k_rgb32-train-2000-test-all/
        prep~cifar10/opt~sgd/lr~0.01/batch~32/epochs~4/tmax~4/mode~set/grid~17/bn~0+1/alpha~0+0.5+1/
        dropout~0/seeds~0-1/metrics.csv

At paper scale each job is one run (``bn~0/alpha~0.5/dropout~0/seeds~3``), so a cluster trains runs in
parallel; at CPU scales an experiment's tier is packed into one job (config ``pack``), because each job pays
~3 s of Python/torch start-up. Protocol constants not in the path: SGD has momentum 0.9 and weight decay
5e-4 (P1 and P2), Adam has PyTorch's defaults and no weight decay (P1); the cosine schedule is stepped once
per epoch with T_max = ``tmax`` (P1: epochs, P2: 200 hard-coded; switch S11).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = "results/relu_prime/train"
NETS = ("vgg11", "resnet18")  # plus mlp<W>x<L>: L hidden layers of width W
PREPS = ("cifar10", "svhn", "mnist")  # §2.3 preprocessing of the named official set
OPTIMIZERS = ("sgd", "adam")
INITS = ("default", "kaiming")
GRAD_MODES = ("set", "chain")
PACKABLE = ("bn", "alphas", "dropout", "seeds")
_MLP = re.compile(r"mlp(\d+)x(\d+)$")


def fmt(x: float) -> str:
    """Numbers in paths: shortest general form (0.5, -1, 5, 0.0005, 1e-05)."""
    return f"{float(x):g}"


def _samples(n: int | None) -> str:
    return "all" if n is None else str(n)


@dataclass(frozen=True)
class JobSpec:
    """Everything that decides a training job's result. It trains every (bn, alpha, dropout, seed) of the
    product of its four tuples; run_id = seed."""

    net: str
    width: float
    init: str
    dataset: str
    train_split: str
    train_samples: int | None  # None: the whole split
    test_split: str
    test_samples: int | None
    prep: str
    opt: str
    lr: float
    batch: int
    epochs: int
    tmax: int
    mode: str
    grid: int | None  # preact_grid_k (S24); None = faithful tier
    bn: tuple[bool, ...]
    alphas: tuple[float, ...]
    dropout: tuple[float, ...]
    seeds: tuple[int, ...]

    def __post_init__(self):
        if not (self.net in NETS or _MLP.match(self.net)):
            raise ValueError(f"unknown net {self.net!r}; choose one of {NETS} or mlp<width>x<layers>")
        for name, value, allowed in (("prep", self.prep, PREPS), ("opt", self.opt, OPTIMIZERS),
                                     ("init", self.init, INITS), ("mode", self.mode, GRAD_MODES)):
            if value not in allowed:
                raise ValueError(f"unknown {name} {value!r}; choose one of {allowed}")
        if not self.seeds or list(self.seeds) != list(range(self.seeds[0], self.seeds[-1] + 1)):
            raise ValueError(f"seeds must be a non-empty consecutive range, got {self.seeds}")
        for name in ("bn", "alphas", "dropout"):
            values = getattr(self, name)
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{name} must be a non-empty list without repeats, got {values}")
        if any(self.dropout) and self.mlp_shape is None:
            raise ValueError("dropout is only defined for the MNIST MLP")

    @property
    def mlp_shape(self) -> tuple[int, int] | None:
        """(width, layers) of an MLP net, None for CNNs."""
        m = _MLP.match(self.net)
        return (int(m[1]), int(m[2])) if m else None

    @property
    def tier(self) -> str:
        return tier_label(self.grid)

    @property
    def data(self) -> str:
        return (f"{self.dataset}-{self.train_split}-{_samples(self.train_samples)}-{self.test_split}-"
                f"{_samples(self.test_samples)}")

    def runs(self) -> list[tuple[bool, float, float, int]]:
        """Every (bn, alpha, dropout, seed) the job trains, in training order."""
        return list(itertools.product(self.bn, self.alphas, self.dropout, self.seeds))

    def path(self, root: str = ROOT) -> str:
        # Lists are joined by "+": a cluster job gets its wildcards on a command line that splits at "," and "=".
        seeds = str(self.seeds[0]) if len(self.seeds) == 1 else f"{self.seeds[0]}-{self.seeds[-1]}"
        parts = [
            f"net~{self.net}", f"width~{fmt(self.width)}", f"init~{self.init}", f"data~{self.data}",
            f"prep~{self.prep}", f"opt~{self.opt}", f"lr~{fmt(self.lr)}", f"batch~{self.batch}",
            f"epochs~{self.epochs}", f"tmax~{self.tmax}", f"mode~{self.mode}",
            f"grid~{'off' if self.grid is None else self.grid}", "bn~" + "+".join(str(int(b)) for b in self.bn),
            "alpha~" + "+".join(map(fmt, self.alphas)), "dropout~" + "+".join(map(fmt, self.dropout)),
            f"seeds~{seeds}",
        ]
        return f"{root}/" + "/".join(parts) + "/metrics.csv"

    @classmethod
    def from_path(cls, path: str) -> JobSpec:
        """Inverse of :meth:`path` (whatever precedes ``net~`` is ignored)."""
        text = str(path)
        start = text.find("net~")
        if start < 0 or not text.endswith("/metrics.csv"):
            raise ValueError(f"not a relu_prime training path: {path}")
        try:
            kv = dict(part.split("~", 1) for part in text[start:-len("/metrics.csv")].split("/"))
            dataset, train_split, train_n, test_split, test_n = kv["data"].rsplit("-", 4)
            first, _, last = kv["seeds"].partition("-")
            samples = lambda s: None if s == "all" else int(s)  # noqa: E731
            floats = lambda s: tuple(float(v) for v in s.split("+"))  # noqa: E731
            return cls(
                net=kv["net"], width=float(kv["width"]), init=kv["init"], dataset=dataset,
                train_split=train_split, train_samples=samples(train_n), test_split=test_split,
                test_samples=samples(test_n), prep=kv["prep"], opt=kv["opt"], lr=float(kv["lr"]),
                batch=int(kv["batch"]), epochs=int(kv["epochs"]), tmax=int(kv["tmax"]), mode=kv["mode"],
                grid=None if kv["grid"] == "off" else int(kv["grid"]),
                bn=tuple(bool(int(b)) for b in kv["bn"].split("+")), alphas=floats(kv["alpha"]),
                dropout=floats(kv["dropout"]), seeds=tuple(range(int(first), int(last or first) + 1)),
            )
        except (KeyError, ValueError) as e:
            raise ValueError(f"malformed relu_prime training path {path}: {e}") from e


def tier_label(k: int | None) -> str:
    """How figures and CSVs name the tier: 'faithful' or 'stress k=<k>' (same as relurepro.stress)."""
    return "faithful" if k is None else f"stress k={int(k)}"


# --------------------------------------------------------------------------------------------- grids

def _chunks(values: list, packed: bool) -> list[tuple]:
    return [tuple(values)] if packed else [(v,) for v in values]


def experiment_jobs(exp: dict) -> list[JobSpec]:
    """Every job of one experiment of the scale config (``relu_prime.training.experiments.<name>``).

    Each entry of ``exp['grid']`` is a group {grid_k: [...] (null = faithful), bn: [...], alphas: [...],
    dropout: [...] (optional), runs: n}; groups let a grid differ by BN or carry other run counts, as the
    paper's VGG11-Adam and SVHN grids do. ``exp['pack']`` lists the dimensions (bn, alphas, dropout, seeds)
    that one job trains together; the others get a job per value. A run listed twice is an error.
    """
    pack = set(exp.get("pack", []))
    unknown = pack - set(PACKABLE)
    if unknown:
        raise ValueError(f"pack: unknown dimensions {sorted(unknown)}; choose from {PACKABLE}")
    base = dict(
        net=exp["net"], width=float(exp.get("width_mult", 1.0)), init=exp.get("init", "default"),
        dataset=exp["dataset"], train_split=exp["train_split"], train_samples=exp.get("train_samples"),
        test_split=exp["test_split"], test_samples=exp.get("test_samples"), prep=exp["preprocessing"],
        opt=exp["optimizer"], lr=float(exp["lr"]), batch=int(exp["batch_size"]), epochs=int(exp["epochs"]),
        tmax=int(exp.get("t_max") or exp["epochs"]), mode=exp.get("relu_grad_mode", "set"),
    )
    jobs, seen = [], set()
    for group in exp["grid"]:
        for k in group.get("grid_k", [None]):
            dims = [_chunks([bool(b) for b in group["bn"]], "bn" in pack),
                    _chunks([float(a) for a in group["alphas"]], "alphas" in pack),
                    _chunks([float(p) for p in group.get("dropout", [0.0])], "dropout" in pack),
                    _chunks(list(range(int(group["runs"]))), "seeds" in pack)]
            for bn, alphas, dropout, seeds in itertools.product(*dims):
                spec = JobSpec(**base, grid=None if k is None else int(k), bn=bn, alphas=alphas, dropout=dropout,
                               seeds=seeds)
                for run in spec.runs():
                    key = (spec.tier, *run)
                    if key in seen:
                        raise ValueError(f"experiment grid lists run {key} twice")
                    seen.add(key)
                jobs.append(spec)
    return jobs


# ---------------------------------------------------------------------------------------- job CSVs

# One row per (run, epoch) in a job's metrics.csv, before the experiment name is added.
METRICS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "exact_zeros",
           "relu_inputs", "diverged", "seconds")

# The aggregated CSV results/relu_prime/train_<experiment>.csv: the original's training schema (§3) first,
# then what the original did not record.
COLUMNS = {
    "run_id": "run number within its cell = the seed of init, data order, augmentation and dropout",
    "epoch": "epochs completed, 1..epochs (the original's 0-based epoch e is e+1 here)",
    "train_loss": "mean of the epoch's batch losses (CrossEntropy, mean over the batch); NaN once diverged",
    "train_accuracy": "fraction of training samples classified correctly during the epoch",
    "test_loss": "mean test loss after the epoch (eval mode)",
    "test_accuracy": "fraction of test samples correct after the epoch (eval mode)",
    "relu": "alpha = ReLU'(0)",
    "batch_norm": "True/False: BatchNorm before every ReLU",
    "lr": "learning rate used during the epoch (cosine schedule stepped once per epoch)",
    "exact_zeros": "exact-zero ReLU inputs counted in the epoch's training forward passes (after grid rounding)",
    "relu_inputs": "ReLU input entries seen in the epoch's training forward passes",
    "diverged": "True from the epoch whose loss was non-finite on (training stopped; metrics NaN)",
    "tier": "'faithful' (float32) or 'stress k=<k>' (pre-activations rounded to 2^-k, straight-through)",
    "preact_grid_k": "k of the stress tier; empty (NaN) in the faithful tier",
    "relu_grad_mode": "set (gradient := alpha at exact zeros, the original) or chain (alpha x upstream)",
    "dropout": "dropout probability after each ReLU (MNIST MLP; 0 elsewhere)",
    "experiment": "experiment name (config key)",
    "net": "vgg11, resnet18 or mlp<width>x<layers>",
    "width_mult": "channel multiplier of the CNNs (1 = paper)",
    "init": "default (PyTorch's, as the original) or kaiming (Kaiming-normal conv weights; CPU-scale deviation)",
    "dataset": "dataset-train_split-train_samples-test_split-test_samples",
    "preprocessing": "§2.3 transform set applied: cifar10, svhn or mnist",
    "optimizer": "sgd (momentum 0.9, weight decay 5e-4) or adam (PyTorch defaults)",
    "lr0": "initial learning rate",
    "t_max": "cosine period in epochs",
    "batch_size": "training batch size",
    "epochs": "epochs asked for",
    "seconds": "wall-clock seconds of the epoch",
    "device": "where the run trained",
    "torch": "torch version",
}


def job_frame(spec: JobSpec, runs: dict[tuple, list[dict]], device: str, torch_version: str) -> pd.DataFrame:
    """A job's metrics.csv: the training rows (METRICS) of each run keyed (bn, alpha, dropout, seed), plus
    the job's settings (every column of COLUMNS but `experiment`)."""
    frames = []
    for (bn, alpha, dropout, seed), rows in runs.items():
        df = pd.DataFrame(rows, columns=list(METRICS))
        df.insert(0, "run_id", seed)
        df["relu"], df["batch_norm"], df["dropout"] = alpha, bn, dropout
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    df["tier"] = spec.tier
    df["preact_grid_k"] = math.nan if spec.grid is None else spec.grid
    df["relu_grad_mode"] = spec.mode
    df["net"] = spec.net
    df["width_mult"] = spec.width
    df["init"] = spec.init
    df["dataset"] = spec.data
    df["preprocessing"] = spec.prep
    df["optimizer"] = spec.opt
    df["lr0"] = spec.lr
    df["t_max"] = spec.tmax
    df["batch_size"] = spec.batch
    df["epochs"] = spec.epochs
    df["device"] = device
    df["torch"] = torch_version
    return df[[c for c in COLUMNS if c != "experiment"]]


def job_rows(path: str | Path) -> int:
    """Rows a job CSV must hold: one per run and epoch of the job its path names."""
    spec = JobSpec.from_path(str(path))
    return len(spec.runs()) * spec.epochs


def aggregate(experiment: str, job_csvs: list[str | Path]) -> pd.DataFrame:
    """The experiment's aggregated table from its job CSVs; a malformed job CSV fails naming its path."""
    frames = []
    for path in job_csvs:
        try:
            df = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: empty file") from None
        # The job CSV has every column but `experiment`: insert it where COLUMNS has it.
        df.insert(min(list(COLUMNS).index("experiment"), len(df.columns)), "experiment", experiment)
        validate(df, str(path), job_csv=JobSpec.from_path(str(path)))
        frames.append(df)
    if not frames:
        raise ValueError(f"experiment {experiment}: no job CSVs to aggregate")
    df = pd.concat(frames, ignore_index=True)[list(COLUMNS)]
    validate(df, f"train_{experiment}.csv", rows=sum(job_rows(p) for p in job_csvs))
    return df.sort_values(["tier", "batch_norm", "dropout", "relu", "run_id", "epoch"], kind="stable",
                          ignore_index=True)


def schema():
    """The declared schema of a job CSV (plus `experiment`) and of train_<experiment>.csv (relurepro.schemas):
    COLUMNS in order, one row per (run, epoch), accuracies as fractions, and diverged rows (NaN metrics from the
    first non-finite loss on; diverged training is data) allowed."""
    import pandera.pandas as pa  # here: the workflow imports this module to plan, without pandera

    def num(*checks, nullable=False):
        return pa.Column(float, list(checks), coerce=True, nullable=nullable)

    nan_ok = {"nullable": True}  # NaN in the rows of a diverged run
    columns = {
        "run_id": pa.Column(int, pa.Check.ge(0)), "epoch": pa.Column(int, pa.Check.ge(1)),
        "train_loss": num(pa.Check.ge(0), **nan_ok), "train_accuracy": num(pa.Check.in_range(0, 1), **nan_ok),
        "test_loss": num(pa.Check.ge(0), **nan_ok), "test_accuracy": num(pa.Check.in_range(0, 1), **nan_ok),
        "relu": num(), "batch_norm": pa.Column(bool), "lr": num(pa.Check.ge(0), **nan_ok),
        "exact_zeros": num(pa.Check.ge(0), **nan_ok), "relu_inputs": num(pa.Check.ge(0), **nan_ok),
        "diverged": pa.Column(bool),
        "tier": pa.Column(str, pa.Check.str_matches(r"^(faithful|stress k=\d+)$")),
        "preact_grid_k": num(pa.Check.ge(0), **nan_ok),
        "relu_grad_mode": pa.Column(str, pa.Check.isin(GRAD_MODES)), "dropout": num(pa.Check.in_range(0, 1)),
        "experiment": pa.Column(str), "net": pa.Column(str, pa.Check.str_matches(r"^(vgg11|resnet18|mlp\d+x\d+)$")),
        "width_mult": num(pa.Check.gt(0)), "init": pa.Column(str, pa.Check.isin(INITS)), "dataset": pa.Column(str),
        "preprocessing": pa.Column(str, pa.Check.isin(PREPS)), "optimizer": pa.Column(str, pa.Check.isin(OPTIMIZERS)),
        "lr0": num(pa.Check.gt(0)), "t_max": pa.Column(int, pa.Check.ge(1)),
        "batch_size": pa.Column(int, pa.Check.ge(1)),
        "epochs": pa.Column(int, pa.Check.ge(1)), "seconds": num(pa.Check.ge(0), **nan_ok),
        "device": pa.Column(str), "torch": pa.Column(str),
    }
    run = ["experiment", "tier", "batch_norm", "relu", "dropout", "run_id"]
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=[*run, "epoch"], checks=[
        pa.Check(lambda d: d["epoch"] <= d["epochs"], error="epoch in 1..epochs"),
        pa.Check(lambda d: d["diverged"] | (d["train_loss"].notna() & d["test_accuracy"].notna()),
                 error="NaN metrics only in rows marked diverged"),
        pa.Check(lambda d: ~d["diverged"] | d["train_loss"].isna(), error="a diverged row has no training loss"),
        pa.Check(lambda d: (d["tier"] == "faithful") == d["preact_grid_k"].isna(),
                 error="preact_grid_k is empty exactly in the faithful tier"),
        # Once diverged, a run stays diverged: the flag never drops back to False in a later epoch.
        pa.Check(lambda d: d.sort_values("epoch").assign(div=d["diverged"].astype(int)).groupby(run)["div"].cummax()
                 .reindex(d.index) == d["diverged"].astype(int),
                 error="a run stays diverged from its first diverged epoch on"),
    ])


def validate(df: pd.DataFrame, path: str, job_csv: JobSpec | None = None, rows: int | None = None) -> None:
    """Fail, naming `path` and its lines, when a table does not follow `schema` (relurepro.schemas); a job CSV
    must hold exactly the runs and epochs its path names, and `rows` is the row count the jobs promised."""
    from relurepro import schemas

    if job_csv is not None:
        rows = len(job_csv.runs()) * job_csv.epochs
    df = schemas.check(df, schema(), path, rows=rows)
    # Every run has exactly one row per epoch 1..epochs (diverged runs too: NaN rows); duplicates failed above.
    for (exp, tier, bn, relu, p, run), g in df.groupby(["experiment", "tier", "batch_norm", "relu", "dropout",
                                                         "run_id"]):
        if sorted(g["epoch"]) != list(range(1, int(g["epochs"].iloc[0]) + 1)):
            raise ValueError(f"{path}: run {run} ({tier}, bn={bn}, relu={relu}, dropout={p}) does not have one "
                             f"row per epoch 1..{int(g['epochs'].iloc[0])}")
    if job_csv is not None:
        expect = {"epochs": job_csv.epochs, "lr0": job_csv.lr, "tier": job_csv.tier, "batch_size": job_csv.batch,
                  "t_max": job_csv.tmax, "relu_grad_mode": job_csv.mode}
        for c, v in expect.items():
            if not (df[c] == v).all():
                raise ValueError(f"{path}: column {c} disagrees with the path ({v!r})")
        found = set(zip(df["batch_norm"], df["relu"], df["dropout"], df["run_id"]))
        if found != set(job_csv.runs()):
            raise ValueError(f"{path}: runs (batch_norm, relu, dropout, run_id) {sorted(found)} differ from the "
                             f"path's {sorted(job_csv.runs())}")


def read_table(path: str | Path) -> pd.DataFrame:
    """An aggregated train_<experiment>.csv as rule rp_train_table wrote it, checked (`validate`)."""
    from relurepro import schemas

    return schemas.read_checked(path, lambda df, p: validate(df, str(p)))


# ---------------------------------------------------------------------------------------- claims

def last_epoch(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of each run's last epoch (epoch == epochs asked for)."""
    return df[df["epoch"] == df["epochs"]]


def last_epoch_accuracy(table: str | Path | pd.DataFrame, diverged_as: float | None = None) -> pd.DataFrame:
    """Last-epoch test accuracy per (experiment, tier, batch_norm, relu, dropout), for the claims table.

    Columns: experiment, tier, batch_norm, relu, dropout, runs, diverged_runs, test_accuracy (mean over the
    runs that finished; NaN if all diverged), test_accuracy_sd, exact_zeros (summed over all epochs and runs).
    `diverged_as` (e.g. 0.1, chance) counts diverged runs at that accuracy in the mean instead of leaving them
    out.
    """
    df = read_table(table) if not isinstance(table, pd.DataFrame) else table
    df = df.assign(batch_norm=df["batch_norm"].astype(str) == "True", diverged=df["diverged"].astype(str) == "True")
    keys = ["experiment", "tier", "batch_norm", "relu", "dropout"]
    zeros = df.groupby(keys)["exact_zeros"].sum(min_count=1).rename("exact_zeros")
    last = last_epoch(df).copy()
    if diverged_as is not None:
        last.loc[last["diverged"], "test_accuracy"] = float(diverged_as)
    out = last.groupby(keys).agg(runs=("run_id", "nunique"), diverged_runs=("diverged", "sum"),
                                 test_accuracy=("test_accuracy", "mean"), test_accuracy_sd=("test_accuracy", "std"))
    return out.join(zeros).reset_index()
