"""Monte-Carlo runs of one volume_mnist cell (rule rp_volume_mlp_cell), or of a pack of cells one after another
(volume_mnist.cells_per_job > 1: rules rp_volume_mlp_cell__<pack>)."""

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.volume import VolumeCell, publish, sample_volume
from relurepro.relu_prime.volume_mnist import job_depths

mode = jobs.start(snakemake)
cells = jobs.cells_of(snakemake)
data = {}
for i, (w, out) in enumerate(zip(cells, snakemake.output, strict=True)):
    print(f"cell {i + 1} of {len(cells)}: {out}", flush=True)
    key = (w["dataset"], w["split"], int(w["samples"]))
    if key not in data:
        data[key] = load_dataset(key[0], key[1], root=snakemake.params.data_root).subset(key[2])
    depths = job_depths(str(w["layers"]))
    cell = VolumeCell(w["variant"], max(depths), int(w["neurons"]), int(w["batch"]), int(w["bits"]), w["detector"])
    # One depth: a plain run CSV. Several: one nested job, a row per run and depth.
    nested = len(depths) > 1
    runs = sample_volume(cell, data[key], int(w["runs"]), out, device=mode["device"],
                         depths=depths if nested else None, publish_now=len(cells) == 1)
    for depth in depths:
        rows = [r for d, r in runs if d == depth] if nested else runs
        print(f"depth {depth}: {sum(r.bifurcated for r in rows)} of {len(rows)} runs in S01, "
              f"{sum(r.first_zero >= 0 for r in rows)} with an exact zero")
# In a pack the CSVs appear only now, so that a pack stopped half-way keeps its finished cells' partial files
# (Snakemake deletes a failed job's outputs) and resumes them.
if len(cells) > 1:
    for out in snakemake.output:
        publish(out)
