"""The shared train/eval loop: exact resume, divergence as data, learning, schedule, exact-zero counts."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

import pandas as pd
import pytest
import torch
from torch import nn

from relurepro.activations import ReLUAlpha
from relurepro.data import load_embedded, n_batches
from relurepro.models.mlp import mlp
from relurepro.numerics import seed_everything
from relurepro.training import COLUMNS, TrainConfig, train


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits():
    return load_embedded("digits", "train"), load_embedded("digits", "test")


def noise(x, generator):
    """A random augmentation, so the augmentation generator's state matters on resume."""
    return x + 0.05 * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def small_net(seed=0, **kw):
    seed_everything(seed)
    return mlp(64, [32, 16], 10, dropout=0.2, **kw)  # dropout: torch's global RNG state matters on resume


def assert_same_run(model_a, rows_a, model_b, rows_b):
    sa, sb = model_a.state_dict(), model_b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in rows_a]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in rows_b]


class Killed(Exception):
    pass


def kill_after(k):
    def on_epoch(row):
        if row["epoch"] == k:
            raise Killed

    return on_epoch


CONFIGS = [
    TrainConfig(epochs=4, batch_size=64, optimizer="adam", lr=3e-3, weight_decay=1e-4, schedule="cosine", seed=1),
    TrainConfig(epochs=4, batch_size=50, optimizer="sgd", lr=0.05, momentum=0.9, nesterov=True, seed=2),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=["adam-cosine", "sgd-nesterov"])
def test_resume_after_interruption_is_bitwise_identical(digits, tmp_path, cfg):
    train_data, test_data = digits
    ref = small_net()
    ref_rows = train(ref, train_data, test_data, cfg, transform=noise, progress=False)

    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(Killed):
        train(small_net(), train_data, test_data, cfg, checkpoint=ckpt, transform=noise, progress=False,
              on_epoch=kill_after(2))
    # A fresh "process": another initialisation and global RNG state, all overwritten by the checkpoint.
    resumed = small_net(seed=123)
    torch.rand(17)
    rows = train(resumed, train_data, test_data, cfg, checkpoint=ckpt, transform=noise, progress=False,
                 metrics_csv=tmp_path / "metrics.csv")
    assert_same_run(ref, ref_rows, resumed, rows)
    assert len(pd.read_csv(tmp_path / "metrics.csv")) == cfg.epochs

    # A finished checkpoint is not trained again.
    again = small_net(seed=5)
    assert train(again, train_data, test_data, cfg, checkpoint=ckpt, progress=False) == rows
    assert_same_run(resumed, rows, again, rows)


def test_extending_epochs_continues_the_same_run(digits, tmp_path):
    train_data, test_data = digits
    cfg = TrainConfig(epochs=3, batch_size=64, optimizer="sgd", lr=0.05, momentum=0.9)
    ref = small_net()
    ref_rows = train(ref, train_data, test_data, cfg, transform=noise, progress=False)
    ckpt = tmp_path / "ckpt.pt"
    train(small_net(), train_data, test_data, replace(cfg, epochs=1), checkpoint=ckpt,
          transform=noise, progress=False)
    model = small_net(seed=9)
    rows = train(model, train_data, test_data, cfg, checkpoint=ckpt, transform=noise, progress=False)
    assert_same_run(ref, ref_rows, model, rows)


def test_resume_refuses_a_different_config(digits, tmp_path):
    train_data, test_data = digits
    cfg = TrainConfig(epochs=1, batch_size=64, lr=0.05)
    ckpt = tmp_path / "ckpt.pt"
    train(small_net(), train_data, test_data, cfg, checkpoint=ckpt, progress=False)
    with pytest.raises(ValueError, match="lr"):
        train(small_net(), train_data, test_data, TrainConfig(epochs=2, batch_size=64, lr=0.1), checkpoint=ckpt,
              progress=False)


CHILD = textwrap.dedent("""
    import os, signal, sys
    import torch
    torch.set_num_threads(1)
    from relurepro.data import TensorData
    from relurepro.models.mlp import mlp
    from relurepro.numerics import seed_everything
    from relurepro.training import TrainConfig, train

    ckpt, out, kill_at, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), torch.load(sys.argv[4])
    calls = 0

    def transform(x, generator):
        global calls
        calls += 1
        if calls == kill_at:  # mid-epoch, after the in-memory state has moved past the checkpoint
            os.kill(os.getpid(), signal.SIGKILL)
        return x + 0.05 * torch.randn(x.shape, generator=generator, dtype=x.dtype)

    seed_everything(0)
    model = mlp(64, [32, 16], 10, dropout=0.2)
    cfg = TrainConfig(epochs=3, batch_size=64, optimizer="adam", lr=3e-3, schedule="cosine")
    rows = train(model, TensorData(*data["train"], "digits", "train"), TensorData(*data["test"], "digits", "test"), cfg,
                 checkpoint=ckpt if ckpt != "-" else None, transform=transform, progress=False)
    torch.save({"model": model.state_dict(), "rows": rows}, out)
""")


