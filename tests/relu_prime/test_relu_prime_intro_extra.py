"""relu_prime intro extras and appendix items: the bifurcation zone (3.3), the ReLU6 intro (3.4), zero counting
(3.28), the ImageNet ResNet50 loop and its failure without a folder (3.29), and the stored tuned lrs (3.30)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from conftest import REPO, snakemake

from relurepro.activations import ReLU6AlphaBeta, ReLUAlpha
from relurepro.data import load_dataset
from relurepro.relu_prime.intro import (RELU6_COLUMNS, ZONE_COLUMNS, _directions, bifurcation_zone, first_divergence_iteration,
                             first_kink_iteration, first_zero_iteration, intro_nets, train_until_zero,
                             weight_diff_trace, zone_steps)
from relurepro.relu_prime import zeros_ratio
from relurepro.relu_prime.grid import parse_list, zeros_ratio_jobs
from relurepro.relu_prime.tables import best_lr_table, imagenet_summary, load_best_lr
from relurepro.training import TrainConfig

# Torch seed 11 puts an exact first-layer zero at iteration 5 on mnist5k (single thread; see test_intro.py).
EARLY_ZERO_SEED = 11


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def mnist5k():
    return load_dataset("mnist5k", "all")


# --- §3.3: bifurcation zone ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def early_hit(mnist5k):
    hit = train_until_zero(mnist5k, 30, torch_seed=EARLY_ZERO_SEED)
    if not hit.exact_zero:
        pytest.skip("no exact zero within 30 fp32 iterations on this machine's kernels")
    return hit


def test_zone_steps_are_the_spec_grid():
    steps = zone_steps(200, 5e-6)
    assert len(steps) == 200
    assert steps[0] == -5e-6 and steps[100] == 0 and steps[199] == pytest.approx(0.99 * 5e-6)


def test_retraining_finds_the_traces_first_zero(mnist5k, early_hit):
    # net1 alone follows the same trajectory as net1 of the three-net trace.
    trace = weight_diff_trace(mnist5k, 32, early_hit.iteration + 1, torch_seed=EARLY_ZERO_SEED)
    assert first_zero_iteration(trace) == early_hit.iteration
    assert early_hit.value == 0 and early_hit.zeros_in_batch >= 1
    z = nn.functional.linear(early_hit.batch, early_hit.weight, early_hit.bias)
    assert z[early_hit.sample, early_hit.neuron] == 0


def test_zone_is_a_band_of_exact_zeros_in_32_bit_and_a_valley_in_64(early_hit):
    points = 40
    zone = bifurcation_zone(early_hit, (32, 64), points=points)
    assert list(zone.columns) == list(ZONE_COLUMNS)
    centre = (zone["ix"] == points // 2) & (zone["iy"] == points // 2)
    z32, z64 = zone[zone.bits == 32], zone[zone.bits == 64]
    # The forward pass's own GEMM reproduces the training zero at the training weights...
    assert z32.loc[centre, "z"].item() == 0
    # ...and float32 rounding keeps it exactly 0 on a set of grid points (the flat band).
    assert (z32["z"] == 0).sum() >= 1
    # Float64: |a + x c1 + y c2|, the absolute value of one affine function (a thin valley along a line).
    assert (z64["z"] > 0).all()
    p1, p2 = _directions(early_hit.weight.shape, 123)
    xs = early_hit.batch[early_hit.sample].double()
    j = early_hit.neuron
    a = float(early_hit.weight[j].double() @ xs + early_hit.bias[j].double())
    c1, c2 = float(p1[j].double() @ xs), float(p2[j].double() @ xs)
    affine = np.abs(a + z64["x"] * c1 + z64["y"] * c2)
    assert np.abs(z64["z"] - affine).max() < 1e-9 * z64["z"].max()
    assert len(zone) == 2 * points * points


def test_zone_without_exact_zero_is_labelled(mnist5k):
    hit = train_until_zero(mnist5k.subset(256), 1)
    assert hit.iteration == 0 and hit.value > 0 and not hit.exact_zero
    zone = bifurcation_zone(hit, (32,), points=4)
    assert not zone["exact_zero"].any()


# --- §3.4: ReLU6 ---------------------------------------------------------------------------------------------

def test_relu6_nets_have_the_originals_kinks():
    net1, net2, net3 = intro_nets("relu6", 784, (32, 16), torch_seed=13)
    kinked = [m for m in net1 if isinstance(m, ReLU6AlphaBeta)]
    assert [(m.alpha, m.beta) for m in kinked] == [(1.0, 0.0), (1.0, 1.0)]
    assert all(isinstance(m, nn.ReLU6) for m in net2 if not isinstance(m, (nn.Linear, nn.Flatten)))
    for a, b in zip(net1.parameters(), net3.parameters()):
        assert torch.equal(a, b)


def test_beta_zero_at_six_matches_native_relu6():
    # Why an exact 6 in layer 1 cannot make net1 and net2 differ: beta = 0 is native ReLU6's derivative there.
    x = torch.tensor([0.0, 6.0, 3.0, 7.0, -1.0], requires_grad=True)
    nn.ReLU6()(x).backward(torch.full_like(x, 2.0))
    native = x.grad.clone()
    x.grad = None
    ReLU6AlphaBeta(0.0, 0.0)(x).backward(torch.full_like(x, 2.0))
    assert torch.equal(x.grad, native)


def test_first_kink_ignores_sixes_in_layer_one():
    t = pd.DataFrame({"iteration": range(4), "zeros1": [0, 0, 0, 1], "zeros2": 0, "sixes1": [0, 1, 0, 0],
                      "sixes2": [0, 0, 1, 0]})
    assert first_kink_iteration(t) == 2
    assert first_kink_iteration(t.drop(columns=["sixes1", "sixes2"])) == 3


@pytest.mark.parametrize("bits", [32, 64])
def test_relu6_trace_columns_and_control(mnist5k, bits):
    trace = weight_diff_trace(mnist5k.subset(512), bits, 4, activation="relu6", hidden=(64, 16))
    assert list(trace.columns) == RELU6_COLUMNS
    assert trace.attrs["numpy_seed"] == 1234 and trace.attrs["torch_seed"] == 13
    assert (trace["difference23"] == 0).all()
    assert (trace["active1_6"] > 0).all()
    if first_kink_iteration(trace) is None:
        assert first_divergence_iteration(trace) is None


# --- §3.28: zero counting ------------------------------------------------------------------------------------

def test_zero_counting_mlp_shape():
    net = zeros_ratio.zero_counting_mlp(3, 8)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 8), (8, 8), (8, 8), (8, 10)]
    assert sum(isinstance(m, nn.ReLU) for m in net) == 3


def test_counts_at_init_are_exact_and_deterministic(mnist5k):
    data = mnist5k.subset(300)
    rows = zeros_ratio.count_at_init(data, 2, 16, 16, runs=2, batch_size=128)
    again = zeros_ratio.count_at_init(data, 2, 16, 16, runs=2, batch_size=128)
    assert rows == again
    assert [r["relu_calls"] for r in rows] == [300 * 2 * 16] * 2
    # Recount run 1 by hand: same seed, same casts, every hidden pre-activation.
    torch.manual_seed(1)
    net = zeros_ratio.zero_counting_mlp(2, 16).half().eval()
    x = data.x.half().flatten(1)
    with torch.no_grad():
        z1 = net[1](x)
        z2 = net[3](torch.relu(z1))
    assert rows[1]["zeros"] == int((z1 == 0).sum() + (z2 == 0).sum())
    assert rows[1]["seed"] == 1


def test_counts_in_training_per_epoch(mnist5k):
    data = mnist5k.subset(200)
    cfg = TrainConfig(epochs=2, batch_size=64, lr=0.01, momentum=0.9, weight_decay=5e-4, shuffle=False)
    rows = zeros_ratio.count_in_training(data, 1, 8, 32, 1, cfg, progress=False)
    assert [r["pass"] for r in rows] == [1, 2]
    assert all(r["relu_calls"] == 200 * 8 and r["protocol"] == "train" for r in rows)


def _runs_csv(path, rows):
    pd.DataFrame(rows, columns=list(zeros_ratio.RUN_COLUMNS)).to_csv(path, index=False)
    return path


def test_aggregate_gives_true_and_original_ratios(tmp_path):
    rows = [zeros_ratio._row("train", 2, 10, 16, 0, 0, epoch, 100, zeros, 100 * 2 * 10, False)
            for epoch, zeros in ((1, 3), (2, 1))]
    agg = zeros_ratio.aggregate([_runs_csv(tmp_path / "a.csv", rows)], "mnist:train:100")
    zeros_ratio.validate_aggregate(agg)
    row = agg.iloc[0]
    assert row["zeros"] == 4 and row["relu_calls"] == 4000 and row["passes"] == 2
    assert row["true_ratio"] == pytest.approx(4 / 4000)
    # The original's y: cum_zeros over cumsum(L x N) = 4 / (2 epochs x 20 units).
    assert row["original_x"] == 40 and row["original_y"] == pytest.approx(0.1)


def test_malformed_run_csv_is_named(tmp_path):
    bad = _runs_csv(tmp_path / "bad.csv", [zeros_ratio._row("init", 1, 4, 32, 0, 0, 1, 10, 3, 999, False)])
    with pytest.raises(ValueError, match="bad.csv"):
        zeros_ratio.aggregate([bad], "x")


def test_count_csv_holds_what_its_path_promises(tmp_path):
    # A job's path promises its rows: (L, N) cells x runs x passes; a duplicated, missing or mistyped row, an
    # extra column or a header-only file stops the aggregation naming the file.
    job = tmp_path / "zeros_ratio/init/mnist-train-10/bits~32/layers~1/neurons~4-8/runs~2/epochs~3/counts.csv"
    job.parent.mkdir(parents=True)
    rows = [zeros_ratio._row("init", 1, n, 32, run, run, 1, 10, 3, 10 * n, False) for n in (4, 8) for run in (0, 1)]
    lines = _runs_csv(job, rows).read_text().splitlines()
    assert zeros_ratio.aggregate([job], "x")["runs"].tolist() == [2, 2]
    cases = {"duplicated": ([*lines, lines[1]], "5 rows, the job wrote 4"),
             "replaced": ([*lines[:-1], lines[1]], "file lines 2, 5.*uniqueness"),
             "missing": (lines[:-1], "3 rows"),
             "type": ([*lines[:-1], lines[-1].replace("False", "no")], "dtype\\('bool'\\) on diverged"),
             "number": ([*lines[:-1], lines[-1].replace(",10,", ",ten,", 1)], "file lines 5"),
             "extra": ([lines[0] + ",x", *(line + ",1" for line in lines[1:])], "expected columns"),
             "header": (lines[:1], "no rows"),
             "other_bits": ([lines[0], *(line.replace(",32,", ",64,") for line in lines[1:])], "bits disagree")}
    for name, (text, message) in cases.items():
        job.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(job))}: .*{message}"):
            zeros_ratio.aggregate([job], "x")
    job.write_text("")
    with pytest.raises(ValueError, match=f"{re.escape(str(job))}: empty file"):
        zeros_ratio.aggregate([job], "x")


def test_jobs_group_cells_per_precision_or_not():
    cfg = {"bits": [16, 32], "runs": {"16": 5, "32": 25}, "layers": [1, 3], "neurons": [64, 256],
           "one_job_per_cell": False}
    assert zeros_ratio_jobs(cfg) == [{"bits": 16, "layer_list": "1-3", "neuron_list": "64-256", "runs": 5},
                                          {"bits": 32, "layer_list": "1-3", "neuron_list": "64-256", "runs": 25}]
    assert len(zeros_ratio_jobs({**cfg, "one_job_per_cell": True})) == 8
    assert parse_list("1-3-6") == [1, 3, 6]
    with pytest.raises(ValueError, match="64"):
        zeros_ratio_jobs({**cfg, "bits": [16, 64]})


# --- §3.29: ImageNet -----------------------------------------------------------------------------------------

def test_topk_correct():
    from relurepro.imagenet import topk_correct

    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.05], [0.2, 0.3, 0.5]])
    assert topk_correct(logits, torch.tensor([1, 1, 0]), ks=(1, 2, 5)) == [1, 2, 3]


@pytest.mark.parametrize("folder", ["", "   ", None])
def test_missing_imagenet_dir_fails_clearly(folder):
    from relurepro.imagenet import require_imagenet

    with pytest.raises(FileNotFoundError, match="imagenet_dir is not set"):
        require_imagenet(folder)


@pytest.fixture(scope="module")
def tiny_imagefolder(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("imagenet")
    rng = np.random.default_rng(0)
    for part, n in (("train", 6), ("val", 3)):
        for c in range(2):
            folder = root / part / f"n0{c}"
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = (rng.random((24, 24, 3)) * 255 * (0.3 + 0.7 * c)).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def _tiny_model(alpha=1.0):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), ReLUAlpha(alpha), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


def test_imagenet_loop_steps_lr_and_resumes_exactly(tiny_imagefolder, tmp_path):
    from relurepro.archives import check_imagenet
    from relurepro.imagenet import COLUMNS, ImageNetConfig, train_imagenet

    assert check_imagenet(tiny_imagefolder, n_classes=2) == {"train": 2, "val": 2}
    cfg = ImageNetConfig(epochs=3, batch_size=4, lr=0.1, lr_step=2, crop=16, resize=20, workers=0, seed=5)
    straight = train_imagenet(_tiny_model(), tiny_imagefolder, cfg, relu_types=(ReLUAlpha,), progress=False)
    assert [r["epoch"] for r in straight] == [1, 2, 3] and set(straight[0]) == set(COLUMNS)
    assert [r["lr"] for r in straight] == pytest.approx([0.1, 0.1, 0.01])
    assert all(0 <= r["val_top1"] <= r["val_top5"] <= 1 for r in straight)
    assert straight[0]["relu_inputs"] == 12 * 4 * 14 * 14  # 12 training images, 4 channels, 14x14 maps
    ckpt = tmp_path / "ckpt.pt"
    from dataclasses import replace

    train_imagenet(_tiny_model(), tiny_imagefolder, replace(cfg, epochs=1), checkpoint=ckpt, relu_types=(ReLUAlpha,),
                   progress=False)
    resumed = train_imagenet(_tiny_model(), tiny_imagefolder, cfg, checkpoint=ckpt, relu_types=(ReLUAlpha,),
                             progress=False)
    for a, b in zip(straight, resumed):
        assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}


def test_imagenet_summary(tmp_path):
    from imagenet_rows import imagenet_run

    def run(alpha, r, top1, top5):  # a whole run's metrics.csv: the summary reads it through its schema
        path = tmp_path / f"alpha~{alpha}/run~{r}/metrics.csv"
        path.parent.mkdir(parents=True)
        imagenet_run(alpha, r).assign(val_top1=[0.1, top1], val_top5=[0.2, top5]).to_csv(path, index=False)
        return path

    table = imagenet_summary({(0.0, 0): run(0.0, 0, 0.70, 0.90), (0.0, 1): run(0.0, 1, 0.72, 0.91),
                              (1.0, 0): run(1.0, 0, 0.50, 0.75)})
    assert table["alpha"].tolist() == [0.0, 1.0] and table["runs"].tolist() == [2, 1]
    assert table.loc[0, "top1_mean"] == pytest.approx(71.0) and math.isnan(table.loc[1, "top1_sd"])
    with pytest.raises(ValueError, match="bad"):
        imagenet_summary({(0.0, 0): _bad_csv(tmp_path / "bad")})


def _bad_csv(path):
    pd.DataFrame({"epoch": [1]}).to_csv(path, index=False)
    return path


# --- §3.30: stored tuned learning rates -----------------------------------------------------------------------

def test_best_lr_reference_holds_the_specs_values():
    ref = load_best_lr(REPO / "config" / "reference" / "relu_prime_best_lr.csv")
    assert len(ref) == 92
    table = best_lr_table(ref)
    assert len(table) == 11
    lr = ref.set_index(["dataset", "network", "batch_norm", "optimizer", "relu"])["lr"]
    assert lr[("cifar10", "resnet18", False, "sgd", 0.0)] == 0.01296
    assert lr[("cifar10", "resnet18", False, "sgd", 0.8)] == 0.00041
    assert lr[("mnist", "mnist", True, "sgd", -50.0)] == 0.00529
    assert lr[("svhn", "vgg11", False, "adam", 50.0)] == 8e-05
    assert table.set_index("config").loc["svhn/vgg11/BN/adam", "n_alpha"] == 2


def test_best_lr_duplicates_are_rejected(tmp_path):
    src = (REPO / "config" / "reference" / "relu_prime_best_lr.csv").read_text().splitlines()
    path = tmp_path / "dup.csv"
    path.write_text("\n".join(src + [src[1]]) + "\n")
    with pytest.raises(ValueError, match="dup.csv"):
        load_best_lr(path)


# --- workflow -----------------------------------------------------------------------------------------------------

@pytest.mark.workflow
def test_paper_dry_run_lists_imagenet_and_zero_count_jobs_without_imagenet_dir(workdir):
    proc = snakemake(workdir, "-n", "-p", "figures/relu_prime/imagenet_resnet50.pdf",
                     "figures/relu_prime/zeros_ratio.pdf", "--config", "scale=paper")
    runs = set(re.findall(r"imagenet_resnet50/alpha~(\d+)/run~(\d+)/metrics.csv", proc.stdout))
    assert runs == {("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")}
    cells = set(re.findall(r"zeros_ratio/train/mnist-train-60000/bits~(\d+)/layers~(\d+)/neurons~(\d+)/runs~1/"
                           r"epochs~100/counts.csv", proc.stdout))
    assert len(cells) == 40 and {c[0] for c in cells} == {"16", "32"}


@pytest.mark.workflow
def test_imagenet_job_fails_clearly_without_a_folder(workdir):
    target = "results/relu_prime/imagenet_resnet50/alpha~0/run~0/metrics.csv"
    proc = snakemake(workdir, "--cores", "1", target, "--config", "scale=paper", check=False)
    assert proc.returncode != 0
    log = Path(workdir / "logs/relu_prime/imagenet_resnet50/alpha~0/run~0/metrics.log").read_text()
    assert "imagenet_dir is not set" in log
