"""relu_prime training runs (§2.2, §2.3, §2.5 protocols P1/P2): the net, the data transforms, one job.

- Nets: VGG11 and the maxpool-stem ResNet18 (CIFAR variant) with ReLUAlpha after every conv/BN, or the MNIST
  MLP (Linear [+BN] + ReLUAlpha [+ Dropout p] per hidden layer; S15: dropout uses p, not alpha; S17: "no BN"
  is simply no norm layer). In the stress tier (S24) every ReLU input is first rounded to the 2^-k grid.
- Data: CIFAR-10 training batches get RandomCrop(32, padding 4) + horizontal flip drawn from the loop's seeded
  augmentation generator, then Normalize; SVHN and MNIST are normalised once, as the original's ToTensor +
  Normalize. Float32, TF32 off and deterministic kernels are set by the job (jobs.start).
- Optimisers: SGD momentum 0.9, weight decay 5e-4; Adam with PyTorch defaults; cosine schedule with
  T_max = the spec's tmax, stepped once per epoch; the lr of each epoch is recorded (S11).
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from relurepro.activations import ReLUAlpha
from relurepro.data import TensorData, load_dataset, normalize
from relurepro.models.mlp import mlp
from relurepro.models.resnet import resnet18_cifar
from relurepro.models.vgg import vgg11
from relurepro.numerics import seed_everything
from relurepro.relu_prime.aggregate import job_frame
from relurepro.relu_prime.grid import JobSpec, fmt
from relurepro.relu_prime.stress import stressed
from relurepro.training import TrainConfig, train
from relurepro.transforms import CIFAR10_STATS, random_crop_flip

CIFAR_MEAN, CIFAR_STD = CIFAR10_STATS
HALF = 0.5
NUM_CLASSES = 10


def activation_factory(alpha: float, mode: str, grid: int | None):
    """ReLU with ReLU'(0)=alpha (`mode`), behind the stress tier's grid rounding when `grid` is set."""
    return stressed(lambda: ReLUAlpha(alpha, mode), grid)


def build_net(spec: JobSpec, bn: bool, alpha: float, dropout: float, in_shape: tuple[int, int, int]) -> nn.Module:
    """One run's network for inputs of shape (C, H, W), initialised from torch's global RNG (seed first)."""
    act = activation_factory(alpha, spec.mode, spec.grid)
    shape = spec.mlp_shape
    if shape is not None:
        width, layers = shape
        c, h, w = in_shape
        net = mlp(c * h * w, [width] * layers, NUM_CLASSES, act, batch_norm=bn, dropout=dropout)
    elif spec.net == "vgg11":
        net = vgg11(NUM_CLASSES, bn, act, spec.width, in_channels=in_shape[0])
    else:
        net = resnet18_cifar(NUM_CLASSES, bn, act, spec.width, maxpool_stem=True, in_channels=in_shape[0])
    if spec.init == "kaiming":
        # CPU-scale deviation: narrow VGG11 without BN does not leave the chance plateau in a few epochs
        # under PyTorch's default init; Kaiming-normal conv weights (biases untouched) let it train.
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return net


def cifar_train_transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The original CIFAR-10 training transform on [0, 1] tensors: crop (zero padding) and flip, then Normalize."""
    return normalize(random_crop_flip(x, generator), CIFAR_MEAN, CIFAR_STD)


def prepare(spec: JobSpec, train_data: TensorData, test_data: TensorData):
    """(train data, test data, per-batch train transform or None) after the spec's preprocessing."""
    if spec.prep == "cifar10":
        test = TensorData(normalize(test_data.x, CIFAR_MEAN, CIFAR_STD), test_data.y, test_data.name, test_data.split)
        return train_data, test, cifar_train_transform
    c = train_data.x.shape[1]
    mean, std = (HALF,) * c, (HALF,) * c
    norm = lambda d: TensorData(normalize(d.x, mean, std), d.y, d.name, d.split)  # noqa: E731
    return norm(train_data), norm(test_data), None


def load_data(spec: JobSpec, data_root: str | Path = "data") -> tuple[TensorData, TensorData]:
    train_data = load_dataset(spec.dataset, spec.train_split, data_root)
    test_data = load_dataset(spec.dataset, spec.test_split, data_root)
    if spec.train_samples is not None:
        train_data = train_data.subset(spec.train_samples)
    if spec.test_samples is not None:
        test_data = test_data.subset(spec.test_samples)
    return train_data, test_data


def train_config(spec: JobSpec, seed: int, device: str, test_batch_size: int) -> TrainConfig:
    sgd = spec.opt == "sgd"
    return TrainConfig(epochs=spec.epochs, batch_size=spec.batch, optimizer=spec.opt, lr=spec.lr,
                       momentum=0.9 if sgd else 0.0, weight_decay=5e-4 if sgd else 0.0, schedule="cosine",
                       t_max=spec.tmax, seed=seed, test_batch_size=test_batch_size, device=device)


def checkpoint_name(bn: bool, alpha: float, dropout: float, seed: int) -> str:
    return f"run~bn{int(bn)}-alpha{fmt(alpha)}-dropout{fmt(dropout)}-seed{seed}.ckpt"


def run_job(spec: JobSpec, out_csv: str | Path, *, device: str = "cpu", data_root: str | Path = "data",
            test_batch_size: int = 100, progress: bool = True):
    """Train every run of `spec` and write the job's metrics CSV (aggregate.job_frame).

    Each run checkpoints after every epoch beside the CSV and resumes from it when the job is restarted; a
    run's checkpoint is deleted once the whole job is written (paper-scale checkpoints are ~100 MB each).
    """
    out_csv = Path(out_csv)
    train_data, test_data = load_data(spec, data_root)
    train_data, test_data, transform = prepare(spec, train_data, test_data)
    runs = {}
    for bn, alpha, dropout, seed in spec.runs():
        seed_everything(seed)  # init, then dropout continue from here; data order and augmentation: cfg.seed
        net = build_net(spec, bn, alpha, dropout, tuple(train_data.x.shape[1:]))
        rows = train(net, train_data, test_data, train_config(spec, seed, device, test_batch_size),
                     checkpoint=out_csv.parent / checkpoint_name(bn, alpha, dropout, seed), transform=transform,
                     progress=progress, desc=f"{spec.tier} bn={bn} alpha={alpha} dropout={dropout} seed={seed}")
        zeros = sum(r["exact_zeros"] for r in rows if not r["diverged"])
        logging.info("bn=%s alpha=%s dropout=%s seed=%d: last test accuracy %s, diverged %s, exact zeros %d",
                     bn, alpha, dropout, seed, rows[-1]["test_accuracy"], rows[-1]["diverged"], zeros)
        runs[(bn, alpha, dropout, seed)] = rows
    df = job_frame(spec, runs, device=str(device), torch_version=torch.__version__)
    tmp = out_csv.with_name(out_csv.name + ".tmp")
    df.to_csv(tmp, index=False)
    tmp.replace(out_csv)
    for run in spec.runs():
        (out_csv.parent / checkpoint_name(*run)).unlink(missing_ok=True)
    return df
