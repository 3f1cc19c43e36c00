"""constnet: collected runs (ConstNet arms, LeakyNet strings), their weight correlations, the toy model's runs and
the signal-propagation table, each built here."""

import math

import pandas as pd

from relurepro.constnet import sigprop, toy
from relurepro.constnet.claims import claims

SCALE = "paper"  # the scale that checks every constnet claim (cn.C4_comparable is checked at paper scale only)
NO_REFERENCE = pd.DataFrame(columns=["figure", "quantity", "condition", "value", "source"])
# final test accuracy, final symmetry deviation, (init, breaker, droprate) per ConstNet arm
ARMS = {"constnet_deterministic": (0.27, 0.0, ("const", "det", 0.0)), "constnet": (0.96, 1.0, ("const", "ulp", 0.0)),
        "constnet_dropout": (0.97, 1.2, ("const", "det", 0.01)), "constnet_he": (0.99, 1.0, ("random", "ulp", 0.0))}
LEAKY = {"h_hh_hh_hh": 0.99, "1_ii_ii_ii": 0.96, "1_ii_1i_ii": 0.83, "1_ii_11_ii": 0.26, "1_11_11_11": 0.23}
# final forward and backward |c| per arm (every layer alike); He's level is 0.02
CORR = {"constnet_deterministic": 1.0, "constnet": 0.1, "constnet_dropout": 0.05, "constnet_he": 0.02}


def metrics(arms=ARMS, leaky=LEAKY, det_broken=False) -> pd.DataFrame:
    rows = []
    for name, (acc, dev, (init, breaker, droprate)) in arms.items():
        for epoch in range(3):
            broken = dev > 0 and (epoch > 0 or init == "random")
            if name == "constnet_deterministic" and det_broken and epoch == 2:
                dev, broken = 1e-7, True  # the deterministic arm's numerics split two channels at the last epoch
            rows.append(dict(kind="constnet", name=name, seed=0, data="digits", epoch=epoch,
                             test_acc=acc if epoch == 2 else 0.1, symmetry_deviation=dev if broken else 0.0,
                             distinct_channels=2 if broken else 1, arm_init=init, arm_breaker=breaker,
                             arm_droprate=droprate))
    for name, acc in leaky.items():
        for epoch in range(3):
            rows.append(dict(kind="leakynet", name=name, seed=0, data="digits", epoch=epoch,
                             test_acc=acc if epoch == 2 else 0.1, symmetry_deviation=0.5, distinct_channels=-1,
                             arm_init=name, arm_breaker="ulp", arm_droprate=0.0))
    return pd.DataFrame(rows)


def correlations(levels=CORR) -> pd.DataFrame:
    return pd.DataFrame([dict(kind="constnet", name=name, seed=0, epoch=epoch, layer=layer, kind_corr=kind,
                              c=1.0 if epoch == 0 and name != "constnet_he" else c)
                         for name, c in levels.items() for epoch in (0, 2) for layer in ("conv1", "conv2", "fc")
                         for kind in ("correlations", "forward", "backward")])


def _run(metrics_table=None, corr=None):
    m = metrics() if metrics_table is None else metrics_table
    return claims(m, correlations() if corr is None else corr, NO_REFERENCE, SCALE)


def _arm(name, acc=None, dev=None):
    old_acc, old_dev, how = ARMS[name]
    return {**ARMS, name: (old_acc if acc is None else acc, old_dev if dev is None else dev, how)}


def toy_runs(accs: dict, seeds=3, n_test=400) -> pd.DataFrame:
    """Runs with the given per-(k, noise) accuracies, seeds spread by +-0.01."""
    return pd.DataFrame([{"data": "x", "width": 64, "k": k, "noise": z, "seed": s, "epochs": 1, "n_test": n_test,
                          "train_acc": a, "test_acc": a + 0.01 * (s - (seeds - 1) / 2), "distinct_init": k,
                          "distinct_final": k} for (k, z), a in accs.items() for s in range(seeds)])


TOY = {(1, 0.0): 0.3, (64, 0.0): 0.95, (1, 0.01): 0.9, (1, 0.1): 0.93, (64, 0.1): 0.95}


def sigprop_table(const_wobble: float = 0.0, he_spread=None, seeds: int = 16) -> pd.DataFrame:
    """ConstNet flat (its last layer off by `const_wobble`), He with ln(v_L / v_0) spread +-he_spread[L] over
    seeds."""
    rows = []
    for depth, spread in (he_spread or {4: 0.2, 64: 2.0}).items():
        for s in range(seeds):
            sign = (-1) ** s * (1 + s / seeds)
            for init, last in (("constnet", 1.0 + const_wobble), ("he", math.exp(spread * sign))):
                rows += [{"init": init, "depth": depth, "seed": s, "layer": 0, "act_var": 1.0, "grad_var": 1.0},
                         {"init": init, "depth": depth, "seed": s, "layer": 1, "act_var": last, "grad_var": 1.0}]
    return pd.DataFrame(rows).assign(width=4, batch=8, distinct_channels=1)


CASES = {
    "cn.C2_symmetric": lambda violate: _run(metrics(det_broken=violate)),
    # the ulp arm ends symmetric (deviation 0) although accurate
    "cn.C3_breaks": lambda violate: _run(metrics(_arm("constnet", dev=0.0) if violate else ARMS)),
    # the ulp arm 14 points behind He init
    "cn.C4_comparable": lambda violate: _run(metrics(_arm("constnet", acc=0.85) if violate else ARMS)),
    # a string with a fully averaging group trains almost as well as the free ones
    "cn.C5_blocked": lambda violate: _run(metrics(leaky={**LEAKY, "1_ii_11_ii": 0.93} if violate else LEAKY)),
    # the ulp arm's correlations stay near 1, far from He's level
    "cn.C6_similar": lambda violate: _run(corr=correlations({**CORR, "constnet": 0.8} if violate else CORR)),
    # k = 1 only 2 points below full diversity: inside the 4.1-point margin of 400 images x 3 seeds
    "cn.toy_diversity": lambda violate: toy.claims(toy_runs({**TOY, (1, 0.0): 0.93} if violate else TOY), SCALE),
    # noise 0.01 does not help the k = 1 net
    "cn.toy_noise": lambda violate: toy.claims(toy_runs({**TOY, (1, 0.01): 0.31} if violate else TOY), SCALE),
    # ConstNet's last layer off by 1e-3
    # He's spread the same at both depths
    "cn.sigprop_he": lambda violate: sigprop.claims(sigprop_table(he_spread={4: 1.0, 64: 1.0} if violate else None),
                                                    SCALE),
}
