"""uniform_accuracy's runs.csv, the sine run's metrics.csv and aggregated.csv, as the figures, tables and claims
re-read them, follow their declared schemas: a valid file passes; a duplicated row, a mistyped value, an extra
column, a header-only file or a broken cross-column rule fails naming the file."""

from __future__ import annotations

import itertools

import pandas as pd

from csv_corruptions import assert_rejected, corruptions
from relurepro.uniform_accuracy import aggregate
from relurepro.uniform_accuracy.cell import read_runs, read_sine
from relurepro.uniform_accuracy.illustration import read_windows


def runs(exp: str = "adam", teachers=("0", "1"), seeds=(0, 1), iterations=(1, 2), d: int = 1) -> pd.DataFrame:
    rows = [{"d": d, "exp": exp, "m": 10, "width": 8, "teacher": t, "seed": s, "iteration": i,
             "L1": 0.1 * (1 + k), "L2": 0.2 * (1 + k), "Linfinity": 0.5 * (1 + k), "train_L2": 0.01, "lr": 1e-3,
             "steps": 100 * i, "epochs": 10 * i, "seconds": 1.5}
            for k, (t, s, i) in enumerate(itertools.product(teachers, seeds, iterations))]
    return pd.DataFrame(rows)


def sine() -> pd.DataFrame:
    return runs("sine", teachers=("sine",), seeds=(3,), iterations=(1, 2, 3))


def test_runs_csv_is_re_read_through_its_schema(tmp_path):
    path = tmp_path / "runs.csv"
    runs().to_csv(path, index=False)
    assert read_runs(path, rows=8).equals(pd.read_csv(path, dtype={"teacher": str}))
    for case, bad in corruptions(path.read_text(), "L2").items():
        assert_rejected(path, bad, read_runs)
    assert_rejected(path, runs().assign(L1=1.0).to_csv(index=False), read_runs, "L1 <= L2 <= Linfinity")
    assert_rejected(path, runs().to_csv(index=False), lambda p: read_runs(p, rows=9), "8 rows")


def test_sine_metrics_schema(tmp_path):
    path = tmp_path / "metrics.csv"
    sine().to_csv(path, index=False)
    assert len(read_sine(path, iterations=3)) == 3
    for case, bad in corruptions(path.read_text(), "Linfinity").items():
        assert_rejected(path, bad, read_sine)
    assert_rejected(path, sine().assign(Linfinity=0.0).to_csv(index=False), read_sine, "L1 <= L2 <= Linfinity")
    assert_rejected(path, sine().assign(d=2).to_csv(index=False), read_sine, "one sine student")
    assert_rejected(path, sine().assign(iteration=[1, 2, 4]).to_csv(index=False), read_sine, "not 1..3")
    assert_rejected(path, sine().to_csv(index=False), lambda p: read_sine(p, iterations=4), "3 rows")


def test_aggregated_csv_is_re_read_through_its_schema(tmp_path):
    table = aggregate.aggregate(pd.concat([runs("adam"), runs("sgd")], ignore_index=True))
    path = tmp_path / "aggregated.csv"
    table.to_csv(path, index=False)
    assert aggregate.read_table(path).equals(pd.read_csv(path, dtype={"teacher": str}))
    for case, bad in corruptions(path.read_text(), "error").items():
        assert_rejected(path, bad, aggregate.read_table)
    assert_rejected(path, table.assign(teacher="0").to_csv(index=False), aggregate.read_table,
                    "a teacher exactly for reduction max")
    assert_rejected(path, "", aggregate.read_table, "empty file")


def test_illustration_windows_schema(tmp_path):
    windows = pd.DataFrame({"window": [1, 2], "x": [0.3, -0.6], "error": [0.02, 0.015], "lo": [0.25, -0.65],
                            "hi": [0.35, -0.55], "interior_linf": 0.02, "global_linf": 0.03, "l2": 0.005})
    path = tmp_path / "illustration_windows.csv"
    windows.to_csv(path, index=False)
    assert read_windows(path).equals(pd.read_csv(path))
    for case, bad in corruptions(path.read_text(), "error").items():
        assert_rejected(path, bad, read_windows)
    assert_rejected(path, windows.assign(error=0.05).to_csv(index=False), read_windows, "interior_linf")
    assert_rejected(path, windows.assign(lo=0.4).to_csv(index=False), read_windows, "lo < x < hi")
