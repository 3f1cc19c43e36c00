"""leaf claims beyond the pass/fail pairs of tests/claim_cases/leaf.py: the initialisation bounds hold for this
implementation's own af_diff grids, and what each smaller scale shows without a verdict."""

import math

import numpy as np
import pandas as pd
import torch

from claim_cases.leaf import REFERENCE, af_diff, tables
from relurepro.leaf.analysis import af_diff as measure_af_diff
from relurepro.leaf.claims import W, claims, init_claims, relu_bound


def test_relu_bound_is_the_largest_deviation_of_the_formula():
    t = np.linspace(0, 10, 1_000_001)
    assert math.isclose((t / (1 + np.exp(t))).max(), W, rel_tol=1e-9)  # t sigmoid(-t) = t / (1 + e^t)
    assert math.isclose(math.sqrt(relu_bound("float32")), 0.2785 / 65536, rel_tol=1e-3)  # leaf §2.1


def test_every_initialisation_holds_its_bound_on_this_cpu():
    diff = pd.concat([measure_af_diff(dtype)[0] for dtype in (torch.float32, torch.float64)])
    rows = init_claims(diff, REFERENCE, "smoke")
    assert len(rows) == 12, rows
    for r in rows:  # the exact pairs are shown only (true by construction), and their error is exactly 0 here
        assert r["status"] == ("not_checked" if r["id"] == "leaf.init_exact" else "pass"), r
    assert all(r["measured"] == "0" for r in rows if r["id"] == "leaf.init_exact")


def test_smaller_scales_show_the_paper_claims_without_a_verdict():
    summary, epochs, params = tables()
    quick = pd.DataFrame(claims(summary, epochs, params, af_diff(), REFERENCE, "quick"))
    status = quick.groupby("id").status.agg(set)
    for claim_id in ("leaf.C1", "leaf.C2", "leaf.C2_published", "leaf.C5", "leaf.C6", "leaf.C7"):
        assert status[claim_id] == {"not_checked"}
    assert (quick[quick.id == "leaf.C1"].measured != "").all()  # the measurement stays visible
    assert status["leaf.C4"] == {"pass"}
    c3 = quick[quick.id == "leaf.C3"].set_index("case").status
    assert set(c3[c3.index.str.startswith("Sigmoid")]) == {"pass"}
    assert set(c3[c3.index.str.startswith("SiLU")]) == {"not_checked"}  # starts as SiLU: nothing to evolve
    smoke = pd.DataFrame(claims(summary, epochs, params, af_diff(), REFERENCE, "smoke"))
    assert set(smoke[smoke.id.isin(["leaf.C3", "leaf.C4", "leaf.C4_tanh"])].status) == {"not_checked"}
    assert set(smoke[smoke.id.isin(["leaf.init_relu", "leaf.init_tanh"])].status) == {"pass"}


def test_without_cifar10_the_tanh_claims_say_so():
    summary, epochs, params = tables()
    summary, epochs = summary.assign(ds="f-mnist"), epochs.assign(ds="f-mnist")
    rows = [r for r in claims(summary, epochs, params, af_diff(), REFERENCE, "quick") if r["id"].startswith("leaf.C2")]
    assert [(r["id"], r["status"], r["reference"]) for r in rows] == [
        ("leaf.C2", "not_checked", "+7 %"), ("leaf.C2_published", "not_checked", "+7 %")]


def _diverge(summary, epochs, af, opt, dspt, p24sl):
    for table in (summary, epochs):
        run = ((table.af == af) & (table.type == "leaf") & (table.opt == opt) & (table.dspt == dspt)
               & (table.p24sl == p24sl))
        cols = ["best_acc", "final_loss"] if table is summary else ["train_loss_mean", "test_acc"]
        table.loc[run, cols] = np.nan
        table.loc[run, "diverged"] = True


def test_a_diverged_leaf_run_fails_and_counts_as_an_infinite_drop():
    summary, epochs, params = tables()
    _diverge(summary, epochs, "Sigmoid", "adam", 0, 1)
    _diverge(summary, epochs, "ReLU", "adam", 0, 0)  # LEAF-ReLU Classic: the instability C6 expects
    _diverge(summary, epochs, "ReLU", "rmsprop", 0, 1)  # P24Sl diverging: C6 fails there
    rows = pd.DataFrame(claims(summary, epochs, params, af_diff(), REFERENCE, "paper"))
    status = rows.set_index(["id", "case"]).status
    assert status["leaf.C4", "lenet5, cifar10, seed 42, LEAF P24Sl"] == "fail"
    assert status["leaf.C4", "lenet5, cifar10, seed 42, LEAF Classic"] == "pass"
    assert (rows[rows.id == "leaf.C1"].status == "pass").all()  # another adaptive row still wins
    assert status["leaf.C6", "lenet5, cifar10, adam"] == "pass"
    assert status["leaf.C6", "lenet5, cifar10, rmsprop"] == "fail"
