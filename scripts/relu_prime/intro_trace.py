"""One intro run (rules rp_intro_trace, rp_intro_relu6_trace): the three-net weight-difference trace of §3.1/§3.2
(relu) or 3.4 (relu6) at one precision, with the original set-up's widths and seeds (relurepro.relu_prime.intro.SETUPS)."""

import logging

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.intro import first_divergence_iteration, first_kink_iteration, weight_diff_trace

mode = jobs.start(snakemake)
w = snakemake.wildcards
activation = snakemake.params.activation
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))


def progress(it, row):
    if it % 20 == 0:
        logging.info("iteration %d: %s", it, row)


# CPU as in the original (§3.1); the exact-zero iteration depends on the BLAS kernels and thread count.
trace = weight_diff_trace(data, int(w.bits), int(w.iterations), activation=activation, device="cpu",
                          progress=progress)
for key in ("activation", "lr", "numpy_seed", "torch_seed"):
    trace[key] = trace.attrs[key]
trace["hidden"] = "-".join(map(str, trace.attrs["hidden"]))
trace["threads"] = mode["threads"]
trace.to_csv(snakemake.output[0], index=False)
logging.info("first kink hit (exact 0, or 6 where it matters) at iteration %s; difference12 first > 0 at "
             "iteration %s", first_kink_iteration(trace), first_divergence_iteration(trace))
