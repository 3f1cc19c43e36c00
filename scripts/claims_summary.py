"""results/claims.csv from every paper's claims, and the report's claims page (rule claims_summary)."""

import sys
from pathlib import Path

from relurepro import claims

sys.stderr = open(snakemake.log[0], "w")
table = claims.gather(dict(zip(snakemake.params.papers, snakemake.input)))
table.to_csv(snakemake.output.csv, index=False)
Path(snakemake.output.html).write_text(claims.summary_html(table))
print(f"{int(table.passed.sum())} of {len(table)} claims hold", file=sys.stderr)
