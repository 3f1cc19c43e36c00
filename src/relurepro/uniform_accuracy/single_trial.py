"""One trial in the original's order of random draws (§2.4, §2.6): the sine run.

The batched trainer gives each student its own generators, so a student's result does not depend on what else
its job trains. A single trial can follow the original draw for draw instead: the trial seed set once (Python,
NumPy, torch), the student's default initialisation, the training points drawn next from the device's global
generator (in the run's dtype), then per epoch the two int64 draws a ``DataLoader(shuffle=True)`` takes from the
global CPU generator (its base seed, then its sampler's seed, which seeds the epoch's ``randperm``). Fresh test
points come from the device's global generator too, including those of the untrained evaluation before training
(the original's iteration 0, not aggregated): they continue the stream the training points came from, so they
never repeat them. A fixed set comes from the trial's test seed (errors.seed_for_test_points), as in the batched
trainer, and leaves the global generators alone. With one trial this is cheap and makes the run the original's.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from relurepro import checkpoints
from relurepro.numerics import seed_everything
from relurepro.uniform_accuracy.errors import TestPoints, chunk_rows, errors, test_generator
from relurepro.uniform_accuracy.models import INPUT_SCALE, linear_stack
from relurepro.uniform_accuracy.training import Experiment, plot_points

ORIGINAL_TEST_BATCH = 131072  # the original's test points come in 128 batches of 2^17


def epoch_order(m: int) -> torch.Tensor:
    """The sample order of one epoch of ``DataLoader(dataset of m, shuffle=True)``, drawn as it draws it."""
    torch.empty((), dtype=torch.int64).random_()  # the loader iterator's base seed (used only by workers)
    seed = int(torch.empty((), dtype=torch.int64).random_().item())  # its RandomSampler's seed
    return torch.randperm(m, generator=torch.Generator().manual_seed(seed))


def device_generator(device: str | torch.device) -> torch.Generator:
    """The global generator that plain ``torch.rand(..., device=device)`` uses."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.default_generators[device.index if device.index is not None else torch.cuda.current_device()]
    return torch.default_generator


class TrialNet(nn.Module):
    """The original's student: standardised input (x * sqrt(12)), ReLU between the affine maps; forward maps
    (n, d) to (1, n) so the stacked error code treats it as a stack of one."""

    def __init__(self, d: int, width: int, depth: int):
        super().__init__()
        layers: list[nn.Module] = []
        for lin in linear_stack(d, width, depth):
            layers += [lin, nn.ReLU()]
        self.body = nn.Sequential(*layers[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * INPUT_SCALE).T


def train_trial(target, *, d: int, m: int, width: int, depth: int, seed: int, exp: Experiment, test: TestPoints,
                dtype, device: str, checkpoint: str | Path, plot_n: int = 1000,
                progress: bool = True) -> tuple[list[dict], torch.Tensor, torch.Tensor]:
    """Train one student on `target` in the original's order of random draws; evaluate after each iteration.

    Returns rows as ``train.train_students`` does (student 0), the plot values (iterations, 1, P) and the
    training points (m, d) as drawn. Resumes from `checkpoint` (global generator states included) when it
    exists and removes it at the end.
    """
    if exp.minibatches != "epoch_shuffle":
        raise ValueError(f"{exp.name}: the original's order needs epoch_shuffle minibatches, not {exp.minibatches}")
    seed_everything(seed)  # the original's trial start: Python, NumPy, torch (CPU and every GPU)
    net = TrialNet(d, width, depth).to(dtype=dtype, device=device)
    x = torch.rand(m, d, dtype=dtype, device=device) - 0.5
    with torch.no_grad():
        y = target(x)[0]
    test_gen = device_generator(device)
    chunk = ORIGINAL_TEST_BATCH if test.mode == "fresh" else chunk_rows(1, width, torch.finfo(dtype).bits // 8)
    if test.mode == "fresh":  # the untrained evaluation's points: only their draws matter here
        for _ in test.chunks(test_gen, chunk, dtype, device):
            pass
    optimizer = torch.optim.Adam(net.parameters(), lr=exp.lr[0], foreach=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=exp.gamma())
    state = {"iteration": 0, "rows": [], "plot_values": [], "steps": 0, "epochs": 0}
    checkpoint = Path(checkpoint)
    if checkpoint.exists():
        saved = checkpoints.load(checkpoint)
        net.load_state_dict(saved["net"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        checkpoints.set_rng_state(saved["rng"])  # test_gen is torch's global CPU or CUDA stream
        state = saved["state"]
    b = exp.batch_size(m)
    per_epoch = math.ceil(m / b)
    plot_x = plot_points(d, plot_n).to(dtype=dtype, device=device)
    bar = tqdm(total=exp.iterations * exp.per_iteration * per_epoch, initial=state["steps"], disable=not progress,
               desc=f"{exp.name} m={m} trial {seed} W={width}", mininterval=10)
    while state["iteration"] < exp.iterations:
        start = time.perf_counter()
        for _ in range(exp.per_iteration):
            recent, seen = 0.0, 0  # the train metric covers the iteration's last epoch
            for idx in epoch_order(m).to(device).split(b):
                sq = (net(x[idx])[0] - y[idx]).pow(2)
                optimizer.zero_grad(set_to_none=True)
                sq.mean().backward()
                optimizer.step()
                recent, seen = recent + sq.detach().sum(), seen + len(idx)
            scheduler.step()
            state["steps"] += per_epoch
            state["epochs"] += 1
            bar.update(per_epoch)
        state["iteration"] += 1
        gen = test_generator(seed, device) if test.mode == "fixed" else test_gen
        errs = errors(net, target, test.chunks(gen, chunk, dtype, device))
        state["rows"].append({"student": 0, "seed": seed, "iteration": state["iteration"],
                              **{name: float(v[0]) for name, v in errs.items()},
                              "train_L2": float((recent / seen).sqrt()), "lr": optimizer.param_groups[0]["lr"],
                              "steps": state["steps"], "epochs": state["epochs"],
                              "seconds": time.perf_counter() - start})
        with torch.no_grad():
            state["plot_values"].append(net(plot_x).cpu())
        checkpoints.save(checkpoint, {
            "net": net.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "rng": checkpoints.rng_state(), "state": state})
    bar.close()
    checkpoint.unlink(missing_ok=True)
    return state["rows"], torch.stack(state["plot_values"]), x.detach().cpu()
