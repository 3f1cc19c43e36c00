"""Training the tiny ODE ResNets: Figure 3c's depth x integrator x gradient grid, the tied pretraining, and the
untie-then-fine-tune-with-the-adjoint refinement (Table 2's recipe) on the tiny net.

Data: CIFAR-10 at paper scale (crop + flip, the original's normalisation), scikit-learn's digits otherwise
(§5.2: the first 1,400 images of a fixed permutation for training, the other 397 for testing, standardised
with the training split's mean and standard deviation).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from relurepro.data import TensorData, batches, load_dataset, load_embedded, normalize
from relurepro.numerics import seed_everything
from relurepro.resnet_ode.adjoint import BN_RECOMPUTE
from relurepro.resnet_ode.models import ODEResNet, TinyODENet, piecewise_constant_init, untie, untie_tiny
from relurepro.training import TrainConfig, train
from relurepro.transforms import CIFAR10_STATS, random_crop_flip

DIGITS_TRAIN = 1400
CIFAR_MEAN, CIFAR_STD = CIFAR10_STATS
BASE_DEPTH = 8  # the random net whose functions are copied piecewise-constant in depth (§2.7)
GRADS = ("backprop", "adjoint")
INITS = ("iid", "piecewise_constant")


@dataclass(frozen=True)
class TinyRecipe:
    """One training recipe of the tiny nets (paper: §3.5; quick: §5.2)."""

    dataset: str  # 'digits' | 'cifar10'
    epochs: int
    batch: int
    lr: float
    momentum: float
    weight_decay: float
    milestones: tuple[int, ...]
    test_batch: int
    channels: int = 16
    init: str = "iid"  # S7
    zero_init: bool = False
    adjoint: str = "chained"  # S1: 'chained' | 'local'

    @classmethod
    def from_config(cls, c: dict) -> TinyRecipe:
        fields = {k: c[k] for k in cls.__dataclass_fields__ if k in c}
        fields["milestones"] = tuple(c.get("milestones", ()))
        recipe = cls(**fields)
        if recipe.init not in INITS:
            raise ValueError(f"unknown tiny-net init {recipe.init!r}; choose one of {INITS}")
        if recipe.adjoint not in ("chained", "local"):
            raise ValueError(f"unknown adjoint variant {recipe.adjoint!r}; choose chained or local")
        return recipe

    def train_config(self, seed: int, device: str, epochs: int | None = None, lr: float | None = None,
                     milestones: tuple[int, ...] | None = None) -> TrainConfig:
        return TrainConfig(epochs=epochs or self.epochs, batch_size=self.batch, optimizer="sgd", lr=lr or self.lr,
                           momentum=self.momentum, weight_decay=self.weight_decay, schedule="step",
                           milestones=self.milestones if milestones is None else milestones, seed=seed,
                           test_batch_size=self.test_batch, device=device)


def digits() -> tuple[TensorData, TensorData]:
    data = load_embedded("digits", "all")  # already in the fixed shuffled order (NumPy seed 0)
    mean, std = data.x[:DIGITS_TRAIN].mean(), data.x[:DIGITS_TRAIN].std()
    x = (data.x - mean) / std
    return (TensorData(x[:DIGITS_TRAIN], data.y[:DIGITS_TRAIN], "digits", "train"),
            TensorData(x[DIGITS_TRAIN:], data.y[DIGITS_TRAIN:], "digits", "test"))


def cifar_transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """RandomCrop(32, padding 4) + horizontal flip, then the original's normalisation."""
    return normalize(random_crop_flip(x, generator), CIFAR_MEAN, CIFAR_STD)


def load(dataset: str, root: str | Path = "data", train_samples: int | None = None):
    """(train, test, per-batch train transform or None) for the tiny nets and the CIFAR ResNets; `train_samples`:
    the first so many training images (the rehearsal's CIFAR ResNets; the paper trains on all)."""
    if dataset == "digits":
        if train_samples is not None:
            raise ValueError("digits runs use the whole split: train_samples is for cifar10")
        return (*digits(), None)
    if dataset != "cifar10":
        raise ValueError(f"the tiny nets train on digits or cifar10, not {dataset!r}")
    train_data, test_data = load_dataset("cifar10", "train", root), load_dataset("cifar10", "test", root)
    if train_samples is not None:
        train_data = train_data.subset(train_samples)
    test_data = TensorData(normalize(test_data.x, CIFAR_MEAN, CIFAR_STD), test_data.y, "cifar10", "test")
    return train_data, test_data, cifar_transform


