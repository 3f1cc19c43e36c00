"""Write a paper manifest (from figure PDFs) or the top manifest (from paper manifests)."""

import sys

from relurepro import claims, manifest

sys.stderr = open(snakemake.log[0], "w")
if snakemake.params.figures is None:
    rows = [row for path in snakemake.input.manifests for row in manifest.read(path)]
else:
    status = claims.status_by_figure(claims.read(snakemake.input.claims))
    rows = manifest.paper_rows(snakemake.wildcards.paper, snakemake.params.figures, list(snakemake.input.figures),
                               snakemake.params.scale, status)
manifest.write(rows, snakemake.output[0])
