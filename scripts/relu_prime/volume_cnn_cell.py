"""Monte-Carlo runs of one vol_* CDF cell (rule rp_volume_cnn_cell)."""

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.vol_cdf import net_of
from relurepro.relu_prime.volume_cnn import CnnVolumeCell, sample_cell

mode = jobs.start(snakemake)
w = snakemake.wildcards
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))
net = net_of(w.net, w.bn)
cell = CnnVolumeCell(net, w.protocol, int(w.bits), int(w.batch), int(w.max_batches), w.detector)
runs = sample_cell(cell, data, int(w.runs), snakemake.output[0], device=mode["device"])
print(f"{cell}: {sum(r.bifurcated for r in runs)} of {len(runs)} runs in S01 within {cell.max_batches} batches, "
      f"{sum(r.first_zero >= 0 for r in runs)} with an exact zero")
