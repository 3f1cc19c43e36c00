"""Networks of resnet_ode, each a residual network whose residual segment is an ODE discretisation.

The tiny convolutional ResNet/HeunNet (§2.6a/f, §2.7): Euler or Heun, backprop or chained adjoint, and its
piecewise-constant-in-depth init.

The bottleneck ResNets with ODE-like residual stages (§2.6b/c, §2.8): each of the four stages is one ordinary
bottleneck (stride and projection) followed by a residual segment of pre-activation bottlenecks integrated with
step 1/count: **tied** (one shared function applied count times, the original's IResNetAuto) or **untied** (count
distinct functions, the original's ResNetMemoryCustom, optionally with the chained adjoint on segments longer than
a threshold). A ReLU follows every stage.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

from relurepro.resnet_ode.adjoint import integrate, integrate_adjoint


class TinyResidual(nn.Module):
    """Conv3x3 -> BN -> ReLU -> Conv3x3 -> BN, no inner skip (the skip is the ODE update). `zero_init` sets the
    last BN's gamma and beta to 0: the branch outputs exactly 0 at initialisation (the original's default)."""

    def __init__(self, channels: int = 16, zero_init: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        if zero_init:
            nn.init.zeros_(self.bn2.weight)
            nn.init.zeros_(self.bn2.bias)

    def forward(self, x):
        return self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))


class TinyODENet(nn.Module):
    """Stem -> N residual functions integrated from 0 to 1 -> pooled linear head.

    `stem="cifar"`: Conv5x5 stride 3 padding 1 (3 -> 16, no bias) + BN + ReLU, 32x32 -> 10x10, head avg-pool 4
    -> Linear(64, 10) (the original's iTinyResnet). `stem="digits"`: Conv3x3 (1 -> 16) + BN + ReLU on 8x8, global
    average pool -> Linear(16, 10) (the quick-scale net, §2.6f).

    `tied`: one residual function shared by all `depth` steps (the tiny analogue of the tied ResNets, §2.6b).
    `local`: the adjoint rebuilds each step's input from that step's exact output (the original tiny-net code,
    switch S1) instead of the chained reverse pass. `bn_recompute`: batch norm in the adjoint's recomputations
    (see relurepro.resnet_ode.adjoint).
    """

    def __init__(self, depth: int, method: str = "euler", adjoint: bool = False, stem: str = "cifar",
                 zero_init: bool = True, channels: int = 16, classes: int = 10, tied: bool = False,
                 local: bool = False, bn_recompute: str = "restore"):
        super().__init__()
        if stem not in ("cifar", "digits"):
            raise ValueError(f"unknown stem {stem!r}; choose cifar or digits")
        if depth < 1:
            raise ValueError(f"depth must be positive, got {depth}")
        self.method, self.adjoint, self.stem_kind = method, adjoint, stem
        self.depth, self.tied, self.local, self.bn_recompute = depth, tied, local, bn_recompute
        if stem == "cifar":
            self.conv = nn.Conv2d(3, channels, 5, stride=3, padding=1, bias=False)
            self.fc = nn.Linear(4 * channels, classes)
        else:
            self.conv = nn.Conv2d(1, channels, 3, padding=1)
            self.fc = nn.Linear(channels, classes)
        self.bn = nn.BatchNorm2d(channels)
        self.residuals = nn.ModuleList([TinyResidual(channels, zero_init) for _ in range(1 if tied else depth)])

    def steps(self) -> list[nn.Module]:
        """The residual function of every step (the shared one `depth` times when tied)."""
        return [self.residuals[0]] * self.depth if self.tied else list(self.residuals)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        if self.adjoint:
            x = integrate_adjoint(self.steps(), x, self.method, self.local, self.bn_recompute)
        else:
            x = integrate(self.steps(), x, self.method)
        x = F.avg_pool2d(x, 4) if self.stem_kind == "cifar" else x.mean(dim=(2, 3), keepdim=True)
        return self.fc(x.flatten(1))


def piecewise_constant_init(net: TinyODENet, base: TinyODENet) -> TinyODENet:
    """Copy `base`'s stem and head into `net`, and residual function i <- base function floor(i * B / D) (B, D the
    depths of base and net): blocks of identical copies for D >= B, a subsample for D < B (§2.7). A tied
    `base` (B = 1 function) fills every function of `net` with its shared one: that is untying."""
    if net.tied:
        raise ValueError("piecewise-constant init fills distinct functions; the target net is tied")
    depth, base_depth = len(net.residuals), len(base.residuals)
    net.conv.load_state_dict(base.conv.state_dict())
    net.bn.load_state_dict(base.bn.state_dict())
    net.fc.load_state_dict(base.fc.state_dict())
    for i in range(depth):
        net.residuals[i].load_state_dict(copy.deepcopy(base.residuals[i * base_depth // depth].state_dict()))
    return net


def untie_tiny(tied: TinyODENet, depth: int | None = None, adjoint: bool = True) -> TinyODENet:
    """The untied copy of a tied tiny net unrolled at `depth` steps (default: its own): every residual function a
    copy of the shared one, with its own batch norm; same outputs as the tied net at that depth (§2.8)."""
    depth = depth or tied.depth
    net = TinyODENet(depth, tied.method, adjoint, tied.stem_kind, zero_init=False,
                     channels=tied.conv.out_channels, classes=tied.fc.out_features, local=tied.local,
                     bn_recompute=tied.bn_recompute)
    return piecewise_constant_init(net, tied)


# ---------------------------------------------------------------- bottleneck ResNets (CIFAR-10, ImageNet)
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
