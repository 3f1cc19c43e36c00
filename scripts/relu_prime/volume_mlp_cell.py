"""Monte-Carlo runs of one volume_mnist cell (rule volume_mlp_cell)."""

from relurepro import jobs
from relurepro.data import load_dataset
from relurepro.volume import VolumeCell, sample_volume

mode = jobs.start(snakemake)
w = snakemake.wildcards
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))
cell = VolumeCell(w.variant, int(w.layers), int(w.neurons), int(w.batch), int(w.bits), w.detector)
runs = sample_volume(cell, data, int(w.runs), snakemake.output[0], device=mode["device"],
                     validate=snakemake.params.validate)
print(f"{sum(r.bifurcated for r in runs)} of {len(runs)} runs bifurcated")
