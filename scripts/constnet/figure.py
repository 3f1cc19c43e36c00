"""One constnet figure or table (rule cn_figure); every figure also writes the numbers it shows as CSV."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.constnet import figures
from relurepro.constnet.aggregate import read_collected_metrics, read_correlations
from relurepro.constnet.model import ConstNet

jobs.start(snakemake)
fid, note, out = snakemake.wildcards.cn_fig, snakemake.params.note, snakemake.output
metrics = read_collected_metrics(snakemake.input.metrics)
note = f"{figures.breaking_note(metrics)}\n{note}"
constnet, leakynet = metrics[metrics.kind == "constnet"], metrics[metrics.kind == "leakynet"]
if fid == "acc_curves":
    figures.acc_curves(constnet, note, out.pdf, out.png)
    constnet[["name", "seed", "epoch", "train_loss", "train_acc", "test_loss", "test_acc"]].to_csv(out.csv, index=False)
elif fid in ("acc_table", "leakynet_table"):
    table = figures.final_table(constnet if fid == "acc_table" else leakynet)
    table.to_csv(out.csv, index=False)
    title = "ConstNet arms" if fid == "acc_table" else "LeakyNet init strings"
    figures.table_page(table, f"{title}: test accuracy (best and final epoch)", note, out.pdf, out.png)
elif fid == "symmetry_deviation":
    figures.symmetry(metrics, note, out.pdf, out.png)
    metrics[["kind", "name", "seed", "epoch", "symmetry_deviation", "distinct_channels"]].to_csv(out.csv, index=False)
elif fid == "weight_corr":
    corr = read_correlations(snakemake.input.correlations)
    figures.weight_corr(corr, note, out.pdf, out.png, figures.labels(metrics))
    corr.to_csv(out.csv, index=False)
elif fid == "diversity":
    figures.diversity(metrics, note, out.pdf, out.png)
    metrics[["kind", "name", "seed", "epoch", "diversity"]].to_csv(out.csv, index=False)
elif fid == "time_to_break":
    table = figures.time_to_break(metrics)
    table.to_csv(out.csv, index=False)
    rules = ("epoch_cumulative (the original's rule): the epoch that is the 4th with test accuracy > 50 %, counted "
             "without reset (the original prints this - 1, its 0-based counter); epoch_streak_start: the first epoch "
             "of the first 4 consecutive epochs > 50 %; -1: never")
    figures.table_page(table, "Time to break symmetry", f"{rules}\n{note}", out.pdf, out.png)
elif fid == "architecture":
    n = snakemake.params.net
    model = ConstNet(n["depth"], n["widen"], pool=n["pool"])
    lines = [f"ConstNet depth {n['depth']}, widen {n['widen']}: "
             f"{sum(p.numel() for p in model.parameters()):,} parameters", ""]
    lines += [f"{name}: {type(m).__name__} {tuple(m.weight.shape)}" for name, m in model.named_modules()
              if hasattr(m, "weight") and m.weight is not None]
    pd.DataFrame({"line": lines}).to_csv(out.csv, index=False)
    figures.architecture(lines, note, out.pdf, out.png)