def test_sigkilled_process_resumes_to_the_same_result(digits, tmp_path):
    script, data = tmp_path / "child.py", tmp_path / "digits.pt"
    script.write_text(CHILD)
    torch.save({"train": (digits[0].x, digits[0].y), "test": (digits[1].x, digits[1].y)}, data)  # no sklearn import

    def run(ckpt, out, kill_at):
        return subprocess.run([sys.executable, str(script), str(ckpt), str(out), str(kill_at), str(data)],
                              capture_output=True, text=True, timeout=120)

    ref = run("-", tmp_path / "ref.pt", 0)
    assert ref.returncode == 0, ref.stderr
    nb = n_batches(len(digits[0]), 64)
    ckpt = tmp_path / "ckpt.pt"
    killed = run(ckpt, tmp_path / "never.pt", nb + 5)  # killed in the 6th batch of epoch 2
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert ckpt.exists() and not (tmp_path / "never.pt").exists()
    resumed = run(ckpt, tmp_path / "resumed.pt", 0)
    assert resumed.returncode == 0, resumed.stderr

    a, b = (torch.load(tmp_path / f, weights_only=False) for f in ("ref.pt", "resumed.pt"))
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert [r | {"seconds": 0} for r in a["rows"]] == [r | {"seconds": 0} for r in b["rows"]]


def test_nan_loss_marks_the_run_diverged(digits, tmp_path):
    train_data, test_data = digits
    cfg = TrainConfig(epochs=3, batch_size=64, optimizer="sgd", lr=1e20)
    rows = train(mlp(64, [32], 10), train_data, test_data, cfg, metrics_csv=tmp_path / "m.csv", progress=False)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert all(r["diverged"] for r in rows)
    assert all(math.isnan(r["train_loss"]) and math.isnan(r["test_accuracy"]) for r in rows)
    csv = pd.read_csv(tmp_path / "m.csv")
    assert list(csv.columns) == list(COLUMNS) and len(csv) == 3 and csv["diverged"].all()


def test_divergence_mid_run_keeps_the_earlier_epochs(digits, tmp_path):
    train_data, test_data = digits
    nb = n_batches(len(train_data), 64)
    calls = 0

    def blow_up_in_epoch_3(x, generator):
        nonlocal calls
        calls += 1
        return x * math.inf if calls == 2 * nb + 3 else x

    cfg = TrainConfig(epochs=5, batch_size=64, optimizer="sgd", lr=0.05)
    ckpt = tmp_path / "ckpt.pt"
    rows = train(mlp(64, [32], 10), train_data, test_data, cfg, checkpoint=ckpt, transform=blow_up_in_epoch_3,
                 progress=False)
    assert [r["diverged"] for r in rows] == [False, False, True, True, True]
    assert all(math.isfinite(r["test_loss"]) for r in rows[:2])
    assert rows[2]["lr"] == 0.05 and math.isnan(rows[3]["lr"])
    # Resuming a diverged run trains nothing more; asking for more epochs only adds diverged rows.
    more = train(mlp(64, [32], 10), train_data, test_data, replace(cfg, epochs=7),
                 checkpoint=ckpt, progress=False)
    assert len(more) == 7 and all(r["diverged"] for r in more[2:])


def test_learns_digits(digits):
    train_data, test_data = digits
    seed_everything(0)
    cfg = TrainConfig(epochs=4, batch_size=32, optimizer="sgd", lr=0.1, momentum=0.9)
    rows = train(mlp(64, [64], 10), train_data, test_data, cfg)  # progress bar on (to captured stderr)
    assert rows[-1]["test_accuracy"] > 0.8
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]


def test_cosine_schedule_lr_per_epoch(digits):
    train_data, _ = digits
    lr, eta_min, t_max = 0.2, 0.01, 4
    cfg = TrainConfig(epochs=6, batch_size=256, lr=lr, schedule="cosine", t_max=t_max, eta_min=eta_min)
    rows = train(mlp(64, [16], 10), train_data, None, cfg, progress=False)
    expected = [eta_min + (lr - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in range(6)]
    assert [r["lr"] for r in rows] == pytest.approx(expected, abs=1e-12)
    assert math.isnan(rows[0]["test_accuracy"])  # no test set: NaN, not a crash


@pytest.mark.parametrize("relu", [nn.ReLU, lambda: ReLUAlpha(1.0)], ids=["ReLU", "ReLUAlpha"])
def test_exact_zeros_counted_at_relu_inputs(digits, relu):
    train_data, _ = digits
    # The ReLU sees the raw pixels, many of which are exactly 0 (digits' borders): each epoch sees each once.
    model = nn.Sequential(nn.Flatten(), relu(), nn.Linear(64, 10))
    rows = train(model, train_data, None, TrainConfig(epochs=2, batch_size=100, lr=0.01), progress=False)
    zero_pixels = int((train_data.x == 0).sum())
    assert zero_pixels > 0
    assert [r["exact_zeros"] for r in rows] == [zero_pixels, zero_pixels]
    assert rows[0]["relu_inputs"] == train_data.x.numel()


def test_exact_zeros_ignore_other_activations(digits):
    train_data, _ = digits
    model = nn.Sequential(nn.Flatten(), nn.LeakyReLU(), nn.Linear(64, 10))
    rows = train(model, train_data, None, TrainConfig(epochs=1, batch_size=100, lr=0.01), progress=False)
    assert rows[0]["exact_zeros"] == 0 and rows[0]["relu_inputs"] == 0


def test_bad_config_names_the_field():
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(epochs=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(epochs=1, schedule="linear")
