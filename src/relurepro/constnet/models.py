"""ConstNet (§2.1-2.6): a pre-activation Wide-ResNet with single-convolution residual blocks, and its
initialisations: constant (every channel of every layer carries the same feature; the paper's subject) and random
(He, the baseline).

Block: a = ReLU(BN(x)); out = Conv3x3(a) [-> dropout]; y = x + out, or Conv1x1_stride(a) + out when the width
changes. The projection reads a, after the ReLU: the original builds this ReLU in place, so by the time its 1x1
conv reads the BN output, that tensor already holds ReLU(BN(x)); running the original block gives exactly this
formula. Where a written description of the net says "before the ReLU", the code that produced the paper wins.
The original's unused Fixup scalars (3 per block, no gradient with batch norm) are left out: 17,115,354 parameters
for WRN-16-10 (17,115,390 with them).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

INITS = ("const", "random")


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, droprate: float):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if cin != cout or stride != 1 else None
        self.droprate = droprate

    def forward(self, x):
        a = F.relu(self.bn(x))
        out = self.conv(a)
        if self.droprate > 0:
            out = F.dropout(out, self.droprate, self.training)
        # The shortcut reads a (not BN(x)): the original's in-place ReLU overwrote the BN output first.
        return (x if self.shortcut is None else self.shortcut(a)) + out


class ConstNet(nn.Module):
    """depth = 3n + 4 (n single-conv blocks per group), widths 16, 16k, 32k, 64k, strides 1, 2, 2.

    `pool`: "avg8" (avg_pool2d kernel 8 on the 8x8 map of 32x32 inputs, the original) or "global" (mean over the
    map; the mini nets on 8x8 digits). `double_forward`: evaluate every block group twice and keep the second
    result (the camera-ready's quirk, §2.6: BN statistics updated twice, dropout drawn twice)."""

    def __init__(self, depth: int = 16, widen: int = 10, in_channels: int = 3, classes: int = 10,
                 droprate: float = 0.0, init: str = "const", pool: str = "avg8", double_forward: bool = False):
        super().__init__()
        if (depth - 4) % 3:
            raise ValueError(f"depth must be 3n + 4, got {depth}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
        if pool not in ("avg8", "global"):
            raise ValueError(f"unknown pool {pool!r}; choose avg8 or global")
        n = (depth - 4) // 3
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.groups = nn.ModuleList()
        for g, stride in enumerate((1, 2, 2)):
            blocks = [Block(widths[g] if i == 0 else widths[g + 1], widths[g + 1], stride if i == 0 else 1, droprate)
                      for i in range(n)]
            self.groups.append(nn.Sequential(*blocks))
        self.fc = nn.Linear(widths[-1], classes)
        self.pool, self.double_forward = pool, double_forward
        (self.init_const if init == "const" else self.init_random)()

    def forward(self, x):
        x = self.conv1(x)
        for group in self.groups:
            if self.double_forward:
                group(x)  # discarded, as the original's NetworkBlock does
            x = group(x)
        x = F.relu(x)
        x = F.avg_pool2d(x, 8) if self.pool == "avg8" else x.mean(dim=(2, 3), keepdim=True)
        return self.fc(x.flatten(1))

    def features(self, x):
        """The pooled features that feed the classifier (for the distinct-channel diagnostic)."""
        x = self.conv1(x)
        for group in self.groups:
            x = group(x)
        x = F.relu(x)
        return (F.avg_pool2d(x, 8) if self.pool == "avg8" else x.mean(dim=(2, 3), keepdim=True)).flatten(1)

    def blocks(self) -> list[Block]:
        return [b for g in self.groups for b in g]

    @torch.no_grad()
    def init_const(self) -> None:
        """Stem: every output channel the mean of the input channels (centre tap 1/C_in); residual convs 0;
        shortcuts 1/C_in; BN gamma 1, beta 0; classifier 0."""
        self.conv1.weight.zero_()
        self.conv1.weight[:, :, 1, 1] = 1.0 / self.conv1.in_channels
        for b in self.blocks():
            b.conv.weight.zero_()
            if b.shortcut is not None:
                b.shortcut.weight.fill_(1.0 / b.shortcut.in_channels)
        self._reset_bn_and_fc()

    @torch.no_grad()
    def init_random(self) -> None:
        """He-style (the original's --varnet): stem N(0, 1/(9 C_out)), residual convs N(0, 2/(9 C_out)), shortcuts
        N(0, 1/C_out); classifier still 0."""
        nn.init.normal_(self.conv1.weight, 0.0, math.sqrt(1.0 / (9 * self.conv1.out_channels)))
        for b in self.blocks():
            nn.init.normal_(b.conv.weight, 0.0, math.sqrt(2.0 / (9 * b.conv.out_channels)))
            if b.shortcut is not None:
                nn.init.normal_(b.shortcut.weight, 0.0, math.sqrt(1.0 / b.shortcut.out_channels))
        self._reset_bn_and_fc()

    def _reset_bn_and_fc(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)
