"""Write a paper manifest (from figure PDFs) or the top manifest (from paper manifests)."""

import sys

from relurepro import manifest

sys.stderr = open(snakemake.log[0], "w")
if snakemake.params.figures is None:
    rows = [row for path in snakemake.input for row in manifest.read(path)]
else:
    rows = manifest.paper_rows(snakemake.wildcards.paper, snakemake.params.figures, list(snakemake.input),
                               snakemake.params.scale)
manifest.write(rows, snakemake.output[0])
