"""One intro run (rule intro_trace): the three-net weight-difference trace of spec 3.1/3.2 at one precision."""

import logging

from relurepro import jobs
from relurepro.data import load_dataset
from relurepro.intro import first_divergence_iteration, first_zero_iteration, weight_diff_trace

mode = jobs.start(snakemake)
w = snakemake.wildcards
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))


def progress(it, row):
    if it % 20 == 0:
        logging.info("iteration %d: %s", it, row)


# CPU as in the original (spec 3.1); the exact-zero iteration depends on the BLAS kernels and thread count.
trace = weight_diff_trace(data, int(w.bits), int(w.iterations), device="cpu", progress=progress)
trace["lr"] = trace.attrs["lr"]
trace["threads"] = mode["threads"]
trace.to_csv(snakemake.output[0], index=False)
logging.info("first exact zero in layer 1 at iteration %s; difference12 first > 0 at iteration %s",
             first_zero_iteration(trace), first_divergence_iteration(trace))
