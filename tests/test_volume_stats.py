import pandas as pd
import pytest

from relurepro.data import load_embedded
from relurepro.volume import VolumeCell, prepare_batches, run_once
from relurepro.volume_stats import BATCH_COLUMNS, batch_norms, summarize


@pytest.fixture(scope="module")
def batches16():
    cell = VolumeCell("no_first_relu", 3, 256, 256, 16, "pair")
    return cell, prepare_batches(load_embedded("mnist5k", "all"), cell)


def test_norm_rows_match_the_pair_detector_and_the_control_never_differs(batches16):
    cell, (xs, ys) = batches16
    xs, ys = xs[:12], ys[:12]
    seed = 5  # bifurcates on batch 10 at 16 bit (see test_volume)
    rows = batch_norms(cell, xs, ys, seed, "1_vs_0")
    assert [r["batch_idx"] for r in rows] == list(range(12))  # no early stop
    first = run_once(cell, xs, ys, seed)[0]
    assert first >= 0
    assert [r["same"] for r in rows][: first + 1] == [True] * first + [False]
    assert all((r["diff_L1"] > 0) == (not r["same"]) for r in rows)
    control = batch_norms(cell, xs, ys, seed, "0_vs_0")
    assert all(r["same"] and r["diff_L1"] == 0 for r in control)
    assert all(r["net0_L2"] > 0 for r in control)


def test_summary_reports_correct_and_original_percentages():
    rows = []
    for run in range(4):
        for b in range(10):
            hit = run == 0 and b < 2  # one run affected, on 2 of its 10 minibatches
            rows.append({"comparison": "1_vs_0", "bits": 32, "run": run, "seed": run, "batch_idx": b,
                         "same": not hit, "net0_L1": 1.0, "net0_L2": 2.0, "net1_L1": 1.0, "net1_L2": 2.0,
                         "diff_L1": 0.5 if hit else 0.0, "diff_L2": 0.2 * (b + 1) if hit else 0.0})
    table = summarize(pd.DataFrame(rows, columns=BATCH_COLUMNS)).iloc[0]
    assert table["pct_runs_affected"] == 25.0
    assert table["pct_minibatches_affected"] == 5.0  # 2 of 40
    assert table["pct_minibatches_affected_original"] == 5.0 / 4  # divided by the runs again (S9)
    assert table["rel_diff_min"] == pytest.approx(0.1) and table["rel_diff_max"] == pytest.approx(0.2)


def test_summary_rejects_a_table_without_the_columns():
    with pytest.raises(ValueError, match="lacks columns"):
        summarize(pd.DataFrame({"run": [0]}))
