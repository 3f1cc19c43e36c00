"""The leaf runs (§3.0): which (network, dataset, activation, type, optimizer, DSPT, P24Sl, seed) combinations a
scale trains, addressed by self-describing paths with the seed in them (the original let seeds overwrite)."""

from __future__ import annotations

from dataclasses import dataclass

from relurepro.pipeline.packs import Pack, packs as cut_packs

LINEAR_UNITS = ("ReLU", "SiLU")
BOUNDED = ("Tanh", "Sigmoid")
DATASET_COLUMNS = ("f-mnist", "cifar10")  # the tables' two dataset columns
RUN = ("results/leaf/train/net~{net}/ds~{ds}/af~{af}/type~{type}/opt~{opt}/dspt~{dspt}/p24sl~{p24sl}"
       "/seed~{seed}")


@dataclass(frozen=True, order=True)
class Run:
    net: str
    ds: str  # a dataset column: f-mnist or cifar10 (the data behind it depends on the scale)
    af: str
    type: str  # base | ahaf | leaf
    opt: str = "adam"
    dspt: int = 0
    p24sl: int = 0
    seed: int = 42

    def path(self, name: str = "stat.csv") -> str:
        return RUN.format(**self.__dict__) + "/" + name

    def procedure(self) -> str:
        """The tables' "Procedure" column: Classic, DSPT, P24Sl or "DSPT, P24Sl"."""
        parts = [p for p, on in (("DSPT", self.dspt), ("P24Sl", self.p24sl)) if on]
        return ", ".join(parts) or "Classic"

    def label(self, with_opt: bool = False) -> str:
        """Legend label of the curve figures: type, [optimizer], [DSPT], [P24Sl]."""
        parts = [self.type.upper() if self.type != "base" else "Base"]
        if with_opt:
            parts.append("ADAM" if self.opt == "adam" else "RMSprop")
        parts += [p for p, on in (("DSPT", self.dspt), ("P24Sl", self.p24sl)) if on]
        return ", ".join(parts)


def table_variants(af: str) -> list[tuple[str, str, int, int]]:
    """(type, opt, dspt, p24sl) of the README tables: five for linear units, three for bounded functions (AHAF
    has no Tanh/Sigmoid initialisation: the original's commands crash, so they are not scheduled)."""
    if af in LINEAR_UNITS:
        return [("base", "adam", 0, 0), ("ahaf", "adam", 0, 0), ("ahaf", "adam", 1, 0), ("leaf", "adam", 0, 1),
                ("leaf", "adam", 1, 1)]
    return [("base", "adam", 0, 0), ("leaf", "adam", 0, 1), ("leaf", "adam", 1, 1)]


# Curve figures (§3.6-3.11): (activation, variants in legend order, show optimizer in labels).
STABILITY = [("leaf", "adam", 0, 0), ("ahaf", "rmsprop", 0, 0), ("leaf", "rmsprop", 0, 0), ("leaf", "rmsprop", 0, 1),
             ("leaf", "adam", 0, 1)]
CURVES = {
    "curves_relu_adam": ("ReLU", table_variants("ReLU"), False),
    "curves_silu_adam": ("SiLU", table_variants("SiLU"), False),
    "curves_tanh_adam": ("Tanh", [("base", "adam", 0, 0), ("leaf", "adam", 0, 0), *table_variants("Tanh")[1:]],
                         False),
    "curves_sigmoid_adam": ("Sigmoid", [("base", "adam", 0, 0), ("leaf", "adam", 0, 0),
                                        *table_variants("Sigmoid")[1:]], False),
    "curves_leaf_relu_stability": ("ReLU", STABILITY, True),
    "curves_leaf_silu_stability": ("SiLU", STABILITY, True),
}
# Learned-shape grids (§3.12): (activation, type, dspt, p24sl), Adam.
SHAPES = [("ReLU", "ahaf", 1, 0), ("SiLU", "ahaf", 1, 0), ("ReLU", "leaf", 0, 0), ("SiLU", "leaf", 0, 0),
          ("ReLU", "leaf", 1, 1), ("SiLU", "leaf", 1, 1), ("Tanh", "leaf", 0, 1), ("Sigmoid", "leaf", 0, 1),
          ("Tanh", "leaf", 1, 1), ("Sigmoid", "leaf", 1, 1)]


def runs(c: dict) -> list[Run]:
    """Every run of a scale's leaf config: the README tables for every (net, dataset), the stability runs, the
    extra seeds, and with `fill_all_charts` the runs the original figures refer to but the README never launches
    (§3.0: 148 runs at paper scale, 184 filled)."""
    datasets = [ds for ds in DATASET_COLUMNS if c["datasets"].get(ds)]
    out = set()
    for net in c["nets"]:
        for ds in datasets:
            for af in (*LINEAR_UNITS, *BOUNDED):
                out |= {Run(net, ds, af, *v) for v in table_variants(af)}
                if c["fill_all_charts"]:
                    out.add(Run(net, ds, af, "leaf"))  # LEAF Classic, Adam
                    if af in LINEAR_UNITS:
                        out |= {Run(net, ds, af, *v) for v in STABILITY}
    s = c["stability"]
    out |= {Run(net, ds, af, *v) for net in s["nets"] for ds in s["datasets"] for af in s["acts"] for v in STABILITY
            if ds in datasets and net in c["nets"]}
    e = c["seed_runs"]
    out |= {Run(net, ds, af, *v, seed=seed) for net in c["nets"] for ds in e["datasets"] if ds in datasets
            for af in e["acts"] for v in table_variants(af) for seed in e["seeds"]}
    return sorted(out)


def packs(runs: list[Run], per_job: int) -> list[Pack]:
    """`runs` cut into packs of at most `per_job` runs of one (network, dataset), as even as can be
    (relurepro.pipeline.packs); none when `per_job` is 1."""
    return cut_packs(runs, per_job, group=lambda r: (r.net, r.ds),
                     label=lambda key: f"{key[0]}_{key[1].replace('-', '')}", what="leaf runs_per_job")
