"""Figure 2's linear residual network: weights at every step for N = n, and the roughness of the trained weights
for every N of the optional check (rule ro_linear)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.resnet_ode.linear import roughness, train_linear

jobs.start(snakemake)
c = snakemake.params.linear
weights, summary = [], []
for n in sorted({c["n"], *c["roughness_depths"]}):
    # Each A_n's gradient carries a 1/N, so lr x N / n keeps the product's update the same at every N (the recipe's
    # lr is for N = n; at N = 25 it diverges).
    lr = c["lr"] * n / c["n"]
    run = train_linear(d=c["d"], n=n, seed=c["seed"], lr=lr, max_steps=c["max_steps"], check_every=c["check_every"],
                       tol=c["tol"])
    stop = len(run.weights) - 1
    summary.append({"N": n, "lr": lr, "loss_step0": run.losses[0][1], "final_loss": run.losses[-1][1],
                    "converged": run.losses[-1][1] < c["tol"], "stop_step": stop,
                    "recorded": len(run.weights), "roughness": roughness(run.weights[-1])})
    print(summary[-1], flush=True)
    if n == c["n"]:
        for k, a in enumerate(run.weights):
            frame = pd.DataFrame([(n, k, layer, i, j, float(a[layer, i, j])) for layer in range(n)
                                  for i in range(c["d"]) for j in range(c["d"])],
                                 columns=["N", "step", "layer", "i", "j", "value"])
            weights.append(frame)
pd.concat(weights).to_csv(snakemake.output.weights, index=False)
pd.DataFrame(summary).to_csv(snakemake.output.summary, index=False)
