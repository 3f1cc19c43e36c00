import re

import pandas as pd
import pytest

from relurepro.data import load_embedded
from relurepro.relu_prime.volume import VolumeCell, prepare_batches, run_once
from relurepro.relu_prime.volume_stats import BATCH_COLUMNS, batch_norms, read_batches, summarize, validate_summary


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
    first = run_once(cell, xs, ys, seed)[0].first_batch
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
    assert table["pct_minibatches_affected_original"] == 5.0 / 4  # divided by the runs again (relu_prime S9)
    assert table["rel_diff_min"] == pytest.approx(0.1) and table["rel_diff_max"] == pytest.approx(0.2)


def test_summary_rejects_a_table_without_the_columns():
    with pytest.raises(ValueError, match="lacks columns"):
        summarize(pd.DataFrame({"run": [0]}))


def test_runs_csv_holds_what_its_path_promises(tmp_path):
    # comparison~C/bits~B/runs~R: runs 0..R-1 over the same batches. A duplicated, missing or mistyped row, an
    # extra column or a header-only file is refused naming the file.
    path = tmp_path / "volume_stats/mnist-train-512/comparison~1_vs_0/bits~32/runs~2/batches.csv"
    path.parent.mkdir(parents=True)
    rows = [{"comparison": "1_vs_0", "bits": 32, "run": run, "seed": run, "batch_idx": b, "same": b == 0,
             "net0_L1": 1.0, "net0_L2": 2.0, "net1_L1": 1.0, "net1_L2": 2.0, "diff_L1": 0.0 if b == 0 else 0.5,
             "diff_L2": 0.0 if b == 0 else 0.1} for run in range(2) for b in range(2)]
    pd.DataFrame(rows, columns=BATCH_COLUMNS).to_csv(path, index=False)
    lines = path.read_text().splitlines()
    table = summarize(read_batches(path))
    validate_summary(table, "summary.csv", rows=1)
    cases = {"appended": ([*lines, lines[1]], "file lines 2, 6.*uniqueness"),
             "missing": (lines[:-1], "3 rows, the job wrote runs 0..1 x batches 0..1"),
             "run": ([*lines[:-2], *(line.replace("1_vs_0,32,1,1", "1_vs_0,32,2,2") for line in lines[-2:])],
                     "runs 0..1"),
             "type": ([*lines[:-1], lines[-1].replace("False", "maybe")], "file lines 5\\).*dtype\\(.bool.\\) on same"),
             "number": ([*lines[:-1], lines[-1].replace("0.5", "x")], "file lines 5\\)"),
             "extra": ([lines[0] + ",x", *(line + ",1" for line in lines[1:])], "expected columns"),
             "header": (lines[:1], "no rows"),
             "differ": ([lines[0], lines[1].replace("True", "False"), lines[2].replace("False", "True"), *lines[3:]],
                        "file lines 3.*equal gradients")}
    for name, (text, message) in cases.items():
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
            read_batches(path)
    with pytest.raises(ValueError, match="summary.csv: 1 rows, the job wrote 2"):
        validate_summary(table, "summary.csv", rows=2)
    with pytest.raises(ValueError, match="summary.csv: does not match its schema \\(file lines 2\\)"):
        validate_summary(table.assign(pct_runs_affected=150.0), "summary.csv")
