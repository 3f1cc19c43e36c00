"""Networks of resnet_ode (spec 2.6a/f, 2.7): the tiny convolutional ResNet/HeunNet whose residual segment is an
ODE discretisation (Euler or Heun, backprop or chained adjoint), and its piecewise-constant-in-depth init."""

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
    average pool -> Linear(16, 10) (the quick-scale net, spec 2.6f).
    """

    def __init__(self, depth: int, method: str = "euler", adjoint: bool = False, stem: str = "cifar",
                 zero_init: bool = True, channels: int = 16, classes: int = 10):
        super().__init__()
        if stem not in ("cifar", "digits"):
            raise ValueError(f"unknown stem {stem!r}; choose cifar or digits")
        self.method, self.adjoint, self.stem_kind = method, adjoint, stem
        if stem == "cifar":
            self.conv = nn.Conv2d(3, channels, 5, stride=3, padding=1, bias=False)
            self.fc = nn.Linear(4 * channels, classes)
        else:
            self.conv = nn.Conv2d(1, channels, 3, padding=1)
            self.fc = nn.Linear(channels, classes)
        self.bn = nn.BatchNorm2d(channels)
        self.residuals = nn.ModuleList([TinyResidual(channels, zero_init) for _ in range(depth)])

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = (integrate_adjoint if self.adjoint else integrate)(self.residuals, x, self.method)
        x = F.avg_pool2d(x, 4) if self.stem_kind == "cifar" else x.mean(dim=(2, 3), keepdim=True)
        return self.fc(x.flatten(1))


def piecewise_constant_init(net: TinyODENet, base: TinyODENet) -> TinyODENet:
    """Copy `base`'s stem and head into `net`, and residual function i <- base function floor(i * B / D) (B, D the
    depths of base and net): blocks of identical copies for D >= B, a subsample for D < B (spec 2.7)."""
    depth, base_depth = len(net.residuals), len(base.residuals)
    net.conv.load_state_dict(base.conv.state_dict())
    net.bn.load_state_dict(base.bn.state_dict())
    net.fc.load_state_dict(base.fc.state_dict())
    for i in range(depth):
        net.residuals[i].load_state_dict(copy.deepcopy(base.residuals[i * base_depth // depth].state_dict()))
    return net
