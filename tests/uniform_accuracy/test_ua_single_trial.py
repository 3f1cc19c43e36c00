"""The sine run's trainer follows the original's order of random draws: checked against a plain loop written as
the original's code runs on a CPU (nn.Sequential, global generator, DataLoader with shuffle=True)."""

import math
import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from interruptions import dies_at_call
from relurepro.uniform_accuracy import single_trial
from relurepro.uniform_accuracy.errors import TestPoints
from relurepro.uniform_accuracy.single_trial import epoch_order, train_trial
from relurepro.uniform_accuracy.teachers import SineTarget
from relurepro.uniform_accuracy.training import Experiment, plot_points

EXP = Experiment("tiny", {"fraction": 0.2}, "epoch_shuffle", 3, 2, (1e-2, 1e-3))
M = 47  # batch ceil(0.2 * 47) = 10: the last batch of each epoch is partial (7), kept as the DataLoader does


def test_epoch_order_is_the_dataloaders():
    torch.manual_seed(3)
    loader = DataLoader(TensorDataset(torch.arange(M)), batch_size=10, shuffle=True)
    expected = [torch.cat([batch for batch, in loader]) for _ in range(3)]
    after = torch.rand(4)  # the global generator must be left where the loader leaves it
    torch.manual_seed(3)
    assert all(torch.equal(epoch_order(M), order) for order in expected)
    assert torch.equal(torch.rand(4), after)


def _original_loop(seed: int):
    """The original's trial on a CPU, plainly: seeds, default init, samples, DataLoader shuffles, Adam, LR per epoch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    layers = []
    for a, b in zip([1, 8, 8, 8], [8, 8, 8, 1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    x = torch.rand(M, 1) - 0.5
    y = SineTarget()(x)[0]
    loader = DataLoader(TensorDataset(x, y), batch_size=EXP.batch_size(M), shuffle=True)
    optimizer = torch.optim.Adam(net.parameters(), lr=EXP.lr[0], foreach=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=EXP.gamma())
    for _ in range(EXP.iterations * EXP.per_iteration):
        for xb, yb in loader:
            optimizer.zero_grad()
            ((net(xb * math.sqrt(12)).squeeze(-1) - yb) ** 2).mean().backward()
            optimizer.step()
        scheduler.step()
    with torch.no_grad():
        return x, net(plot_points(1, 101).float() * math.sqrt(12)).squeeze(-1)


def _trial(tmp_path, test=TestPoints("grid", 257, 1)):
    return train_trial(SineTarget(), d=1, m=M, width=8, depth=4, seed=10000, exp=EXP, test=test,
                       dtype=torch.float32, device="cpu", checkpoint=tmp_path / "ck.pt", plot_n=101, progress=False)


def test_the_trial_is_the_original_loop_bit_for_bit(tmp_path):
    rows, values, samples = _trial(tmp_path)
    x, expected = _original_loop(10000)
    assert torch.equal(samples, x)
    assert torch.equal(values[-1, 0], expected)
    assert [r["iteration"] for r in rows] == [1, 2] and rows[-1]["steps"] == 2 * 3 * 5 and rows[-1]["epochs"] == 6
    assert rows[-1]["lr"] == pytest.approx(EXP.lr[1])
    assert not (tmp_path / "ck.pt").exists()


def test_the_trial_resumes_with_the_same_result(tmp_path, monkeypatch):
    fresh = TestPoints("fresh", 300, 1)  # fresh points also come from the global generator, so resuming must restore it
    full_rows, full_values, _ = _trial(tmp_path, fresh)
    real = single_trial.errors
    monkeypatch.setattr(single_trial, "errors", dies_at_call(real, 2))  # the job dies while evaluating iteration 2
    with pytest.raises(KeyboardInterrupt):
        _trial(tmp_path, fresh)
    assert (tmp_path / "ck.pt").exists()
    monkeypatch.setattr(single_trial, "errors", real)
    torch.rand(10)  # whatever ran in between
    rows, values, _ = _trial(tmp_path, fresh)
    drop = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
    assert [drop(r) for r in rows] == [drop(r) for r in full_rows]
    assert torch.equal(values, full_values)


def test_the_trial_needs_epoch_shuffles(tmp_path):
    exp = Experiment("r", {"cap": 8}, "with_replacement", 3, 1, (1e-3, 1e-4))
    with pytest.raises(ValueError, match="epoch_shuffle"):
        train_trial(SineTarget(), d=1, m=M, width=8, depth=4, seed=1, exp=exp, test=TestPoints("grid", 9, 1),
                    dtype=torch.float32, device="cpu", checkpoint=tmp_path / "ck.pt", progress=False)
