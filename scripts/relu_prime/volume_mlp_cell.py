"""Monte-Carlo runs of one volume_mnist cell (rule rp_volume_mlp_cell)."""

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.volume import VolumeCell, sample_volume
from relurepro.relu_prime.volume_mnist import job_depths

mode = jobs.start(snakemake)
w = snakemake.wildcards
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))
depths = job_depths(w.layers)
cell = VolumeCell(w.variant, max(depths), int(w.neurons), int(w.batch), int(w.bits), w.detector)
# One depth: a plain run CSV. Several: one nested job, a row per run and depth.
nested = len(depths) > 1
runs = sample_volume(cell, data, int(w.runs), snakemake.output[0], device=mode["device"],
                     depths=depths if nested else None)
for depth in depths:
    rows = [r for d, r in runs if d == depth] if nested else runs
    print(f"depth {depth}: {sum(r.bifurcated for r in rows)} of {len(rows)} runs in S01, "
          f"{sum(r.first_zero >= 0 for r in rows)} with an exact zero")
