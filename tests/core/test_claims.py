"""The claims model: declaration checks, statuses by scale, the table's invariants, the tallies and the two
interval helpers (against independent computations)."""

import math

import numpy as np
import pandas as pd
import pytest

from relurepro import claims
from relurepro.claims import Claim

A = Claim("x.a", "A holds.", "x Figure 1", "trend", "a > 0", "exact sign", ("quick", "paper"), "too small at smoke")
B = Claim("x.b", "B is 3.", "x Table 1", "published", "|b - 3| < 0.1", "the paper's spread")
REGISTRY = claims.registry(A, B)


def test_a_claim_needs_a_known_kind_every_field_and_known_scales():
    with pytest.raises(ValueError, match="kind 'guess'"):
        Claim("x.c", "C.", "x", "guess", "r", "o")
    with pytest.raises(ValueError, match="origin are all required"):
        Claim("x.c", "C.", "x", "trend", "r", "")
    with pytest.raises(ValueError, match="scales"):
        Claim("x.c", "C.", "x", "trend", "r", "o", ("huge",))
    with pytest.raises(ValueError, match="declared twice"):
        claims.registry(A, A)


def test_status_follows_the_check_and_the_scale():
    assert A.check("paper", 1 > 0, "1", "f")["status"] == "pass"
    assert A.check("quick", np.float64(-1) > 0, "-1", "f")["status"] == "fail"
    smoke = A.check("smoke", True, "1", "f")
    assert (smoke["status"], smoke["reason"]) == ("not_checked", "too small at smoke")
    with pytest.raises(TypeError, match="not a truth value"):
        A.check("quick", 0.5, "0.5", "f")
    with pytest.raises(ValueError, match="needs its reason"):
        A.not_checked("quick", "")
    with pytest.raises(ValueError, match="unknown scale"):
        A.check("huge", True, "1", "f")


@pytest.mark.parametrize("passed", [True, False])
def test_the_rehearsal_never_checks_a_claim(passed):
    """Its numbers mean nothing: a passing and a failing check alike are shown, not_checked, saying why."""
    for claim in (A, B):
        row = claim.check("rehearsal", passed, "1", "f")
        assert row["status"] == "not_checked" and "numbers mean nothing" in row["reason"]


def test_the_table_keeps_only_registered_rows_at_the_run_scale(tmp_path):
    rows = [A.check("quick", True, "1", "f1", "case 1"), A.check("quick", False, "-1", "f1", "case 2"),
            B.not_checked("quick", "stand-in data", "2.5", "f2", reference=("3", "x Table 1"))]
    claims.write(rows, "quick", tmp_path / "c.csv", REGISTRY)
    table = claims.read(tmp_path / "c.csv")
    assert claims.tally(table) == "2 checked: 1 pass, 1 fail; 1 not checked"
    assert claims.status_by_figure(table) == {"f1": "2 checked: 1 pass, 1 fail; 0 not checked",
                                              "f2": "0 checked: 0 pass, 0 fail; 1 not checked"}
    assert table.reference_source.tolist() == ["", "", "x Table 1"]
    with pytest.raises(ValueError, match=r"\['x.z'\] are not in the paper's CLAIMS"):
        claims.write([{**rows[0], "id": "x.z"}], "quick", tmp_path / "d.csv", REGISTRY)
    with pytest.raises(ValueError, match="not at this run's scale 'paper'"):
        claims.write(rows, "paper", tmp_path / "d.csv", REGISTRY)
    with pytest.raises(ValueError, match="repeated"):
        claims.write(rows + rows[:1], "quick", tmp_path / "d.csv", REGISTRY)
    (tmp_path / "bad.csv").write_text("claim,passed\na,True\n")
    with pytest.raises(ValueError, match="bad.csv: expected claim columns"):
        claims.read(tmp_path / "bad.csv")


def test_summary_page_shows_kind_source_and_origin_of_every_row(tmp_path):
    rows = [A.check("quick", True, "1", "f1"), B.check("quick", False, "2.5", "f2", reference=("3", "x Table 1"))]
    claims.write(rows, "quick", tmp_path / "c.csv", REGISTRY)
    page = claims.summary_html(claims.gather({"x": tmp_path / "c.csv"}))
    assert "1 checked" not in page and "2 checked: 1 pass, 1 fail; 0 not checked" in page
    for text in ("published", "x Table 1", "the paper&#x27;s spread", "exact sign", "trend"):
        assert text in page


def _binomial_cdf(k, n, p):
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


@pytest.mark.parametrize("hits,runs", [(0, 20), (7, 20), (20, 20), (463, 1000)])
def test_clopper_pearson_bounds_are_where_the_binomial_tails_equal_the_level(hits, runs):
    lo, hi = claims.binomial_interval(hits, runs, confidence=0.99)
    if hits:
        assert 1 - _binomial_cdf(hits - 1, runs, lo / 100) == pytest.approx(0.005, rel=1e-6)
    else:
        assert lo == 0
    if hits < runs:
        assert _binomial_cdf(hits, runs, hi / 100) == pytest.approx(0.005, rel=1e-6)
    else:
        assert hi == 100


def test_two_proportions_agree_within_the_pooled_interval():
    # 99 %: z = 2.5758; pooled p = 0.45, n = 1000 each: half-width = z * sqrt(0.45 * 0.55 * 2 / 1000) = 5.73 points
    ok, half = claims.proportions_agree(400, 1000, 50.0, 1000)
    assert half == pytest.approx(2.5758 * math.sqrt(0.45 * 0.55 * 0.002) * 100, rel=1e-4) and not ok
    assert claims.proportions_agree(470, 1000, 50.0, 1000)[0]
    assert claims.proportions_agree(0, 50, 0.0, 1000)[1] > 0  # 0 % against 0 % still has a width


def test_reference_keeps_the_source_beside_the_value():
    table = pd.DataFrame({"quantity": ["q", "r"], "value": ["46.3", None],
                          "source": ["relu_prime §4.1 (original CSV)", "x"]})
    assert claims.reference(table, "q") == ("46.3", "relu_prime §4.1 (original CSV)")
    assert claims.reference(table, "r") == ("", "") == claims.reference(table, "s")


def test_rates_noise_is_the_two_proportion_half_width_of_two_rates_in_percent():
    # 60 % vs 50 % on 1000 predictions each: pooled p = 0.55, z(99 %) = 2.5758
    assert claims.rates_noise(60.0, 50.0, 1000) == pytest.approx(2.5758 * math.sqrt(0.55 * 0.45 * 0.002) * 100,
                                                                 rel=1e-4)
    assert claims.rates_noise(60.0, 50.0, 1000, 0.999) > claims.rates_noise(60.0, 50.0, 1000)
    assert math.isnan(claims.rates_noise(float("nan"), 50.0, 1000))
