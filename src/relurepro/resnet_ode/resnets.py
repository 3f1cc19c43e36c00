"""Bottleneck ResNets with ODE-like residual stages (§2.6b/c, §2.8).

Each of the four stages is one ordinary bottleneck (stride and projection) followed by a residual segment of
pre-activation bottlenecks integrated with step 1/count: **tied** (one shared function applied count times, the
original's IResNetAuto) or **untied** (count distinct functions, the original's ResNetMemoryCustom, optionally with
the chained adjoint on segments longer than a threshold). A ReLU follows every stage.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

from relurepro.resnet_ode.adjoint import integrate, integrate_adjoint

EXPANSION = 4
PLANES = (64, 128, 256, 512)
STRIDES = (1, 2, 2, 2)


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout)]


class Bottleneck(nn.Module):
    """torchvision v1.5 bottleneck: 1x1 -> 3x3 (stride) -> 1x1 (x4), projection shortcut, ReLU after the sum."""

    def __init__(self, inplanes: int, planes: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(inplanes, planes, 1), nn.ReLU(), *conv_bn(planes, planes, 3, stride),
                                  nn.ReLU(), *conv_bn(planes, planes * EXPANSION, 1))
        self.shortcut = (nn.Sequential(*conv_bn(inplanes, planes * EXPANSION, 1, stride))
                         if stride != 1 or inplanes != planes * EXPANSION else nn.Identity())

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


class MBottleneck(nn.Sequential):
    """The residual function: ReLU -> 1x1 -> BN -> ReLU -> 3x3 -> BN -> ReLU -> 1x1 -> BN, no biases."""

    def __init__(self, planes: int):
        super().__init__(nn.ReLU(), *conv_bn(planes * EXPANSION, planes, 1), nn.ReLU(), *conv_bn(planes, planes, 3),
                         nn.ReLU(), *conv_bn(planes, planes * EXPANSION, 1))


class Segment(nn.Module):
    """`count` residual steps x <- x + f_n(x)/count: tied (one function) or untied (count functions).

    `adjoint_above`: untied segments with more functions than this use the chained adjoint (the original's
    threshold is 10, switch S2); None = always backprop.
    """

    def __init__(self, planes: int, count: int, tied: bool, adjoint_above: int | None = None,
                 bn_recompute: str = "restore"):
        super().__init__()
        self.count, self.tied, self.adjoint_above, self.bn_recompute = count, tied, adjoint_above, bn_recompute
        self.functions = nn.ModuleList([MBottleneck(planes) for _ in range(1 if tied else count)])

    def uses_adjoint(self) -> bool:
        return not self.tied and self.adjoint_above is not None and self.count > self.adjoint_above

    def forward(self, x):
        functions = [self.functions[0]] * self.count if self.tied else list(self.functions)
        if self.uses_adjoint():
            return integrate_adjoint(functions, x, bn_recompute=self.bn_recompute)
        return integrate(functions, x)


class ODEResNet(nn.Module):
    """Stem -> 4 stages of (Bottleneck, Segment, ReLU) -> average pool -> FC.

    `counts[s]` residual steps in stage s (the original's per-stage count minus one). CIFAR (classes != 1000):
    3x3 stem, no max-pool; ImageNet: 7x7 stride-2 stem and max-pool. `zero_init_residual` as the original's flag
    (ImageNet trainer: off; CIFAR trainer: on).
    """

    def __init__(self, classes: int, counts: list[int], tied: bool, adjoint_above: int | None = None,
                 bn_recompute: str = "restore", zero_init_residual: bool = False):
        super().__init__()
        if len(counts) != 4 or min(counts) < 1:
            raise ValueError(f"need 4 positive residual counts, got {counts}")
        imagenet = classes == 1000
        self.stem = nn.Sequential(*conv_bn(3, 64, 7 if imagenet else 3, 2 if imagenet else 1), nn.ReLU(),
                                  *([nn.MaxPool2d(3, 2, 1)] if imagenet else []))
        stages, inplanes = [], 64
        for planes, stride, count in zip(PLANES, STRIDES, counts):
            stages.append(nn.Sequential(Bottleneck(inplanes, planes, stride),
                                        Segment(planes, count, tied, adjoint_above, bn_recompute),
                                        nn.ReLU()))
            inplanes = planes * EXPANSION
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(inplanes, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:  # every residual function's last BN gamma = 0: the segments start as identities
            for segment in self.segments():
                for f in segment.functions:
                    nn.init.zeros_(f[-1].weight)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def segments(self) -> list[Segment]:
        return [stage[1] for stage in self.stages]


def tied_resnet(classes: int, n_layers: int) -> ODEResNet:
    """The original's IResNetAuto(classes, n_layers): every stage runs n_layers - 1 tied steps."""
    if n_layers <= 2:
        raise ValueError("n_layers <= 2 switches to basic blocks in the original; not built here")
    return ODEResNet(classes, [n_layers - 1] * 4, tied=True)


def untie(tied: ODEResNet, adjoint_above: int | None = None, bn_recompute: str = "restore") -> ODEResNet:
    """The untied model with the same counts: stem, first bottlenecks and FC copied, each stage's shared function
    copied into every residual function (each with its own BN). Same outputs in eval mode (§2.8)."""
    counts = [seg.count for seg in tied.segments()]
    untied = ODEResNet(tied.fc.out_features, counts, tied=False, adjoint_above=adjoint_above,
                       bn_recompute=bn_recompute)
    untied.stem.load_state_dict(tied.stem.state_dict())
    untied.fc.load_state_dict(tied.fc.state_dict())
    for new, old in zip(untied.stages, tied.stages):
        new[0].load_state_dict(old[0].state_dict())
        for f in new[1].functions:
            f.load_state_dict(copy.deepcopy(old[1].functions[0].state_dict()))
    return untied
