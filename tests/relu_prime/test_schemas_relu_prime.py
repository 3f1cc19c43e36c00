"""relu_prime's intro traces, bifurcation-zone grid and ImageNet tables follow their declared schemas: a valid file
passes, a duplicated row, a mistyped value, an extra column, a header-only file or a broken cross-column rule fails
naming the file."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from csv_corruptions import assert_rejected, corruptions
from imagenet_rows import imagenet_run
from relurepro.relu_prime.intro_tables import read_trace, read_zone
from relurepro.relu_prime.tables import imagenet_summary, read_imagenet, read_imagenet_run


def trace(iterations: int = 4, relu6: bool = False) -> pd.DataFrame:
    t = pd.DataFrame({"iteration": range(iterations), "epoch": 0, "batch": range(iterations),
                      "difference12": [0.0] * (iterations - 1) + [0.25], "difference23": 0.0,
                      "active1": [1e-3, 0.0] + [2e-3] * (iterations - 2), "zeros1": [0, 1] + [0] * (iterations - 2),
                      "zeros2": 0, "bits": 32})
    if relu6:
        t = t.assign(active1_6=0.5, sixes1=0, sixes2=0)
    return t.assign(activation="relu6" if relu6 else "relu", lr=0.0101, numpy_seed=12345, torch_seed=123,
                    hidden="2000-128", threads=1)


def zone(points: int = 3) -> pd.DataFrame:
    iy, ix = (a.ravel() for a in np.meshgrid(range(points), range(points), indexing="ij"))
    return pd.concat([pd.DataFrame({
        "bits": bits, "ix": ix, "iy": iy, "x": ix * 1e-6, "y": iy * 1e-6, "z": 0.5 + ix, "z_dot": 0.5 + ix,
        "iteration": 3, "exact_zero": True, "sample": 1, "neuron": 2, "zeros_in_batch": 1, "direction_seed": 123,
        "torch_seed": 123, "numpy_seed": 12345, "threads": 1}) for bits in (32, 64)], ignore_index=True)


def write(path, table: pd.DataFrame):
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("relu6", [False, True])
def test_trace_schema(tmp_path, relu6):
    path = write(tmp_path / "bits~32/iterations~4/trace.csv", trace(relu6=relu6))
    assert read_trace(path).equals(pd.read_csv(path))
    text = path.read_text()
    for name, bad in corruptions(text, "zeros1").items():
        assert_rejected(path, bad, read_trace)
    # Cross-column rules: an exact zero without a zero distance; iterations out of order; another precision than
    # the path's.
    assert_rejected(path, trace(relu6=relu6).assign(zeros1=0).to_csv(index=False), read_trace, "file lines 3")
    assert_rejected(path, trace(relu6=relu6).iloc[[1, 0, 2, 3]].to_csv(index=False), read_trace, "0..n-1")
    assert_rejected(path, trace(relu6=relu6).assign(bits=64).to_csv(index=False), read_trace, "path")
    if relu6:
        assert_rejected(path, trace(relu6=True).assign(sixes1=1).to_csv(index=False), read_trace, "active1_6")
    # A missing iteration: the path promises 4.
    assert_rejected(path, trace(3, relu6).to_csv(index=False), read_trace, "3 rows")


def test_zone_schema(tmp_path):
    path = write(tmp_path / "zone.csv", zone())
    assert len(read_zone(path, rows=18)) == 18
    for name, bad in corruptions(path.read_text(), "z").items():
        assert_rejected(path, bad, read_zone)
    assert_rejected(path, zone().drop(index=4).to_csv(index=False), read_zone, "square grid")
    assert_rejected(path, zone().assign(exact_zero=True, zeros_in_batch=0).to_csv(index=False), read_zone,
                    "counted in its batch")
    assert_rejected(path, zone().assign(z=-1.0).to_csv(index=False), read_zone, "file lines 2, 3")


def test_imagenet_run_schema(tmp_path):
    path = write(tmp_path / "alpha~0.0/run~1/metrics.csv", imagenet_run(0.0, 1, diverge=True))
    assert len(read_imagenet_run(path)) == 2
    for name, bad in corruptions(path.read_text(), "val_top1").items():
        assert_rejected(path, bad, read_imagenet_run)
    assert_rejected(path, imagenet_run(0.0, 1).assign(val_top5=0.1).to_csv(index=False), read_imagenet_run,
                    "val_top1 <= val_top5")
    assert_rejected(path, imagenet_run(0.0, 1).assign(diverged=[True, False]).to_csv(index=False),
                    read_imagenet_run, "diverged")
    assert_rejected(path, imagenet_run(1.0, 1).to_csv(index=False), read_imagenet_run, "path")
    assert_rejected(path, imagenet_run(0.0, 1).assign(cfg_epochs=3).to_csv(index=False), read_imagenet_run,
                    "configured epoch")


def test_imagenet_table_schema(tmp_path):
    runs = {(0.0, 0): imagenet_run(0.0, 0), (0.0, 1): imagenet_run(0.0, 1, diverge=True),
            (1.0, 0): imagenet_run(1.0, 0)}
    paths = {k: write(tmp_path / f"alpha~{k[0]}/run~{k[1]}/metrics.csv", t) for k, t in runs.items()}
    table = imagenet_summary(paths)
    path = write(tmp_path / "imagenet_resnet50.csv", table)
    assert list(read_imagenet(path)["runs"]) == [2, 1]
    for name, bad in corruptions(path.read_text(), "runs").items():
        assert_rejected(path, bad, read_imagenet)
    assert_rejected(path, table.assign(runs=3).to_csv(index=False), read_imagenet, "one per-run value per run")
    assert_rejected(path, table.assign(diverged_runs=5).to_csv(index=False), read_imagenet, "diverged_runs")
    # A run file listed under another key fails in the summary, naming it.
    write(paths[(1.0, 0)], imagenet_run(1.0, 0).assign(alpha=0.0))
    with pytest.raises(ValueError, match="alpha~1.0/run~0/metrics.csv"):
        imagenet_summary(paths)


def test_imagenet_run_columns_are_what_the_job_writes():
    from dataclasses import fields

    from relurepro.imagenet import COLUMNS, ImageNetConfig
    from relurepro.relu_prime.tables import IMAGENET_RUN_COLUMNS

    # scripts/relu_prime/imagenet_train.py: the epoch rows, the run, then the configuration less device and seed.
    config = [f"cfg_{f.name}" for f in fields(ImageNetConfig) if f.name not in ("device", "seed")]
    assert IMAGENET_RUN_COLUMNS == [*COLUMNS, "alpha", "run", "seed", "relu_grad_mode", "device", *config]


# ---------------------------------------------------------------- aggregates re-read by the figures and claims

def volume_mnist_table() -> pd.DataFrame:
    return pd.DataFrame({
        "panel": ["layers", "layers"], "x": [1.0, 3.0], "bits": 32, "variant": "relu_everywhere", "layers": [1, 3],
        "neurons": 256, "batch": 256, "runs": 100, "bifurcated": [2, 5], "percent": [2.0, 5.0], "zero_runs": [4, 9],
        "zero_percent": [4.0, 9.0], "percent_panel": [2.0, 5.0], "display": [2.0, 5.0], "dataset": "mnist:train:60000",
        "detector": "exact"})


def vol_cdf_table() -> pd.DataFrame:
    return pd.DataFrame({
        "figure": "vol_mnist_nobn", "net": "mlp-relu_everywhere-3x256", "dataset": "mnist:train:60000", "bn": 0,
        "bn_arith": "none", "bits": 32, "batch_size": 128, "batch_idx": [0, 1], "samples": [128, 256],
        "cdf": [0.25, 0.5], "bifurcated": [1, 2], "zero_cdf": [0.5, 0.75], "runs": 4, "detector": "exact"})


def volume_stats_table() -> pd.DataFrame:
    rel = {f"rel_diff_{k}": [float("nan"), 0.1] for k in ("min", "25%", "50%", "mean", "75%", "max")}
    return pd.DataFrame({"comparison": ["0_vs_0", "1_vs_0"], "bits": 32, "runs": 4, "minibatches": 40,
                         "pct_runs_affected": [0.0, 50.0], "pct_minibatches_affected": [0.0, 10.0],
                         "pct_minibatches_affected_original": [0.0, 2.5], **rel})


def zeros_ratio_table() -> pd.DataFrame:
    return pd.DataFrame({"protocol": "train", "layers": 2, "neurons": [10, 20], "bits": 32, "runs": 1, "passes": 2,
                         "zeros": [4, 8], "relu_calls": [4000, 8000], "true_ratio": [0.001, 0.001],
                         "original_x": [40, 80], "original_y": [0.1, 0.1], "dataset": "mnist:train:100"})


def aggregate_cases():
    from relurepro.relu_prime import aggregate
    from relurepro.relu_prime import vol_cdf, volume_mnist, volume_stats, zeros_ratio

    from test_relu_prime_training import synthetic_table

    # (reader, a valid table, a column to mistype, a table breaking a cross-column rule, its message)
    return {
        "volume_mnist": (volume_mnist.read_aggregate, volume_mnist_table(), "bifurcated",
                         volume_mnist_table().assign(percent=50.0), "percent = 100"),
        "vol_cdf": (vol_cdf.read_aggregate, vol_cdf_table(), "cdf", vol_cdf_table().assign(zero_cdf=0.1),
                    "zero_cdf >= cdf"),
        "volume_stats": (volume_stats.read_summary, volume_stats_table(), "runs",
                         volume_stats_table().assign(minibatches=41), "same minibatches"),
        "zeros_ratio": (zeros_ratio.read_aggregate, zeros_ratio_table(), "zeros",
                        zeros_ratio_table().assign(zeros=[5, 8]), "true_ratio"),
        "train": (aggregate.read_table, synthetic_table("e", [0.0, 1.0]), "epoch",
                  synthetic_table("e", [0.0, 1.0]).assign(epoch=4), "epoch in 1..epochs"),
    }


@pytest.mark.parametrize("name", ["volume_mnist", "vol_cdf", "volume_stats", "zeros_ratio", "train"])
def test_claims_and_figures_re_read_aggregates_through_their_schema(tmp_path, name):
    read, table, column, broken, message = aggregate_cases()[name]
    path = write(tmp_path / f"{name}.csv", table)
    assert read(path).equals(pd.read_csv(path))
    for case, bad in corruptions(path.read_text(), column).items():
        assert_rejected(path, bad, read)
    assert_rejected(path, broken.to_csv(index=False), read, message)
    assert_rejected(path, "", read, "empty file")
