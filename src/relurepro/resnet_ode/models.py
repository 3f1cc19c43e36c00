"""Networks of resnet_ode (§2.6a/f, §2.7): the tiny convolutional ResNet/HeunNet whose residual segment is an
ODE discretisation (Euler or Heun, backprop or chained adjoint), and its piecewise-constant-in-depth init."""

from __future__ import annotations

import copy

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
