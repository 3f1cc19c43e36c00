"""Download, verify and unpack one official dataset (rule download_dataset)."""

from relurepro import archives
from relurepro.pipeline import jobs

jobs.start(snakemake, strict=False)
archives.download(snakemake.wildcards.name, snakemake.params.root, mirror=snakemake.params.mirror,
                  catalog=snakemake.input.catalog, allow_redirect_hosts=list(snakemake.params.allow_redirect_hosts))