def stem_for(dataset: str) -> str:
    return "digits" if dataset == "digits" else "cifar"


def split_grad(name: str) -> tuple[str, str]:
    """'backprop' or 'adjoint_<bn_recompute>' (a run path's gradient mode) -> (mode, batch-norm handling)."""
    grad, _, bn_recompute = name.partition("_")
    if grad not in GRADS or (grad == "adjoint") != (bn_recompute in BN_RECOMPUTE):
        raise ValueError(f"unknown gradient mode {name!r}: backprop or adjoint_<one of {BN_RECOMPUTE}>")
    return grad, bn_recompute or "none"


def build(recipe: TinyRecipe, depth: int, method: str, grad: str, seed: int, tied: bool = False,
          bn_recompute: str = "restore") -> TinyODENet:
    """The seeded tiny net of one run; piecewise-constant init copies a random depth-8 base net (§2.7)."""
    if grad not in GRADS:
        raise ValueError(f"unknown gradient mode {grad!r}; choose one of {GRADS}")
    seed_everything(seed)
    kw = dict(stem=stem_for(recipe.dataset), zero_init=recipe.zero_init, channels=recipe.channels)
    net = TinyODENet(depth, method, grad == "adjoint", tied=tied, local=recipe.adjoint == "local",
                     bn_recompute=bn_recompute if bn_recompute != "none" else "restore", **kw)
    if recipe.init == "piecewise_constant" and not tied:
        piecewise_constant_init(net, TinyODENet(BASE_DEPTH, method, **kw))
    return net


@torch.no_grad()
def accuracy(model: nn.Module, data: TensorData, batch: int, batch_stats: bool = False) -> float:
    """Test accuracy in eval mode (running statistics) or with each batch's own statistics; the model's modes
    and buffers are left as they were."""
    saved = copy.deepcopy(model.state_dict()) if batch_stats else None
    was_training = model.training
    model.train(batch_stats)
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches(data, batch))
    model.train(was_training)
    if saved is not None:
        model.load_state_dict(saved)
    return correct / len(data)


