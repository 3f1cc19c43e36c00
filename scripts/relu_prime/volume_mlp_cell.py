"""Monte-Carlo runs of one volume_mnist cell (rule rp_volume_mlp_cell), or of a pack of cells one after another
(volume_mnist.cells_per_job > 1: rules rp_volume_mlp_cell__<pack>)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.volume import VolumeCell, sample_cells, sample_volume
from relurepro.relu_prime.volume_mnist import job_depths

mode = jobs.start(snakemake)


def sample(w, data, out, publish_now):
    depths = job_depths(str(w["layers"]))
    cell = VolumeCell(w["variant"], max(depths), int(w["neurons"]), int(w["batch"]), int(w["bits"]), w["detector"])
    # One depth: a plain run CSV. Several: one nested job, a row per run and depth.
    nested = len(depths) > 1
    runs = sample_volume(cell, data, int(w["runs"]), out, device=mode["device"], depths=depths if nested else None,
                         publish_now=publish_now)
    for depth in depths:
        rows = [r for d, r in runs if d == depth] if nested else runs
        print(f"depth {depth}: {sum(r.bifurcated for r in rows)} of {len(rows)} runs in S01, "
              f"{sum(r.first_zero >= 0 for r in rows)} with an exact zero")


sample_cells(jobs.cells_of(snakemake), list(snakemake.output), snakemake.params.data_root, sample)
