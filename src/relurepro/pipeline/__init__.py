"""The workflow's own machinery, no paper in it: job start-up, GPU leases, scale files, plan-time names and
library fingerprints. Everything but `jobs` is torch-free (imported while Snakemake plans)."""
