"""leaf: a paper-scale grid of one network on CIFAR-10 (summary, epochs, learned p1 per layer) and the af_diff table,
built here; each case changes the few runs or rows its claim reads."""

import pandas as pd

from relurepro.leaf.claims import claims, relu_bound, tanh_bound
from relurepro.leaf.grid import STABILITY, table_variants

SCALE = "paper"
REFERENCE = pd.DataFrame([{"figure": "table_bou_fn_lenet5", "quantity": "tanh_cifar10", "condition": "",
                           "value": "+7 %", "source": "abstract"}])
BASE = ([50.0, 55.0, 60.0], [2.0, 1.5, 1.0])  # (test accuracy per epoch in %, training loss per epoch)
ADAPTIVE = ([60.0, 65.0, 67.0], [1.5, 1.0, 0.5])
TANH_LEAF = ([60.0, 65.0, 67.0], [1.5, 1.0, 0.5])  # +7 points over Base Tanh: C2 and the published +7
UNSTABLE = ([60.0, 40.0, 67.0], [1.5, 1.2, 0.5])  # LEAF-ReLU Classic: a 20-point drop
KEYS = ["net", "ds", "af", "type", "opt", "dspt", "p24sl", "seed"]


def runs() -> list[tuple]:
    """(af, type, opt, dspt, p24sl, seed): the table variants and LEAF Classic at seed 42, the ReLU stability runs,
    and a second seed of the ReLU table variants."""
    out = set()
    for af in ("ReLU", "SiLU", "Tanh", "Sigmoid"):
        out |= {(af, *v, 42) for v in table_variants(af)} | {(af, "leaf", "adam", 0, 0, 42)}
    out |= {("ReLU", *v, 42) for v in STABILITY} | {("ReLU", *v, 100) for v in table_variants("ReLU")}
    return sorted(out)


def curves(run: tuple, changes: dict) -> tuple:
    af, type_, opt, dspt, p24sl, seed = run
    if run in changes:
        return changes[run]
    if type_ == "base":
        return BASE
    if af == "ReLU" and type_ == "leaf" and dspt == 0 and p24sl == 0:
        return UNSTABLE
    return TANH_LEAF if af == "Tanh" else ADAPTIVE


def tables(changes: dict = {}, p1: dict = {}) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(summary, epochs, params); `changes`: run -> (accuracy, loss) curves; `p1`: (af, layer) -> mean p1."""
    summary, epochs, params = [], [], []
    for run in runs():
        acc, loss = curves(run, changes)
        keys = dict(zip(KEYS, ("lenet5", "cifar10", *run)))
        epochs += [{**keys, "epoch": e, "train_loss_mean": l, "test_acc": a / 100, "diverged": False}
                   for e, (a, l) in enumerate(zip(acc, loss))]
        summary.append({**keys, "best_acc": max(acc), "final_loss": loss[-1], "diverged": False})
        if keys["type"] == "leaf" and keys["af"] in ("Sigmoid", "SiLU"):
            params += [{**keys, "layer": layer, "param": "p1",
                        "mean": p1.get((keys["af"], layer), 0.05 if keys["af"] == "Sigmoid" else 0.9)}
                       for layer in ("act1", "act2", "act3")]
    return pd.DataFrame(summary), pd.DataFrame(epochs), pd.DataFrame(params)


def af_diff(changes: dict = {}) -> pd.DataFrame:
    """Squared errors as measured on a CPU (leaf §2.2); `changes`: (pair, dtype) -> max."""
    measured = {"ahaf_as_silu": (0.0, 0.0), "leaf_as_silu": (0.0, 0.0), "leaf_as_sigmoid": (0.0, 0.0),
                "ahaf_as_relu": (1.2e-13, 7.5e-25), "leaf_as_relu": (1.2e-13, 7.5e-25),
                "leaf_as_tanh": (3.2e-14, 1.1e-31), "silu_handwritten_vs_torch": (9.1e-13, 3.2e-30)}
    return pd.DataFrame([{"pair": pair, "dtype": dtype, "device": "cpu", "min": 0.0,
                          "max": changes.get((pair, dtype), errors[i])}
                         for pair, errors in measured.items() for i, dtype in enumerate(("float32", "float64"))])


def _run(changes: dict = {}, p1: dict = {}, diff: dict = {}):
    return claims(*tables(changes, p1), af_diff(diff), REFERENCE, SCALE)


def _same_as_base(af: str, pick, seed: int = 42) -> dict:
    """Every adaptive run of `af` at `seed` that `pick(type, dspt, p24sl)` selects gets the base curves."""
    return {r: BASE for r in runs() if r[0] == af and r[5] == seed and r[1] != "base" and pick(*r[1:2], *r[3:5])}


CASES = {
    # every adaptive Sigmoid row only ties the base row: a tie is no win
    "leaf.C1": lambda violate: _run(_same_as_base("Sigmoid", lambda t, d, p: True) if violate else {}),
    # LEAF-Tanh only 1 point above Tanh, inside the ~1.9-point test-set noise of 10,000 images
    "leaf.C2": lambda violate: _run({("Tanh", "leaf", "adam", d, 1, 42): ([60.0, 61.0, 61.0], ADAPTIVE[1])
                                     for d in (0, 1)} if violate else {}),
    # LEAF-Tanh 12 points above Tanh: beats it (C2) but disagrees with the published +7
    "leaf.C2_published": lambda violate: _run({("Tanh", "leaf", "adam", d, 1, 42): ([60.0, 70.0, 72.0], ADAPTIVE[1])
                                               for d in (0, 1)} if violate else {}),
    # LEAF-as-Sigmoid's first layer drifts to a negative mean p1
    "leaf.C3": lambda violate: _run(p1={("Sigmoid", "act1"): -0.01} if violate else {}),
    # LEAF-Sigmoid P24Sl: higher accuracy but the same final loss as Sigmoid
    "leaf.C4": lambda violate: _run({("Sigmoid", "leaf", "adam", 0, 1, 42): (ADAPTIVE[0], [1.5, 1.0, 1.0])}
                                    if violate else {}),
    # LEAF-Tanh DSPT+P24Sl: lower final loss but a slower start (larger mean loss)
    "leaf.C4_tanh": lambda violate: _run({("Tanh", "leaf", "adam", 1, 1, 42): (TANH_LEAF[0], [2.5, 2.4, 0.5])}
                                         if violate else {}),
    # the DSPT rows of ReLU only tie the base row (the non-DSPT ones still win: C1 holds)
    "leaf.C5": lambda violate: _run(_same_as_base("ReLU", lambda t, d, p: d == 1) if violate else {}),
    # LEAF-ReLU Classic (Adam) as smooth as P24Sl: no drop either way
    "leaf.C6": lambda violate: _run({("ReLU", "leaf", "adam", 0, 0, 42): ADAPTIVE} if violate else {}),
    # at seed 100 every adaptive ReLU row ties the base row (seed 42 still wins: C1 holds)
    "leaf.C7": lambda violate: _run(_same_as_base("ReLU", lambda t, d, p: True, seed=100) if violate else {}),
    # the smallest positive float32 above an exact zero
    "leaf.init_relu": lambda violate: _run(diff={("ahaf_as_relu", "float32"): relu_bound("float32") * 1.01}
                                           if violate else {}),
    "leaf.init_tanh": lambda violate: _run(diff={("leaf_as_tanh", "float64"): tanh_bound("float64") * 1.01}
                                           if violate else {}),
}
