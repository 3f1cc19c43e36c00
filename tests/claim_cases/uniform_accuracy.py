"""uniform_accuracy: min-max error curves of two dimensions, and the sine run's windows."""

import pandas as pd

from relurepro.uniform_accuracy.claims import claims

SCALE = "quick"
NO_REFERENCE = pd.DataFrame(columns=["figure", "quantity", "condition", "value", "source"])
# (L2 constant, L-infinity constant, L2 slope, L-infinity slope) per dimension: error = constant * m^slope.
GOOD = {1: (0.001, 0.005, -0.6, -0.4), 3: (0.01, 0.06, -0.6, -0.4)}


def table(curves=GOOD) -> pd.DataFrame:
    rows = []
    for d, (a, b, s2, sinf) in curves.items():
        for m in (30, 300, 3000):
            l2, linf = a * m**s2, b * m**sinf
            for metric, value in (("L1", l2 / 2), ("L2", l2), ("Linfinity", linf)):
                rows.append({"d": d, "m": m, "metric": metric, "reduction": "max", "error": value})
    return pd.DataFrame(rows)


def windows(interior_linf=0.03, l2=0.004) -> pd.DataFrame:
    return pd.DataFrame([{"interior_linf": interior_linf, "l2": l2}])


def _run(curves=GOOD, **window):
    return claims(table(curves), windows(**window), NO_REFERENCE, SCALE)


CASES = {
    # d = 1: L-infinity only 1.2 m^0.2 times L2, under 3 at m = 30
    "ua.C2": lambda violate: _run({**GOOD, 1: (0.001, 0.0012, -0.6, -0.4)} if violate else GOOD),
    # d = 3: L2 flatter (-0.3) than L-infinity (-0.4)
    "ua.C3": lambda violate: _run({**GOOD, 3: (0.01, 0.06, -0.3, -0.4)} if violate else GOOD),
    # d = 3: L-infinity falls slightly faster than L2, so the ratio shrinks with m
    "ua.C4": lambda violate: _run({**GOOD, 3: (0.01, 0.06, -0.5, -0.55)} if violate else GOOD),
    # d = 3 uniform errors only 6 x the d = 1 ones
    "ua.C5": lambda violate: _run({**GOOD, 3: (0.01, 0.03, -0.6, -0.4)} if violate else GOOD),
    "ua.C1": lambda violate: _run(interior_linf=0.006 if violate else 0.03),
    "ua.C1_fit": lambda violate: _run(interior_linf=0.2, l2=0.02) if violate else _run(),
}
