"""results/claims.csv from every paper's claims, and the report's claims page (rule claims_summary)."""

import sys
from pathlib import Path

from relurepro import claims

sys.stderr = open(snakemake.log[0], "w")
table = claims.gather(dict(zip(snakemake.params.papers, snakemake.input)))
table.to_csv(snakemake.output.csv, index=False)
Path(snakemake.output.html).write_text(claims.summary_html(table))
for paper, rows in table.groupby("paper", sort=False):
    print(f"{paper}: {claims.tally(rows)}", file=sys.stderr)
print(f"all papers: {claims.tally(table)}", file=sys.stderr)
