"""Monte-Carlo runs of one vol_* CDF cell (rule rp_volume_cnn_cell), or of a pack of cells one after another
(vol_cdf.cells_per_job > 1: rules rp_volume_cnn_cell__<pack>)."""

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.vol_cdf import net_of
from relurepro.relu_prime.volume import publish
from relurepro.relu_prime.volume_cnn import CnnVolumeCell, sample_cell

mode = jobs.start(snakemake)
cells = jobs.cells_of(snakemake)
data = {}
for i, (w, out) in enumerate(zip(cells, snakemake.output, strict=True)):
    print(f"cell {i + 1} of {len(cells)}: {out}", flush=True)
    key = (w["dataset"], w["split"], int(w["samples"]))
    if key not in data:
        data[key] = load_dataset(key[0], key[1], root=snakemake.params.data_root).subset(key[2])
    cell = CnnVolumeCell(net_of(w["net"], str(w["bn"])), w["protocol"], int(w["bits"]), int(w["batch"]),
                         int(w["max_batches"]), w["detector"])
    runs = sample_cell(cell, data[key], int(w["runs"]), out, device=mode["device"], publish_now=len(cells) == 1)
    print(f"{cell}: {sum(r.bifurcated for r in runs)} of {len(runs)} runs in S01 within {cell.max_batches} "
          f"batches, {sum(r.first_zero >= 0 for r in runs)} with an exact zero")
# In a pack the CSVs appear only now, so that a pack stopped half-way keeps its finished cells' partial files
# (Snakemake deletes a failed job's outputs) and resumes them.
if len(cells) > 1:
    for out in snakemake.output:
        publish(out)