@torch.no_grad()
def recalibrate_bn(model: nn.Module, data: TensorData, batch: int) -> nn.Module:
    """Running statistics re-estimated as plain averages over one pass of `data` in train mode (per copy when
    untied): removes the shared-BN mismatch of tied nets (pitfall P1, switch S4)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    was_training = model.training
    model.train()
    for x, _ in batches(data, batch):
        model(x)
    model.train(was_training)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return model


def batch_stats_metrics(batch: int):
    """extra_metrics for `training.train`: the test accuracy with batch statistics beside the eval-mode one."""
    return lambda model, test: {"test_accuracy_batch_stats": accuracy(model, test, batch, batch_stats=True)}


def train_run(model: TinyODENet, cfg: TrainConfig, data, *, checkpoint=None, extra_metrics=None,
              desc="tiny") -> list[dict]:
    train_data, test_data, transform = data
    return train(model, train_data, test_data, cfg, checkpoint=checkpoint, transform=transform,
                 extra_metrics=extra_metrics, desc=desc)


def untie_and_finetune(tied: TinyODENet, depth: int, recipe: TinyRecipe, cfg: TrainConfig, data, *,
                       checkpoint=None) -> tuple[dict, list[dict], TinyODENet]:
    """Table 2 on the tiny net: untie at `depth` steps and fine-tune only the residual functions with the chained
    adjoint. Returns the "before" accuracies (every S4 variant), the fine-tuning rows and the fine-tuned net."""
    train_data, test_data, _ = data
    b = recipe.test_batch
    before = {"tied_eval_trained_depth": accuracy(tied, test_data, b)}
    tied = copy.deepcopy(tied).cpu()
    tied.depth = depth  # the tied model unrolled at the fine-tuning depth
    untied = untie_tiny(tied, depth, adjoint=True)
    before.update(tied_eval=accuracy(tied, test_data, b), tied_batch_stats=accuracy(tied, test_data, b, True),
                  untied_eval=accuracy(untied, test_data, b))
    with torch.no_grad():  # untying is exact: the same function in every copy, the same step size
        gap = (tied.eval()(test_data.x) - untied.eval()(test_data.x)).abs().max()
    before["max_abs_output_gap"] = float(gap)
    before["untied_recalibrated"] = accuracy(recalibrate_bn(copy.deepcopy(untied), train_data, b), test_data, b)
    for p in [*untied.conv.parameters(), *untied.bn.parameters(), *untied.fc.parameters()]:
        p.requires_grad_(False)  # only the residual functions are fine-tuned
    rows = train_run(untied, cfg, data, checkpoint=checkpoint, extra_metrics=batch_stats_metrics(b),
                     desc="finetune")
    return before, rows, untied


# ------------------------------------------------------------------- paper-scale runs of the bottleneck ResNets
# Tied pretraining on CIFAR-10 and ImageNet, ResNet-101 with and without the adjoint on ImageNet (Figure 3b), and
# Table 2's untie-then-fine-tune (§3.2-3.4, §3.7). CIFAR-10 runs train through `relurepro.training.train`
# (tensor-resident data, crop + flip); ImageNet runs through `relurepro.imagenet.train_imagenet`.
RESNET101_LAYERS = (3, 4, 23, 3)


def counts_from_blocks(blocks: list[int]) -> list[int]:
    """Per-stage residual-function counts of the original's block counts (the first block of a stage is an
    ordinary bottleneck, pitfall P7)."""
    return [b - 1 for b in blocks]


def cifar_tied_config(c: dict, seed: int, device: str) -> TrainConfig:
    """Figure 3a CIFAR recipe: SGD 0.1 / 0.9 / 5e-4, cosine over the epochs (switch S6) or 0.1 -> 0.01 -> 0.001."""
    step = c["schedule"] == "step"
    return TrainConfig(epochs=c["epochs"], batch_size=c["batch"], lr=c["lr"], momentum=c["momentum"],
                       weight_decay=c["weight_decay"], schedule="step" if step else "cosine",
                       milestones=(100, 150) if step else (), seed=seed, test_batch_size=c["test_batch"],
                       device=device)


def resnet101(classes: int, adjoint: bool, adjoint_above: int, bn_recompute: str) -> ODEResNet:
    """The original's ResNetMemory101: untied residual stages of 2/3/22/2 functions; with the adjoint requested
    only segments longer than `adjoint_above` use it (switch S2: layer3 only at the default 10)."""
    return ODEResNet(classes, counts_from_blocks(list(RESNET101_LAYERS)), tied=False,
                     adjoint_above=adjoint_above if adjoint else None, bn_recompute=bn_recompute)


def unrolled_untied(tied: ODEResNet, blocks: list[int], adjoint_above: int) -> tuple[ODEResNet, ODEResNet]:
    """(tied model unrolled at the given per-stage block counts, its exact untied copy with the adjoint on long
    segments). The tied state dict does not depend on the counts, so the weights carry over unchanged."""
    counts = counts_from_blocks(blocks)
    unrolled = ODEResNet(tied.fc.out_features, counts, tied=True)
    unrolled.load_state_dict(tied.state_dict())
    return unrolled, untie(unrolled, adjoint_above=adjoint_above)


def freeze_all_but(model: ODEResNet, stage: int | None) -> None:
    """Train only stage `stage` (0-based; Table 2 CIFAR trains layer3 = stage 2), or everything when None."""
    if stage is None:
        return
    for i, s in enumerate(model.stages):
        for p in s.parameters():
            p.requires_grad_(i == stage)
    for p in [*model.stem.parameters(), *model.fc.parameters()]:
        p.requires_grad_(False)
