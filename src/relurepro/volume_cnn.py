"""First-bifurcation Monte-Carlo sampler for any network (relu_prime ``vol_*`` CDF figures, spec 2.6).

One run: seed -> a fresh net from its constructor (float32 on the CPU, so every device and precision sees the same
initialisation) -> cast to the cell's precision -> walk the data batches *in train mode* (BatchNorm uses batch
statistics, as the original) with no parameter update, until net0 (ReLU'(0)=0) and net1 (ReLU'(0)=1) would give
different first-layer weight gradients, or `max_batches` batches were walked.

Detectors:
- ``pair``: the original CIFAR notebooks' comparison: two nets with identical weights (and BN buffers),
  loss = CE(net0) + CE(net1), one backward, exact comparison of the first conv/linear layer's weight gradients
  (zeroed every batch).
- ``forward_zero``: both nets share their forward pass (no update), so their gradients can differ only where some
  ReLU input is exactly 0: the first batch with such a zero is the bifurcation batch. Forward pre-hooks on every
  activation module stop the forward pass at the first zero. Validated against ``pair`` in the tests.

Data protocols (spec 2.3):
- ``cifar``: random crop 32 with zero padding 4 + horizontal flip (drawn per sample from the run's generator, on
  tensors), Normalize(CIFAR mean, std); a new shuffle each pass over the data.
- ``svhn``: Normalize(0.5, 0.5) per channel; a new shuffle each pass.
- ``mnist``: pixels in [0, 1] (ToTensor only), no shuffle: every run walks the same batches (one pass at most,
  since a second pass would repeat the same computations).
The run's data generator is seeded with seed + DATA_SEED_OFFSET, so init and data order are independent streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch
from torch import nn

from relurepro.activations import ReLUAlpha
from relurepro.data import TensorData, normalize
from relurepro.net_spec import NetSpec
from relurepro.numerics import dtype_for_bits
from relurepro.volume import RunResult, pick_for_validation, sample_runs

PROTOCOLS = ("cifar", "svhn", "mnist")
DETECTORS = ("forward_zero", "pair")
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)
DATA_SEED_OFFSET = 1_000_000_007
ACTIVATION_TYPES = (nn.ReLU, ReLUAlpha)


@dataclass(frozen=True)
class CnnVolumeCell:
    """One Monte-Carlo cell: a net, a data protocol, a precision, batches and a detector."""

    net: NetSpec
    protocol: str
    bits: int
    batch_size: int
    max_batches: int
    detector: str = "forward_zero"

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown data protocol {self.protocol!r}; choose one of {PROTOCOLS}")
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; choose one of {DETECTORS}")
        if self.batch_size < 1 or self.max_batches < 1:
            raise ValueError(f"batch_size and max_batches must be positive: {self}")
        dtype_for_bits(self.bits)


def first_weight(net: nn.Module) -> nn.Parameter:
    """The weight of the first Conv2d/Linear in registration order (VGG features[0], ResNet conv1, MLP [1])."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            return m.weight
    raise ValueError("the network has no Conv2d or Linear layer")


