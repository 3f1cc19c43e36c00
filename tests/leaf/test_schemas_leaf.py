"""leaf's af_diff.csv, and the collected tables as the claims, tables and figures re-read them, follow their
declared schemas: a valid file passes; a duplicated row, a mistyped value, an extra column, a header-only file or a
broken cross-column rule fails naming the file."""

from __future__ import annotations

import pandas as pd
import pytest

from csv_corruptions import assert_rejected, corruptions
from relurepro.leaf.aggregate import collect, read_collected_params, read_epochs, read_summary
from relurepro.leaf.analysis import af_diff_pairs, read_af_diff
from test_leaf_aggregate import RUNS, write_run


def af_diff_table(devices=(("cpu", "float32"), ("cpu", "float64"))) -> pd.DataFrame:
    return pd.DataFrame([{"pair": pair, "dtype": dtype, "device": device, "min": 0.0, "max": 1e-14}
                         for device, dtype in devices for pair in af_diff_pairs()])


def test_af_diff_schema(tmp_path):
    path = tmp_path / "af_diff.csv"
    af_diff_table().to_csv(path, index=False)
    assert read_af_diff(path).equals(pd.read_csv(path))
    gpu = af_diff_table((("cpu", "float32"), ("cpu", "float64"), ("cuda", "float16"), ("cuda", "float32"),
                         ("cuda", "float64")))
    gpu.to_csv(path, index=False)
    assert len(read_af_diff(path)) == 5 * len(af_diff_pairs())
    af_diff_table().to_csv(path, index=False)
    for case, bad in corruptions(path.read_text(), "max").items():
        assert_rejected(path, bad, read_af_diff)
    # Cross-column rules: min above max, float16 on the CPU, a pair missing from its grid, a grid missing.
    assert_rejected(path, af_diff_table().assign(min=1.0).to_csv(index=False), read_af_diff, "min <= max")
    assert_rejected(path, af_diff_table((("cpu", "float32"), ("cpu", "float64"), ("cpu", "float16"))).to_csv(
        index=False), read_af_diff, "float16 only on CUDA")
    assert_rejected(path, af_diff_table().iloc[1:].to_csv(index=False), read_af_diff, "pairs in every")
    assert_rejected(path, af_diff_table((("cpu", "float32"),)).to_csv(index=False), read_af_diff, "grids")
    assert_rejected(path, af_diff_table().assign(pair="relu_vs_relu").to_csv(index=False), read_af_diff, "isin")


@pytest.fixture
def collected(tmp_path):
    (s1, p1), (s2, p2) = write_run(tmp_path, RUNS[0]), write_run(tmp_path, RUNS[1], diverge_at=1)
    epochs, summary, params = collect([s1, s2], [p1, p2], 3)
    paths = {}
    for name, table in (("epochs", epochs), ("summary", summary), ("params", params)):
        paths[name] = tmp_path / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


@pytest.mark.parametrize("name, read, column, broken, message", [
    ("summary", read_summary, "best_epoch", lambda t: t.assign(best_epoch=-1), "best_epoch -1"),
    ("epochs", read_epochs, "test_acc", lambda t: t.assign(diverged=False), "NaN loss"),
    ("params", read_collected_params, "mean", lambda t: t.assign(q05=2.0), "min <= q05"),
])
def test_collected_tables_are_re_read_through_their_schema(collected, name, read, column, broken, message):
    path = collected[name]
    table = pd.read_csv(path)
    assert read(path).equals(table)
    for case, bad in corruptions(path.read_text(), column).items():
        if name == "params" and case == "header only":
            continue  # no adaptive activation at all: a header-only params.csv is what leaf_collect writes
        assert_rejected(path, bad, read)
    assert_rejected(path, broken(table).to_csv(index=False), read, message)
    assert_rejected(path, "", read, "empty file")


def test_a_header_only_collected_params_csv_is_no_learned_parameter(collected):
    path = collected["params"]
    path.write_text(path.read_text().split("\n")[0] + "\n")
    assert read_collected_params(path).empty
