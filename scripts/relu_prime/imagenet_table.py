"""Final top-1/top-5 per alpha of the ImageNet ResNet50 runs (rule rp_imagenet_table)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.tables import imagenet_summary

jobs.start(snakemake)
keys = [(float(a), int(r)) for a, r in snakemake.params.runs]
table = imagenet_summary(dict(zip(keys, snakemake.input)))
table.to_csv(snakemake.output[0], index=False)
print(table.to_string())
