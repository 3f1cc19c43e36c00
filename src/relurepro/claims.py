"""Claims: each paper's checked statements (results/<paper>/claims.csv), one model for all five papers.

A `Claim` is declared once per statement, in its paper's `claims` module (the `CLAIMS` registry): what the paper
says and where, the kind of check, the rule, where the rule's threshold comes from, and the scales at which the
check can fail. A run turns each claim into rows (one per case: a network, a dataset, an arm) whose status is
`pass`, `fail` or `not_checked` (with the reason). A check that cannot fail at a scale is `not_checked` there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from relurepro.pipeline import rehearsal

# What a claim compares with. `regression` rows hold our own recorded measurement, never a published number.
KINDS = {
    "published": "a number the paper publishes, compared within a stated tolerance",
    "trend": "a qualitative statement the paper makes (an ordering, a trend, an exact property)",
    "regression": "a measurement recorded by this project (not published), re-checked on this run",
}
STATUSES = ("pass", "fail", "not_checked")
CONFIDENCE = 0.99  # the level of every interval a claim's threshold comes from
SCALES = ("smoke", "quick", "paper")  # where a claim may be checked
# Scales whose numbers mean nothing by design: every claim's row is shown, never checked.
NEVER_CHECKED = {"rehearsal": rehearsal.LABEL}
COLUMNS = ["id", "case", "figure", "statement", "source", "kind", "measured", "reference", "reference_source",
           "rule", "origin", "status", "reason", "scale"]


@dataclass(frozen=True)
class Claim:
    """One statement of a paper, as the pipeline checks it.

    id: `<paper prefix>.<short name>`, stable across runs (tests and notes refer to it).
    statement: the statement as the paper makes it; source: its section, figure or table in the paper.
    kind: a key of KINDS. rule: the check, in words. origin: where the rule's threshold comes from (the paper's
    spread, a binomial interval at a stated confidence, an exact or physical bound).
    scales: where the check can fail; elsewhere its rows are `not_checked` with `unchecked` as the reason. Empty
    for a statement that our own construction makes true (shown with its measurement, never counted as a pass).
    """

    id: str
    statement: str
    source: str
    kind: str
    rule: str
    origin: str
    scales: tuple[str, ...] = SCALES
    unchecked: str = "the scale is too small for this check to fail"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind {self.kind!r} is not one of {sorted(KINDS)}")
        if not (self.statement and self.source and self.rule and self.origin):
            raise ValueError(f"claim {self.id}: statement, source, rule and origin are all required")
        if set(self.scales) - set(SCALES):
            raise ValueError(f"claim {self.id}: scales {self.scales} are not a subset of {SCALES}")

    def check(self, scale: str, passed, measured, figure: str, case: str = "", reference=("", ""),
              rule: str | None = None) -> dict:
        """A checked row: `pass`/`fail` from `passed`, or `not_checked` where this scale cannot fail the check.
        `reference` is (value, where it comes from), for example a published number and its table."""
        if scale in NEVER_CHECKED:
            return self.not_checked(scale, NEVER_CHECKED[scale], measured, figure, case, reference, rule)
        if scale not in SCALES:
            raise ValueError(f"claim {self.id}: unknown scale {scale!r}")
        if scale not in self.scales:
            return self.not_checked(scale, self.unchecked, measured, figure, case, reference, rule)
        status = "pass" if _truth(self.id, passed) else "fail"
        return self._row(scale, status, "", measured, figure, case, reference, rule)

    def not_checked(self, scale: str, reason: str, measured="", figure: str = "", case: str = "",
                    reference=("", ""), rule: str | None = None) -> dict:
        """A row shown without a verdict, saying why (scale too small, stand-in data, holds by construction)."""
        if not reason:
            raise ValueError(f"claim {self.id}: a not_checked row needs its reason")
        return self._row(scale, "not_checked", reason, measured, figure, case, reference, rule)

    def _row(self, scale, status, reason, measured, figure, case, reference, rule) -> dict:
        value, source = reference
        return {"id": self.id, "case": case, "figure": figure, "statement": self.statement, "source": self.source,
                "kind": self.kind, "measured": measured, "reference": value, "reference_source": source,
                "rule": rule or self.rule, "origin": self.origin, "status": status, "reason": reason,
                "scale": scale}


def _truth(claim_id: str, passed) -> bool:
    if isinstance(passed, (bool, np.bool_)):
        return bool(passed)
    raise TypeError(f"claim {claim_id}: the check gave {passed!r}, not a truth value")


def registry(*claims: Claim) -> dict[str, Claim]:
    """A paper's claims by id; ids are unique."""
    out: dict[str, Claim] = {}
    for c in claims:
        if c.id in out:
            raise ValueError(f"claim id {c.id} declared twice")
        out[c.id] = c
    return out


def reference(table: pd.DataFrame, key: str) -> tuple[str, str]:
    """(value, source) of `key` in a config/reference/<paper>.csv table (column `quantity`); ('', '') if absent.
    The source says whether the value is published or recorded by this project."""
    hit = table[table.quantity == key]
    if not len(hit) or pd.isna(hit.value.iloc[0]):
        return "", ""
    return str(hit.value.iloc[0]), str(hit.source.iloc[0])


