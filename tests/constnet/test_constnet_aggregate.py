"""constnet CSVs between jobs: a run's metrics.csv and correlations.csv, as scripts/constnet/train.py writes them,
and rule cn_collect's tables follow their declared schemas; a duplicated, mistyped, missing or extra row or column,
or a header-only file, stops the collection naming the file."""

import re

import pandas as pd
import pytest
import torch

from relurepro.constnet.aggregate import collect, read_correlations, read_metrics
from relurepro.constnet.data import digits
from relurepro.constnet.models import ConstNet
from relurepro.constnet.symmetry import configure
from relurepro.constnet.training import ConstRecipe, train


@pytest.fixture(scope="module")
def run_tables():
    """One real 1-epoch run's rows (det arm settings, restored afterwards)."""
    state = (torch.backends.mkldnn.enabled, torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    numerics = configure("det", torch.device("cpu"))
    try:
        train_data, test_data = digits()
        torch.manual_seed(0)
        rows, corr = train(ConstNet(7, 1, 1, pool="global"), train_data.subset(128), test_data,
                           ConstRecipe(epochs=1, batch=64), progress=False)
    finally:
        torch.backends.mkldnn.enabled = state[0]
        torch.set_num_threads(state[1])
        torch.use_deterministic_algorithms(state[2])
    return rows, corr, numerics


def write_run(root, run_tables, name="constnet", seed=0, arm=None):
    """metrics.csv and correlations.csv at the run's path, with the columns scripts/constnet/train.py adds."""
    rows, corr, numerics = run_tables
    arm = arm or {"init": "const", "breaker": "ulp", "droprate": 0.0}
    out = root / f"results/constnet/constnet/{name}/seed~{seed}"
    out.mkdir(parents=True)
    record = {"kind": "constnet", "name": name, "seed": seed, "data": "digits",
              **{f"arm_{k}": v for k, v in arm.items()}, **{f"numerics_{k}": v for k, v in numerics.items()},
              "device": "cpu"}
    pd.DataFrame(rows).assign(**record).to_csv(out / "metrics.csv", index=False)
    pd.DataFrame(corr).assign(kind="constnet", name=name, seed=seed).to_csv(out / "correlations.csv", index=False)
    return out / "metrics.csv", out / "correlations.csv"


def test_collect_checks_every_run_and_its_tables(tmp_path, run_tables):
    m1, c1 = write_run(tmp_path, run_tables)
    m2, c2 = write_run(tmp_path, run_tables, name="constnet_reorder", arm={"init": "const", "breaker": "reorder",
                                                                          "droprate": 0.0, "chunks": 8})
    metrics, correlations = collect([m1, m2], [c1, c2], {"constnet": 1})
    assert len(metrics) == 4 and list(metrics.columns)[-1] == "arm_chunks"  # concatenated after device
    assert set(correlations["epoch"]) == {0, 1}
    with pytest.raises(ValueError, match=f"{re.escape(str(m1))}: 2 rows, the job wrote 3"):
        collect([m1, m2], [c1, c2], {"constnet": 2})


@pytest.mark.parametrize("case, message", [
    ("duplicated", "3 rows, the job wrote 2"), ("replaced", "file lines 2, 3.*uniqueness"),
    ("type", "file lines 3\\)"), ("extra", "expected columns"), ("header", "no rows"),
    ("accuracy", "file lines 3\\).*in_range"), ("other_run", "rows of another run")])
def test_a_malformed_metrics_csv_is_named(tmp_path, run_tables, case, message):
    path, _ = write_run(tmp_path, run_tables)
    lines = path.read_text().splitlines()
    acc = str(pd.read_csv(path)["test_acc"].iloc[1])
    text = {"duplicated": [*lines, lines[-1]], "replaced": [lines[0], lines[1], lines[1]],
            "type": [lines[0], lines[1], lines[2].replace(",constnet,", ",constnet,", 1).replace(",0,digits,",
                                                                                               ",zero,digits,")],
            "extra": [lines[0] + ",x", *(line + ",1" for line in lines[1:])], "header": lines[:1],
            "accuracy": [lines[0], lines[1], lines[2].replace(f",{acc},", ",1.5,")],
            "other_run": [lines[0], *(line.replace(",0,digits,", ",3,digits,") for line in lines[1:])]}[case]
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
        read_metrics(path, 1)


def test_a_malformed_correlations_csv_is_named(tmp_path, run_tables):
    _, path = write_run(tmp_path, run_tables)
    lines = path.read_text().splitlines()
    for text, message in (([*lines, lines[-1]], "file lines .*uniqueness"),
                          (lines[:1], "no rows"), (lines[:-1], "same layers and kinds"),
                          ([lines[0], ",".join(v if i != 3 else "abc" for i, v in enumerate(lines[1].split(","))),
                            *lines[2:]], "file lines 2\\)")):
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
            read_correlations(path, 1)


def test_reconstructed_figure_csvs_follow_their_schemas(tmp_path):
    from relurepro.constnet import sigprop
    from relurepro.constnet.aggregate import read_sigprop, read_toy

    cfg = {"width": 4, "depths": [1, 2], "seeds": 1, "batch": 4, "alpha": 0.01, "fixup_m": 2}
    path = tmp_path / "sigprop.csv"
    sigprop.sweep(cfg, sigprop.inputs(cfg["batch"])).to_csv(path, index=False, float_format="%.9g")
    assert len(read_sigprop(path, cfg)) == 5 * (2 + 3)
    lines = path.read_text().splitlines()
    for text, message in (([*lines, lines[-1]], "26 rows, the job wrote 25"), (lines[:1], "no rows"),
                          ([*lines[:-1], lines[-1].replace(",4,4,", ",four,4,", 1)], "file lines 26\\)"),
                          (lines[:-1], "24 rows, the job wrote 25")):
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
            read_sigprop(path, cfg)
    toy_cfg = {"seeds": [0], "ks": [1, 4], "noise": [0.0, 0.1]}
    path = tmp_path / "toy_unique_features.csv"
    pd.DataFrame([{"data": "digits", "width": 4, "k": k, "noise": z, "seed": 0, "epochs": 2, "n_test": 100,
                   "train_acc": 0.5, "test_acc": 0.4, "distinct_init": k, "distinct_final": 4}
                  for k in (1, 4) for z in (0.0, 0.1)]).to_csv(path, index=False)
    assert len(read_toy(path, toy_cfg)) == 4
    lines = path.read_text().splitlines()
    for text, message in (([*lines[:-1], lines[-2]], "file lines 4, 5.*uniqueness"), (lines[:1], "no rows"),
                          ([*lines, lines[-1]], "5 rows, the job wrote 4"),
                          ([*lines[:-1], lines[-1].replace(",0.4,", ",40,")], "file lines 5\\).*in_range")):
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
            read_toy(path, toy_cfg)


def test_figure_draws_every_computed_figure_and_refuses_others(tmp_path):
    """cn_figures' one entry point: every id the workflow plans is drawn (see the smoke run), any other is an
    error naming the known ones."""
    from relurepro.constnet import figures
    from relurepro.constnet.grid import COMPUTED_FIGURES

    assert "time_to_break" in COMPUTED_FIGURES and len(set(COMPUTED_FIGURES)) == len(COMPUTED_FIGURES)
    with pytest.raises(ValueError, match="unknown constnet figure 'nope'.*acc_curves"):
        figures.draw("nope", pd.DataFrame(), "", *(str(tmp_path / f) for f in "abc"))
