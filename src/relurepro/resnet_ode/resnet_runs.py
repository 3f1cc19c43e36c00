"""Paper-scale runs of the bottleneck ODE ResNets (§3.2-3.4, §3.7): tied pretraining on CIFAR-10 and ImageNet,
ResNet-101 with and without the adjoint on ImageNet (Figure 3b), and Table 2's untie-then-fine-tune.

CIFAR-10 runs train through `relurepro.training.train` (tensor-resident data, crop + flip); ImageNet runs through
`relurepro.imagenet.train_imagenet` (ImageFolder, multi-worker loader, lr x gamma every `lr_step` epochs)."""

from __future__ import annotations

from relurepro.resnet_ode.resnets import ODEResNet, untie
from relurepro.training import TrainConfig

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
