"""leaf CSVs between jobs: a run's stat.csv and params.csv and rule leaf_collect's tables follow their declared
schemas; a duplicated, mistyped, missing or extra row or column, or a header-only file, stops the aggregation
naming the file."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from relurepro.leaf.aggregate import PARAMS, RECORD, STAT, collect, read_shapes, read_stat, run_of
from relurepro.leaf.grid import Run

RUNS = [Run("lenet5", "f-mnist", "Sigmoid", "leaf", "adam", 0, 1, 42), Run("lenet5", "f-mnist", "ReLU", "base")]


def write_run(root, run: Run, epochs: int = 3, diverge_at: int | None = None):
    record = dict(net=run.net, ds=run.ds, data="digits28", af=run.af, type=run.type, opt=run.opt, dspt=run.dspt,
                  p24sl=run.p24sl, seed=run.seed, batch=128, augment=True, train_shuffle=False, aaf_lr_scale=1.0,
                  device="cpu")
    stat = root / run.path()
    stat.parent.mkdir(parents=True)
    rows = [{"epoch": e, "train_loss_mean": 1.0 / (e + 1), "train_loss_var": 0.1, "test_acc": 0.5 + 0.1 * e,
             "lr": "0.001 0.001", "duration": 1.5, "diverged": False} if diverge_at is None or e < diverge_at else
            {"epoch": e, "train_loss_mean": math.nan, "train_loss_var": math.nan, "test_acc": math.nan, "lr": "",
             "duration": math.nan, "diverged": True} for e in range(epochs)]
    pd.DataFrame(rows, columns=STAT).assign(**record).to_csv(stat, index=False)
    params = [] if run.type == "base" else [
        {"layer": "act1", "param": p, "mean": 0.5, "std": 0.1, "min": 0.0, "q05": 0.1, "median": 0.5, "q95": 0.9,
         "max": 1.0, "frac_abs_gt_0.1": 0.8} for p in ("p1", "p2", "p3", "p4")]
    pd.DataFrame(params, columns=PARAMS).assign(**record).to_csv(root / run.path("params.csv"), index=False)
    return stat, root / run.path("params.csv")


def test_collect_checks_every_run_and_its_tables(tmp_path):
    (s1, p1), (s2, p2) = write_run(tmp_path, RUNS[0]), write_run(tmp_path, RUNS[1], diverge_at=1)
    assert run_of(s1) == RUNS[0]
    epochs, summary, params = collect([s1, s2], [p1, p2], 3)
    assert len(epochs) == 6 and len(params) == 4
    assert summary["best_acc"].tolist() == pytest.approx([70.0, 50.0]) and summary["diverged"].tolist() == [False, True]
    # The scale asked for another number of epochs.
    with pytest.raises(ValueError, match=f"{re.escape(str(s1))}: 3 rows, the job wrote 4"):
        collect([s1, s2], [p1, p2], 4)


@pytest.mark.parametrize("case, message", [
    ("duplicated", "4 rows, the job wrote 3"), ("replaced", "file lines 3, 4.*uniqueness"),
    ("type", "file lines 3\\).*bool"), ("number", "file lines 4\\)"), ("extra", "expected columns"),
    ("header", "no rows"), ("accuracy", "file lines 2\\).*in_range"),
    ("undiverged", "file lines 3, 4\\).*NaN loss.*stays diverged"),
    ("other_run", "rows of another run")])
def test_a_malformed_stat_csv_is_named(tmp_path, case, message):
    stat, _ = write_run(tmp_path, RUNS[0])
    lines = stat.read_text().splitlines()
    text = {"duplicated": [*lines, lines[-1]], "replaced": [*lines[:-1], lines[-2]],
            "type": [lines[0], lines[1], lines[2].replace("False", "no"), lines[3]],
            "number": [*lines[:-1], lines[-1].replace("1.5", "slow")],
            "extra": [lines[0] + ",x", *(line + ",1" for line in lines[1:])], "header": lines[:1],
            "accuracy": [lines[0], lines[1].replace(",0.5,", ",50.0,"), *lines[2:]],
            "undiverged": [lines[0], lines[1], lines[2].replace("False", "True"), lines[3]],
            "other_run": [lines[0], *(line.replace(",42,", ",7,") for line in lines[1:])]}[case]
    stat.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match=f"{re.escape(str(stat))}: .*{message}"):
        read_stat(stat, 3)


def test_a_malformed_params_csv_is_named(tmp_path):
    (s1, p1), (s2, p2) = write_run(tmp_path, RUNS[0]), write_run(tmp_path, RUNS[1])
    lines = p1.read_text().splitlines()
    for text, message in (([*lines, lines[1]], "file lines 2, 6.*uniqueness"), (lines[:1], "no rows"),
                          ([lines[0], lines[1].replace(",0.8,", ",eight,"), *lines[2:]], "file lines 2\\)")):
        p1.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(p1))}: .*{message}"):
            collect([s1, s2], [p1, p2], 3)
    p2.write_text(p2.read_text() + "act1,p1,0,0,0,0,0,0,0,0," + ",".join(["x"] * len(RECORD)) + "\n")
    with pytest.raises(ValueError, match=f"{re.escape(str(p2))}: a base run's params.csv"):
        collect([s1, s2], [write_run(tmp_path / "again", RUNS[0])[1], p2], 3)


def test_a_malformed_shapes_csv_is_named(tmp_path):
    run = RUNS[0]
    path = tmp_path / run.path("shapes.csv")
    path.parent.mkdir(parents=True)
    record = dict(net=run.net, ds=run.ds, data="digits28", af=run.af, type=run.type, opt=run.opt, dspt=run.dspt,
                  p24sl=run.p24sl, seed=run.seed, batch=128, augment=True, train_shuffle=False, aaf_lr_scale=1.0,
                  device="cpu")
    rows = [{"row": 0, "layer": "act1", "col": c, "position": 3 * c, "x": -10 + 0.1 * i, "learned": 0.0, "base": 0.0}
            for c in range(5) for i in range(140)]
    pd.DataFrame(rows).assign(**record).to_csv(path, index=False)
    assert len(read_shapes(path)) == 700
    lines = path.read_text().splitlines()
    for text, message in (([*lines, lines[-1]], "140 points per sampled neuron"), (lines[:1], "no rows"),
                          ([*lines[:-1], lines[-1].replace(",act1,4,", ",act1,four,")], "file lines 701\\)"),
                          (lines[:-1], "file lines 562, .*140 points")):
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
            read_shapes(path)
