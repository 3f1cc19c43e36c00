"""constnet's collected metrics.csv and correlations.csv, as the claims and figures re-read them, follow their
declared schemas: a valid file passes; a duplicated row, a mistyped value, an extra column, a header-only file or a
broken cross-column rule fails naming the file."""

from __future__ import annotations

import pandas as pd

from csv_corruptions import assert_rejected, corruptions
from relurepro.constnet.aggregate import collect, read_collected_metrics, read_correlations
from test_constnet_aggregate import run_tables, write_run  # noqa: F401 (run_tables: a fixture)


def test_collected_tables_are_re_read_through_their_schema(tmp_path, run_tables):  # noqa: F811
    metrics, correlations = collect(*map(list, zip(write_run(tmp_path, run_tables))), {"constnet": 1})
    m, c = tmp_path / "metrics.csv", tmp_path / "correlations.csv"
    metrics.to_csv(m, index=False)
    correlations.to_csv(c, index=False)
    assert read_collected_metrics(m).equals(pd.read_csv(m))
    assert read_correlations(c).equals(pd.read_csv(c))
    for case, bad in corruptions(m.read_text(), "epoch").items():
        assert_rejected(m, bad, read_collected_metrics)
    for case, bad in corruptions(c.read_text(), "epoch").items():
        assert_rejected(m, bad, read_correlations)
    # Cross-column rule: a training loss at epoch 0 (the state at initialisation).
    broken = metrics.copy()
    broken.loc[broken["epoch"] == 0, "train_loss"] = 1.0
    assert_rejected(m, broken.to_csv(index=False), read_collected_metrics, "epoch 0 is the state")
    assert_rejected(m, "", read_collected_metrics, "empty file")
