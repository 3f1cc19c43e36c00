"""relu_prime training figures: stress tier, job specs and grids, transforms, a tiny job end to end,
aggregation schema, the claims helper and both figure kinds."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from conftest import REPO
from relurepro.activations import ReLUAlpha
from relurepro.numerics import ExactZeroCounter
from relurepro.relu_prime.figures import FIGURES, draw
from relurepro.relu_prime.aggregate import COLUMNS, aggregate, last_epoch_accuracy, validate
from relurepro.relu_prime.grid import JobSpec, experiment_jobs
from relurepro.relu_prime.training import build_net, run_job
from relurepro.transforms import random_crop_flip
from relurepro.relu_prime.stress import GridRound, grid_round, stressed, tier_label


pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------------------------------ stress tier

def test_grid_round_forward_rounds_to_the_grid():
    x = torch.tensor([0.1, 0.125, 0.126, 0.3, -0.2, 1.37, -0.0, 3.0])
    # k=2: grid step 0.25; 0.125 is a tie and rounds to even (0); |x| < 0.125 becomes an exact zero.
    assert grid_round(x, 2).tolist() == [0.0, 0.0, 0.25, 0.25, -0.25, 1.25, 0.0, 3.0]
    fine = torch.randn(1000)
    assert torch.equal(grid_round(fine, 10), torch.round(fine * 1024) / 1024)
    assert grid_round(fine, 10).dtype == torch.float32


def test_grid_round_backward_is_straight_through():
    x = torch.tensor([0.1, 0.3, -0.2, 2.0], requires_grad=True)
    upstream = torch.tensor([1.0, -2.0, 3.0, 0.5])
    grid_round(x, 1).backward(upstream)
    assert torch.equal(x.grad, upstream)


def test_stressed_relu_sees_rounded_zeros_and_sets_alpha_there():
    act = stressed(lambda: ReLUAlpha(0.7, "set"), 2)()
    assert isinstance(act[0], GridRound) and isinstance(act[1], ReLUAlpha)
    x = torch.tensor([0.1, 0.6, -0.4], requires_grad=True)
    with ExactZeroCounter({"relu": act[1]}) as counter:
        y = act(x)
    assert counter.total_zeros == 1  # 0.1 -> 0.0 exactly
    y.backward(torch.tensor([5.0, 5.0, 5.0]))
    # set mode: alpha replaces the upstream gradient at the rounded zero; straight-through elsewhere.
    assert x.grad.tolist() == pytest.approx([0.7, 5.0, 0.0])
    assert stressed(ReLUAlpha, None) is ReLUAlpha
    assert tier_label(None) == "faithful" and tier_label(12) == "stress k=12"


# ------------------------------------------------------------------------------------------ specs, grids

def tiny_spec(**kw) -> JobSpec:
    base = dict(net="mlp16x2", width=1.0, init="default", dataset="digits", train_split="train", train_samples=300,
                test_split="test", test_samples=200, prep="mnist", opt="sgd", lr=0.05, batch=50, epochs=2, tmax=200,
                mode="set", grid=3, bn=(False,), alphas=(0.0, 1.0), dropout=(0.0,), seeds=(0,))
    return JobSpec(**{**base, **kw})


def test_job_path_round_trips():
    for spec in (tiny_spec(), tiny_spec(grid=None, bn=(False, True), alphas=(-0.5, 5.0), seeds=(3,)),
                 tiny_spec(net="vgg11", width=0.0625, init="kaiming", train_samples=None, prep="cifar10",
                           dropout=(0.0,), seeds=(0, 1, 2))):
        assert JobSpec.from_path(spec.path()) == spec
    assert "/grid~off/" in tiny_spec(grid=None).path() and "/seeds~0-2/" in tiny_spec(seeds=(0, 1, 2)).path()
    with pytest.raises(ValueError, match="malformed"):
        JobSpec.from_path("results/relu_prime/train/net~vgg11/metrics.csv")
    with pytest.raises(ValueError, match="dropout"):
        tiny_spec(net="vgg11", dropout=(0.5,))


def paper_experiments():
    return yaml.safe_load((REPO / "config/scales/paper.yaml").read_text())["relu_prime"]["training"]["experiments"]


def test_paper_grids_have_the_spec_run_counts():
    runs = {name: sum(len(j.runs()) for j in experiment_jobs(exp)) for name, exp in paper_experiments().items()}
    # §5.1 / §4.6: VGG11 SGD 15 alpha x 2 BN x 10; Adam 146; ResNet18 220; SVHN 95; MNIST 38 alpha x 2 BN x 10;
    # dropout 3 alpha x 10 p x 10.
    assert runs == {"cifar_vgg11_sgd": 300, "cifar_vgg11_adam": 146, "cifar_resnet18_sgd": 220,
                    "svhn_vgg11_adam": 95, "mnist_sgd": 760, "mnist_dropout": 300}
    for exp in paper_experiments().values():
        for job in experiment_jobs(exp):  # one run per job at paper scale, faithful float32 only
            assert len(job.runs()) == 1 and job.grid is None and job.width == 1.0
    svhn = experiment_jobs(paper_experiments()["svhn_vgg11_adam"])
    assert {j.train_split for j in svhn} == {"extra"} and {j.epochs for j in svhn} == {100}
    assert {j.tmax for j in experiment_jobs(paper_experiments()["mnist_sgd"])} == {200}


def test_packing_and_duplicate_runs():
    exp = dict(net="mlp16x2", dataset="digits", train_split="train", test_split="test", preprocessing="mnist",
               optimizer="sgd", lr=0.1, batch_size=32, epochs=3, pack=["alphas", "seeds"],
               grid=[{"grid_k": [10, None], "bn": [0, 1], "alphas": [0, 1], "runs": 2}])
    jobs = experiment_jobs(exp)
    assert len(jobs) == 4 and all(len(j.runs()) == 4 for j in jobs)
    assert {j.tmax for j in jobs} == {3}  # P1: T_max = epochs when t_max is not given
    with pytest.raises(ValueError, match="twice"):
        experiment_jobs({**exp, "grid": exp["grid"] * 2})


# ------------------------------------------------------------------------------------------ data, nets

def test_random_crop_flip_is_seeded_and_crops_the_padded_image():
    x = torch.rand(6, 3, 8, 8)
    a = random_crop_flip(x, torch.Generator().manual_seed(5), padding=2)
    b = random_crop_flip(x, torch.Generator().manual_seed(5), padding=2)
    assert torch.equal(a, b) and a.shape == x.shape and a.is_contiguous()
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(len(x)):
        windows = [padded[i, :, r:r + 8, c:c + 8] for r in range(5) for c in range(5)]
        assert any(torch.equal(a[i], w) or torch.equal(a[i], w.flip(2)) for w in windows)


@pytest.mark.parametrize("net,width", [("vgg11", 0.0625), ("resnet18", 0.0625)])
def test_cnns_put_the_stressed_relu_everywhere(net, width):
    spec = tiny_spec(net=net, width=width, prep="cifar10", init="kaiming", grid=4)
    model = build_net(spec, bn=True, alpha=0.5, dropout=0.0, in_shape=(3, 32, 32))
    relus = [m for m in model.modules() if isinstance(m, ReLUAlpha)]
    assert relus and all(r.alpha == 0.5 and r.mode == "set" for r in relus)
    assert sum(isinstance(m, GridRound) for m in model.modules()) == len(relus)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)


# ------------------------------------------------------------------------------------------ a job end to end

@pytest.fixture(scope="module")
def tiny_job(tmp_path_factory):
    spec = tiny_spec(bn=(False, True), seeds=(0, 1))
    out = Path(spec.path(str(tmp_path_factory.mktemp("job"))))  # aggregation reads the spec from the path
    out.parent.mkdir(parents=True)
    return spec, run_job(spec, out, progress=False), out


def test_job_csv_follows_the_schema_and_counts_zeros(tiny_job):
    spec, df, out = tiny_job
    assert list(df.columns) == [c for c in COLUMNS if c != "experiment"]
    assert len(df) == len(spec.runs()) * spec.epochs
    assert not list(out.parent.glob("*.ckpt"))  # checkpoints removed once the job is written
    assert (df["tier"] == "stress k=3").all() and (df["lr"].iloc[0] == pytest.approx(0.05))
    assert (df["exact_zeros"].fillna(0) >= 0).all() and df["exact_zeros"].sum() > 0
    # Same seed, same everything but alpha: the exact zeros make the runs differ.
    a0 = df[(df.relu == 0) & (df.run_id == 0) & ~df.batch_norm]
    a1 = df[(df.relu == 1) & (df.run_id == 0) & ~df.batch_norm]
    assert a0["train_loss"].tolist() != a1["train_loss"].tolist()


def test_faithful_tier_without_zeros_is_bitwise_alpha_independent(tmp_path):
    spec = tiny_spec(grid=None, epochs=1)
    df = run_job(spec, tmp_path / "metrics.csv", progress=False)
    assert df["exact_zeros"].sum() == 0
    a0, a1 = df[df.relu == 0], df[df.relu == 1]
    assert a0["train_loss"].tolist() == a1["train_loss"].tolist()
    assert a0["test_accuracy"].tolist() == a1["test_accuracy"].tolist()


def test_stress_tier_shows_the_alpha_effect_without_bn(tmp_path):
    # Spec 5.3.5 in miniature: with pre-activations on a coarse grid, ReLU'(0)=1 ruins training without BN.
    spec = tiny_spec(net="mlp64x2", grid=6, epochs=5, train_samples=None, test_samples=None, lr=0.05)
    df = run_job(spec, tmp_path / "metrics.csv", progress=False)
    acc = last_epoch_accuracy(df.assign(experiment="x"), diverged_as=0.1).set_index("relu")["test_accuracy"]
    assert acc[0.0] > 0.8 and acc[1.0] < acc[0.0] - 0.3, acc


def test_aggregate_validates_and_names_a_malformed_file(tiny_job, tmp_path):
    spec, _, out = tiny_job
    table = aggregate("tiny", [out])
    assert list(table.columns) == list(COLUMNS) and (table["experiment"] == "tiny").all()
    bad_dir = Path(spec.path(str(tmp_path))).parent
    bad_dir.mkdir(parents=True)
    bad = bad_dir / "metrics.csv"
    pd.read_csv(out).drop(columns=["exact_zeros"]).to_csv(bad, index=False)
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        aggregate("tiny", [bad])
    short = pd.read_csv(out)
    short[short.epoch == 1].to_csv(bad, index=False)
    with pytest.raises(ValueError, match="8 rows, the job wrote 16"):
        aggregate("tiny", [bad])
    # An epoch out of range in place of the run's last epoch: the right row count, not one row per epoch.
    short.replace({"epoch": {2: 1}}).assign(epoch=lambda d: d["epoch"].where(d.index != 0, 2)).to_csv(bad,
                                                                                                     index=False)
    with pytest.raises(ValueError, match="uniqueness|one row per epoch"):
        aggregate("tiny", [bad])
    # A duplicated row (here replacing another, so the count still fits, and appended), a wrong-type value, an
    # extra column, a diverged flag that is not True/False, and a header-only file: refused, naming the file.
    lines = out.read_text().splitlines()
    header, first = lines[0], lines[1]
    cases = {"duplicated": [*lines[:-1], first], "appended": [*lines, first],
             "type": [header, first.replace(",True,", ",yes,", 1).replace(",False,", ",yes,", 1), *lines[2:]],
             "extra": [header + ",x", *(line + ",1" for line in lines[1:])],
             "header": [header]}
    for name, text in cases.items():
        bad.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=re.escape(str(bad))):
            aggregate("tiny", [bad])
    bad.write_text("\n".join(cases["duplicated"]) + "\n")
    with pytest.raises(ValueError, match=f"{re.escape(str(bad))}: does not match its schema \\(file lines 2, 17\\)"):
        aggregate("tiny", [bad])
    with pytest.raises(ValueError, match="runs"):  # rows of another alpha than the path names
        pd.read_csv(out).replace({"relu": {1.0: 0.5}}).to_csv(bad, index=False)
        aggregate("tiny", [bad])


def test_last_epoch_accuracy_means_per_cell(tiny_job):
    _, df, _ = tiny_job
    acc = last_epoch_accuracy(df.assign(experiment="tiny"))
    assert list(acc.columns) == ["experiment", "tier", "batch_norm", "relu", "dropout", "runs", "diverged_runs",
                                 "test_accuracy", "test_accuracy_sd", "exact_zeros"]
    assert len(acc) == 4 and (acc["runs"] == 2).all()
    cell = df[(df.relu == 1) & df.batch_norm & (df.epoch == 2)]
    got = acc[(acc.relu == 1) & acc.batch_norm]["test_accuracy"].item()
    assert got == pytest.approx(cell["test_accuracy"].mean()) or math.isnan(got)


# ------------------------------------------------------------------------------------------ figures

def synthetic_table(experiment: str, alphas, dropout=(0.0,)) -> pd.DataFrame:
    rows = []
    for tier, k in (("stress k=12", 12), ("faithful", math.nan)):
        for bn in (False, True):
            for a in alphas:
                for p in dropout:
                    for run in range(2):
                        for epoch in (1, 2, 3):
                            div = tier != "faithful" and not bn and a == alphas[-1] and run == 0
                            acc = math.nan if div else 0.9 - 0.1 * (a if tier != "faithful" else 0) + 0.01 * run
                            rows.append(dict(run_id=run, epoch=epoch, train_loss=math.nan if div else 1 / epoch,
                                             train_accuracy=acc, test_loss=0.3, test_accuracy=acc, relu=a,
                                             batch_norm=bn, lr=0.1, exact_zeros=0 if tier == "faithful" else 7,
                                             relu_inputs=1000, diverged=div, tier=tier, preact_grid_k=k,
                                             relu_grad_mode="set", dropout=p, experiment=experiment, net="mlp8x1",
                                             width_mult=1.0, init="default", dataset="digits-train-all-test-all",
                                             preprocessing="mnist", optimizer="sgd", lr0=0.1, t_max=3,
                                             batch_size=32, epochs=3, seconds=0.1, device="cpu", torch="x"))
    df = pd.DataFrame(rows)[list(COLUMNS)]
    validate(df, "synthetic")
    return df


@pytest.mark.parametrize("figure", ["cifar_vgg11_sgd_test", "cifar_vgg11_sgd_train_nobn", "mnist_dropout",
                                    "cifar_resnet18_sgd_train_bn"])
@pytest.mark.parametrize("quirks", [False, True])
def test_figures_draw_every_tier_and_count_diverged_runs(tmp_path, figure, quirks):
    exp = FIGURES[figure]["experiment"]
    table = synthetic_table(exp, [0.0, 0.5, 1.0], dropout=(0.0, 0.5, 0.9) if exp == "mnist_dropout" else (0.0,))
    pdf, png = tmp_path / f"{figure}.pdf", tmp_path / f"{figure}.png"
    drawn = draw(table, figure, "scale: test", str(pdf), str(png), paper_quirks=quirks)
    assert pdf.read_bytes()[:4] == b"%PDF" and png.exists()
    tiers = {key[0] for key in drawn}
    assert tiers == {"stress k=12", "faithful"}
    if figure == "cifar_vgg11_sgd_test":
        assert drawn[("stress k=12", 1.0, False)]["diverged"] == 1
        assert drawn[("stress k=12", 0.0, False)]["mean"] == pytest.approx(0.905)
    if figure == "mnist_dropout":  # p = 0.9 is left out, as the original
        assert {key[1] for key in drawn} == {0.0, 0.5}
    if figure == "cifar_vgg11_sgd_train_nobn":
        assert drawn[("stress k=12", 1.0)]["diverged"] == 1