class BatchStream:
    """The batches of one cell, prepared once; `walk(generator)` yields one run's batches in its precision."""

    def __init__(self, data: TensorData, cell: CnnVolumeCell, device="cpu"):
        self.cell, self.n = cell, len(data)
        self.dtype = dtype_for_bits(cell.bits)
        self.device = torch.device(device)
        x = data.x.to(self.device, torch.float32)
        self.y = data.y.to(self.device)
        self.shape = tuple(data.x.shape[1:])
        if cell.protocol == "cifar":
            # Raw [0, 1] pixels padded with zeros once (RandomCrop pads before ToTensor/Normalize).
            self.x = nn.functional.pad(x, (4, 4, 4, 4))
        elif cell.protocol == "svhn":
            self.x = normalize(x, (0.5,) * x.shape[1], (0.5,) * x.shape[1]).to(self.dtype)
        else:
            passes = -(-self.n // cell.batch_size)
            if cell.max_batches > passes:
                raise ValueError(f"mnist protocol walks one unshuffled pass: {self.n} samples give {passes} batches "
                                 f"of {cell.batch_size}, {cell.max_batches} were asked for")
            self.x = x.to(self.dtype)

    def _augment(self, idx: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Random crop 32x32 (padding 4) and horizontal flip per sample, then Normalize, then the precision."""
        b, h, w = len(idx), self.shape[1], self.shape[2]
        dy = torch.randint(0, 9, (b,), generator=g).to(self.device)
        dx = torch.randint(0, 9, (b,), generator=g).to(self.device)
        flip = (torch.rand(b, generator=g) < 0.5).to(self.device)
        rows = (dy[:, None] + torch.arange(h, device=self.device))[:, :, None]  # (b, h, 1)
        cols = dx[:, None] + torch.arange(w, device=self.device)  # (b, w)
        cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, :]  # (b, 1, w)
        crops = self.x[idx[:, None, None], :, rows, cols].permute(0, 3, 1, 2)  # advanced dims first
        return normalize(crops, CIFAR_MEAN, CIFAR_STD).to(self.dtype)

    def walk(self, g: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """max_batches batches: shuffled passes (cifar, svhn; last batch of a pass may be short) or the fixed
        order (mnist)."""
        bs, done = self.cell.batch_size, 0
        while True:
            order = torch.randperm(self.n, generator=g) if self.cell.protocol != "mnist" else torch.arange(self.n)
            order = order.to(self.device)
            for start in range(0, self.n, bs):
                idx = order[start:start + bs]
                x = self._augment(idx, g) if self.cell.protocol == "cifar" else self.x[idx]
                yield x, self.y[idx]
                done += 1
                if done == self.cell.max_batches:
                    return


class _ZeroFound(Exception):
    """Raised by the forward pre-hook to stop a forward pass at the first exact zero."""


def _stop_at_zero(_module, inputs):
    if not bool(torch.all(inputs[0])):
        raise _ZeroFound


def first_zero_batch(net: nn.Module, batches) -> tuple[int, int]:
    """Forward-only detector: (first batch with an exact zero in a ReLU input or -1, batches seen)."""
    handles = [m.register_forward_pre_hook(_stop_at_zero) for m in net.modules() if isinstance(m, ACTIVATION_TYPES)]
    if not handles:
        raise ValueError("the network has no ReLU module to watch")
    seen = 0
    try:
        with torch.no_grad():
            for i, (x, _) in enumerate(batches):
                seen = i + 1
                try:
                    net(x)
                except _ZeroFound:
                    return i, seen
    finally:
        for h in handles:
            h.remove()
    return -1, seen


def first_grad_difference(net0: nn.Module, net1: nn.Module, batches) -> tuple[int, int]:
    """Pair detector: (first batch where the first layer's weight gradients differ or -1, batches seen)."""
    loss_fn = nn.CrossEntropyLoss()
    w0, w1 = first_weight(net0), first_weight(net1)
    seen = 0
    for i, (x, y) in enumerate(batches):
        seen = i + 1
        net0.zero_grad(set_to_none=True)
        net1.zero_grad(set_to_none=True)
        (loss_fn(net0(x), y) + loss_fn(net1(x), y)).backward()
        if not torch.equal(w0.grad, w1.grad):
            return i, seen
    return -1, seen


def run_once(cell: CnnVolumeCell, stream: BatchStream, seed: int, detector: str | None = None) -> tuple[int, int]:
    """One run with `seed`: (first bifurcation batch or -1, batches seen). `detector` overrides the cell's."""
    detector = detector or cell.detector
    to = {"dtype": stream.dtype, "device": stream.device}
    torch.manual_seed(seed)
    net0 = cell.net.build(lambda: ReLUAlpha(0.0), stream.shape).to(**to).train()
    batches = stream.walk(torch.Generator().manual_seed(seed + DATA_SEED_OFFSET))
    if detector == "forward_zero":
        return first_zero_batch(net0, batches)
    net1 = cell.net.build(lambda: ReLUAlpha(1.0), stream.shape).to(**to).train()
    net1.load_state_dict(net0.state_dict())
    return first_grad_difference(net0, net1, batches)


def validate_with_pair(cell: CnnVolumeCell, stream: BatchStream, results: list[RunResult], per_outcome: int) -> int:
    """Re-run up to `per_outcome` bifurcated and non-bifurcated forward_zero runs with the gradient pair; any
    disagreement is an error. Returns the number of runs checked."""
    picked = pick_for_validation(results, per_outcome)
    for r in picked:
        first, _ = run_once(cell, stream, r.seed, detector="pair")
        if first != r.first_batch:
            raise RuntimeError(f"pair validation failed for {cell}, seed {r.seed}: forward_zero says batch "
                               f"{r.first_batch}, the gradient pair says {first}")
    return len(picked)


def sample_cell(cell: CnnVolumeCell, data: TensorData, runs: int, out_csv: str | Path, *, seed0: int = 0,
                device="cpu", validate: int = 0, progress: bool = True) -> list[RunResult]:
    """All runs of one cell into `out_csv` (resumable); `validate` > 0 checks forward_zero runs against pair."""
    stream = BatchStream(data, cell, device)
    results = sample_runs(lambda seeds: [run_once(cell, stream, s) for s in seeds], runs, out_csv, seed0=seed0,
                          progress=progress, desc=f"volume {cell.net.tag()} bn={cell.net.batch_norm} {cell.bits}b")
    if validate and cell.detector == "forward_zero":
        print(f"pair validation: {validate_with_pair(cell, stream, results, validate)} runs agree")
    return results
