"""Monte-Carlo runs of one vol_* CDF cell (rule rp_volume_cnn_cell), or of a pack of cells one after another
(vol_cdf.cells_per_job > 1: rules rp_volume_cnn_cell__<pack>)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.vol_cdf import net_of
from relurepro.relu_prime.volume import sample_cells
from relurepro.relu_prime.volume_cnn import CnnVolumeCell, sample_cell

mode = jobs.start(snakemake)


def sample(w, data, out, publish_now):
    cell = CnnVolumeCell(net_of(w["net"], str(w["bn"])), w["protocol"], int(w["bits"]), int(w["batch"]),
                         int(w["max_batches"]), w["detector"])
    runs = sample_cell(cell, data, int(w["runs"]), out, device=mode["device"], publish_now=publish_now)
    print(f"{cell}: {sum(r.bifurcated for r in runs)} of {len(runs)} runs in S01 within {cell.max_batches} "
          f"batches, {sum(r.first_zero >= 0 for r in runs)} with an exact zero")


sample_cells(jobs.cells_of(snakemake), list(snakemake.output), snakemake.params.data_root, sample)
