"""relu_prime's job grids, without torch (the workflow reads them while planning): the training jobs (`JobSpec`,
`experiment_jobs`) and the zeros_ratio count jobs (`zeros_ratio_jobs`). Their results: relurepro.relu_prime.aggregate.

A *job* trains every combination of its batch-norm settings, alphas, dropout rates and seeds for one set of
settings; its self-describing path names everything that decides the result (relu_prime §3.14)::

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
import re
from dataclasses import dataclass

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
    """How figures and CSVs name the tier: 'faithful' or 'stress k=<k>' (same as relurepro.relu_prime.stress)."""
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


# ---------------------------------------------------------------------------------- zeros_ratio count jobs

def _joined(values) -> str:
    return "-".join(str(int(v)) for v in values)


def parse_list(text: str) -> list[int]:
    """'1-3-6' -> [1, 3, 6] (the layer_list / neuron_list path segments)."""
    return [int(v) for v in str(text).split("-")]


def zeros_ratio_jobs(cfg: dict) -> list[dict]:
    """The count jobs of a scale's zeros_ratio config: one per (precision, L, N) with one_job_per_cell (long
    training runs), else one per precision holding every (L, N) cell (cheap passes; saves process start-ups).
    Each job: bits, layer_list, neuron_list ('-'-joined), runs."""
    missing = [b for b in cfg["bits"] if str(b) not in cfg["runs"]]
    if missing:
        raise ValueError(f"zeros_ratio: runs has no entry for precision(s) {missing}")
    out = []
    for bits in cfg["bits"]:
        runs = cfg["runs"][str(bits)]
        if cfg["one_job_per_cell"]:
            out += [{"bits": bits, "layer_list": str(L), "neuron_list": str(N), "runs": runs}
                    for L in cfg["layers"] for N in cfg["neurons"]]
        else:
            out.append({"bits": bits, "layer_list": _joined(cfg["layers"]), "neuron_list": _joined(cfg["neurons"]),
                        "runs": runs})
    return out


_COUNTS = re.compile(r"zeros_ratio/(?P<protocol>init|train)/[^/]+/bits~(?P<bits>\d+)/layers~(?P<layers>\d+(?:-\d+)*)/"
                     r"neurons~(?P<neurons>\d+(?:-\d+)*)/runs~(?P<runs>\d+)/epochs~(?P<epochs>\d+)/counts\.csv$")


def zeros_ratio_job(path) -> dict | None:
    """What a count job's self-describing path promises (protocol, bits, layers, neurons, runs, passes per run),
    or None for a path that is not one."""
    m = _COUNTS.search(str(path))
    if m is None:
        return None
    return {"protocol": m["protocol"], "bits": int(m["bits"]), "layers": parse_list(m["layers"]),
            "neurons": parse_list(m["neurons"]), "runs": int(m["runs"]),
            "passes": int(m["epochs"]) if m["protocol"] == "train" else 1}