def binomial_interval(hits: int, runs: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Clopper-Pearson interval (in %) for a proportion measured as hits / runs."""
    from scipy.stats import beta

    if runs <= 0:
        raise ValueError("a proportion needs at least one run")
    tail = (1 - confidence) / 2
    lo = 0.0 if hits == 0 else beta.ppf(tail, hits, runs - hits + 1)
    hi = 1.0 if hits == runs else beta.ppf(1 - tail, hits + 1, runs - hits)
    return 100 * float(lo), 100 * float(hi)


def proportions_agree(hits: int, runs: int, published_pct: float, published_runs: int,
                      confidence: float = CONFIDENCE) -> tuple[bool, float]:
    """Whether a measured proportion agrees with a published one given both run counts: the difference lies within
    the normal-approximation interval of a difference of two binomial proportions (pooled variance, floor of one
    run so a 0 % or 100 % pair still has a width). Returns (agrees, half-width in points)."""
    from scipy.stats import norm

    p1, p2 = hits / runs, published_pct / 100
    pooled = (hits + p2 * published_runs) / (runs + published_runs)
    pooled = min(max(pooled, 1 / (runs + published_runs)), 1 - 1 / (runs + published_runs))
    se = math.sqrt(pooled * (1 - pooled) * (1 / runs + 1 / published_runs))
    half = float(norm.ppf(1 - (1 - confidence) / 2)) * se
    return abs(p1 - p2) <= half, 100 * half


def rates_noise(a_pct: float, b_pct: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width (points) of the interval of the difference of two rates in % (accuracies or error rates), each
    over n test predictions (`proportions_agree`); nan where either rate is missing (a diverged run)."""
    if pd.isna(a_pct) or pd.isna(b_pct):
        return math.nan
    return proportions_agree(round(a_pct * n / 100), n, b_pct, n, confidence)[1]


def write(rows: list[dict], scale: str, out: str | Path, claims: dict[str, Claim]) -> pd.DataFrame:
    """The claims table of one paper; every row must come from a registered claim and be at this run's scale."""
    unknown = sorted({r["id"] for r in rows} - set(claims))
    if unknown:
        raise ValueError(f"claims {unknown} are not in the paper's CLAIMS registry")
    wrong = sorted({r["scale"] for r in rows} - {scale})
    if wrong:
        raise ValueError(f"claim rows checked at scale {wrong}, not at this run's scale {scale!r}")
    table = pd.DataFrame(rows, columns=COLUMNS)
    duplicated = table[table.duplicated(["id", "case"], keep=False)]
    if len(duplicated):
        raise ValueError(f"claim rows repeated: {duplicated[['id', 'case']].values.tolist()}")
    table.to_csv(out, index=False)
    return table


def read(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path, keep_default_na=False, dtype=str)
    if list(table.columns) != COLUMNS:
        raise ValueError(f"{path}: expected claim columns {COLUMNS}, found {list(table.columns)}")
    bad = sorted(set(table.status) - set(STATUSES))
    if bad:
        raise ValueError(f"{path}: unknown claim status {bad}")
    return table


def tally(table: pd.DataFrame) -> str:
    """'N checked: P pass, F fail; K not checked' for a claims table (or any part of one)."""
    n = table.status.value_counts()
    passed, failed, skipped = (int(n.get(s, 0)) for s in STATUSES)
    return f"{passed + failed} checked: {passed} pass, {failed} fail; {skipped} not checked"


def status_by_figure(table: pd.DataFrame) -> dict[str, str]:
    """The tally per figure id, for the manifests."""
    return {fig: tally(g) for fig, g in table.groupby("figure")}


def gather(paths: dict[str, str | Path]) -> pd.DataFrame:
    """Every paper's claims in one table, a `paper` column first (paths: paper -> its claims.csv)."""
    return pd.concat([read(path).assign(paper=paper) for paper, path in paths.items()], ignore_index=True)[
        ["paper", *COLUMNS]]


def summary_html(table: pd.DataFrame) -> str:
    """A self-contained page: the tally per paper and in total, then every row with its kind, the paper's statement
    and source, measured beside the reference (with where that comes from), the rule and its threshold's origin."""
    import html

    def cell(value, cls="") -> str:
        return f"<td class='{cls}'>{html.escape(str(value))}</td>" if cls else f"<td>{html.escape(str(value))}</td>"

    scales = html.escape(", ".join(sorted(set(map(str, table.scale)))))
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Claims</title><style>",
             "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:2em}",
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}",
             "tr.fail td{background:#fde2e2}tr.not_checked td{color:#666}",
             "tr.pass td.status{color:#176117}tr.fail td.status{color:#a11}",
             "</style></head><body><h1>Claims</h1>",
             f"<p id='total'>Scale {scales}: {html.escape(tally(table))}.</p>",
             "<p>Kinds: " + "; ".join(f"<b>{k}</b>: {html.escape(v)}" for k, v in KINDS.items()) + ".</p><ul>"]
    for paper, rows in table.groupby("paper", sort=False):
        parts.append(f"<li><a href='#{paper}'>{paper}</a>: {html.escape(tally(rows))}</li>")
    parts.append("</ul>")
    header = ("id", "case", "figure", "kind", "statement", "source", "measured", "reference", "reference source",
              "rule", "threshold origin", "status")
    for paper, rows in table.groupby("paper", sort=False):
        parts.append(f"<h2 id='{paper}'>{paper}</h2><table><tr>"
                     + "".join(f"<th>{h}</th>" for h in header) + "</tr>")
        for row in rows.itertuples():
            status = row.status + (f" ({row.reason})" if row.reason else "")
            cells = "".join(cell(v) for v in (row.id, row.case, row.figure, row.kind, row.statement, row.source,
                                              row.measured, row.reference, row.reference_source, row.rule,
                                              row.origin))
            parts.append(f"<tr class='claim {row.status}'>{cells}{cell(status, 'status')}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
