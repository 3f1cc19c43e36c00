"""Spec 3.3 (rule rp_intro_bifurcation_zone_grid): retrain net1 in float32 to the first exact zero, then the
|pre-activation| of that sample and unit on a 200x200 slice of first-layer weights, in 32 and 64 bit."""

import logging

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.intro import bifurcation_zone, train_until_zero

jobs.start(snakemake)
w, p = snakemake.wildcards, snakemake.params
data = load_dataset(w.dataset, w.split, root=p.data_root).subset(int(w.samples))
# CPU and one thread, as the intro traces: the iteration of the first exact zero depends on the kernels.
hit = train_until_zero(data, int(w.iterations))
logging.info("iteration %d, sample %d, neuron %d: |z| = %g (%d exact zeros in the batch)", hit.iteration,
             hit.sample, hit.neuron, hit.value, hit.zeros_in_batch)
zone = bifurcation_zone(hit, p.bits, points=p.points, half_width=p.half_width, direction_seed=p.direction_seed)
zone["threads"] = snakemake.threads
zone.to_csv(snakemake.output[0], index=False)
for bits, grid in zone.groupby("bits"):
    logging.info("%s bit: %d exact zeros on the grid, |z| in [%g, %g]", bits, (grid.z == 0).sum(), grid.z.min(),
                 grid.z.max())
