"""Every claim can fail. For each claim id of the five papers, an aggregated input built in the test that satisfies
the claim gives `pass`, and one that violates it gives `fail` (tests/claim_cases/<paper>.py builds them). Every
checkable id of every paper's CLAIMS registry has its pair, and a run can only write rows of registered ids
(claims.write). An id declared with no scale holds by construction: its rows are always `not_checked`."""

import importlib

import pytest

PAPERS = ("relu_prime", "uniform_accuracy", "resnet_ode", "leaf", "constnet")


def registry(paper):
    return importlib.import_module(f"relurepro.{paper}.claims").CLAIMS


def cases(paper):
    return importlib.import_module(f"claim_cases.{paper}").CASES


IDS = [(paper, claim_id) for paper in PAPERS for claim_id, claim in registry(paper).items() if claim.scales]
SHOWN_ONLY = [claim for paper in PAPERS for claim in registry(paper).values() if not claim.scales]


@pytest.mark.parametrize("paper", PAPERS)
def test_every_checkable_claim_id_has_a_pass_and_a_fail_case(paper):
    assert set(cases(paper)) == {claim_id for claim_id, claim in registry(paper).items() if claim.scales}


@pytest.mark.parametrize("claim", SHOWN_ONLY, ids=[c.id for c in SHOWN_ONLY])
@pytest.mark.parametrize("scale", ["smoke", "quick", "paper"])
def test_a_claim_true_by_construction_is_never_a_pass(claim, scale):
    for passed in (True, False):
        row = claim.check(scale, passed, "measured", "figure")
        assert (row["status"], row["reason"]) == ("not_checked", claim.unchecked)


@pytest.mark.parametrize("paper,claim_id", IDS, ids=[i for _, i in IDS])
@pytest.mark.parametrize("violate", [False, True], ids=["satisfied", "violated"])
def test_claim_fails_exactly_when_violated(paper, claim_id, violate):
    rows = [r for r in cases(paper)[claim_id](violate) if r["id"] == claim_id]
    assert rows, f"{claim_id}: the input built for it gives no row of it"
    statuses = {r["status"] for r in rows}
    if violate:
        assert "fail" in statuses, rows
    else:  # cases the claim shows without a verdict (e.g. a run that starts where the claim ends) may sit beside
        assert "pass" in statuses and "fail" not in statuses, rows
