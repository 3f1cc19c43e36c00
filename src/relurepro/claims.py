"""Claims: each paper's checked statements, measured against published values (results/<paper>/claims.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = ["claim", "figure", "measured", "published", "rule", "passed", "scale"]


def claim(text: str, figure: str, measured, published, rule: str, passed: bool) -> dict:
    """One claim row; `measured` and `published` are shown as written (numbers or short phrases)."""
    return {"claim": text, "figure": figure, "measured": measured, "published": published, "rule": rule,
            "passed": bool(passed)}


def write(rows: list[dict], scale: str, out: str | Path) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS[:-1]).assign(scale=scale)[COLUMNS]
    table.to_csv(out, index=False)
    return table


def read(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path)
    if list(table.columns) != COLUMNS:
        raise ValueError(f"{path}: expected claim columns {COLUMNS}, found {list(table.columns)}")
    return table


def status_by_figure(table: pd.DataFrame) -> dict[str, str]:
    """'passed/total' per figure id, for the manifests."""
    return {fig: f"{int(g['passed'].sum())}/{len(g)}" for fig, g in table.groupby("figure")}


def gather(paths: dict[str, str | Path]) -> pd.DataFrame:
    """Every paper's claims in one table, a `paper` column first (paths: paper -> its claims.csv)."""
    return pd.concat([read(path).assign(paper=paper) for paper, path in paths.items()], ignore_index=True)[
        ["paper", *COLUMNS]]


def summary_html(table: pd.DataFrame) -> str:
    """A self-contained page: per paper how many claims hold, then each claim with measured beside published."""
    import html

    def cell(value) -> str:
        return f"<td>{html.escape(str(value))}</td>"

    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Claims</title><style>",
             "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:2em}",
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}",
             "tr.fail td{background:#fde2e2}tr.pass td.status{color:#176117}tr.fail td.status{color:#a11}",
             "</style></head><body><h1>Claims</h1>",
             f"<p>{int(table.passed.sum())} of {len(table)} claims hold at scale "
             f"{html.escape(', '.join(sorted(set(map(str, table.scale)))))}.</p><ul>"]
    for paper, rows in table.groupby("paper", sort=False):
        parts.append(f"<li><a href='#{paper}'>{paper}</a>: {int(rows.passed.sum())} of {len(rows)} hold</li>")
    parts.append("</ul>")
    for paper, rows in table.groupby("paper", sort=False):
        parts.append(f"<h2 id='{paper}'>{paper}</h2><table><tr><th>figure</th><th>claim</th><th>measured</th>"
                     "<th>published</th><th>rule</th><th>status</th></tr>")
        for row in rows.itertuples():
            status = "pass" if row.passed else "fail"
            cells = "".join(cell(v) for v in (row.figure, row.claim, row.measured, row.published, row.rule))
            parts.append(f"<tr class='claim {status}'>{cells}<td class='status'>{status}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
