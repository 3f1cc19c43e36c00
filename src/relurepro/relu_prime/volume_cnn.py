"""First-bifurcation Monte-Carlo sampler for any network (relu_prime ``vol_*`` CDF figures).

One run: seed -> a fresh net from its constructor (float32 on the CPU, so every device and precision sees the same
initialisation) -> cast to the cell's precision -> walk the data batches *in train mode* (BatchNorm uses batch
statistics, as the original) with no parameter update, until net0 (ReLU'(0)=0) and net1 (ReLU'(0)=1) would give
different first-layer weight gradients, or `max_batches` batches were walked.

The decision is `relurepro.relu_prime.volume.walk`'s, the same for MLPs and CNNs: ``pair`` runs the original CIFAR notebooks'
comparison on every batch (two nets with identical weights and BN buffers, loss = CE(net0) + CE(net1), one
backward, exact comparison of the first conv/linear layer's weight gradients, zeroed every batch); ``exact`` runs
net0's own forward on every batch and the pair only on batches with an exact zero at some ReLU input.

Data protocols (relu_prime §2.3):
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
from relurepro.relu_prime.models import NetSpec
from relurepro.numerics import dtype_for_bits
from relurepro.transforms import CIFAR10_STATS
from relurepro.relu_prime.volume import DETECTORS, Events, Pair, RunResult, activation_count, sample_runs, twin, walk

PROTOCOLS = ("cifar", "svhn", "mnist")
CIFAR_MEAN, CIFAR_STD = CIFAR10_STATS
DATA_SEED_OFFSET = 1_000_000_007


@dataclass(frozen=True)
class CnnVolumeCell:
    """One Monte-Carlo cell: a net, a data protocol, a precision, batches and a detector."""

    net: NetSpec
    protocol: str
    bits: int
    batch_size: int
    max_batches: int
    detector: str = "exact"

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown data protocol {self.protocol!r}; choose one of {PROTOCOLS}")
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; choose one of {DETECTORS}")
        if self.batch_size < 1 or self.max_batches < 1:
            raise ValueError(f"batch_size and max_batches must be positive: {self}")
        dtype_for_bits(self.bits)


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


def run_once(cell: CnnVolumeCell, stream: BatchStream, seed: int, detector: str | None = None) -> Events:
    """One run with `seed`: its Events (first exact zero, first gradient difference, batches seen). `detector`
    overrides the cell's."""
    to = {"dtype": stream.dtype, "device": stream.device}
    torch.manual_seed(seed)
    net0 = cell.net.build(lambda: ReLUAlpha(0.0), stream.shape).to(**to).train()
    net1 = twin(net0, lambda: cell.net.build(lambda: ReLUAlpha(1.0), stream.shape))
    relus = activation_count(net0)
    if not relus:
        raise ValueError("the network has no ReLU module to watch")
    batches = stream.walk(torch.Generator().manual_seed(seed + DATA_SEED_OFFSET))
    return walk({0: Pair(net0, net1, relus)}, batches, detector or cell.detector, screen=net0)[0]


def sample_cell(cell: CnnVolumeCell, data: TensorData, runs: int, out_csv: str | Path, *, seed0: int = 0,
                device="cpu", progress: bool = True, publish_now: bool = True) -> list[RunResult]:
    """All runs of one cell into `out_csv` (resumable, see `relurepro.relu_prime.volume.sample_runs`)."""
    stream = BatchStream(data, cell, device)
    return sample_runs(lambda seed: [run_once(cell, stream, seed)], runs, out_csv, seed0=seed0, progress=progress,
                       desc=f"volume {cell.net.tag()} bn={cell.net.batch_norm} {cell.bits}b", publish_now=publish_now)
