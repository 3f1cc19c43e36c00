"""Train the runs (seeds) of one relu_prime training cell (rule rp_train)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.grid import JobSpec
from relurepro.relu_prime.training import run_job

mode = jobs.start(snakemake)
spec = JobSpec.from_path(snakemake.output[0])
df = run_job(spec, snakemake.output[0], device=mode["device"], data_root=snakemake.params.data_root,
             test_batch_size=snakemake.params.test_batch_size)
print(df[df.epoch == spec.epochs][["run_id", "test_accuracy", "diverged", "exact_zeros"]].to_string())
