"""LeakyNet (§2.7): a plain (no residual) 3x3-conv network with ConstNet's widths and strides, leaky ReLUs and
BN after odd layers only, initialised layer by layer from an init string such as `1_ii_ii_ii`.

Block i (global index, phase +1 for even i, -1 for odd i): out = LeakyReLU_a(Conv3x3(x + b)) [-> dropout]
[-> BN on odd i], b one learnable scalar shared by all channels. Odd identity/averaging layers carry the factor
-1/a, so an even +identity layer followed by an odd one composes to exactly -x through the two leaky ReLUs: the
pair is linear at init, which propagates the signal without residuals.

Parameter count: the original's block also owns a BN module on even layers (created but never applied) and a second,
unused scalar bias (Fixup leftover). They are kept, so WRN-16-10 has the measured 16,858,066 parameters; without them
it would have 16,853,574 (4,480 BN + 12 scalars fewer). They get no gradient and change nothing in the forward pass.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

NOISE = 0.01  # variance share of the noisy inits 'k' and noisy-average (the deterministic part is scaled by 0.99)


def parse_init(init: str, groups: int = 3, n: int | None = None) -> list[str]:
    """One init character per conv (index 0 = conv1, 1 + i = block i), underscores removed.

    Characters: 'h' random N(0, g/fan_in); 'i' identity; '1' averaging; 'k' noisy identity; anything else noisy
    average. The string must have 1 + groups*n characters (`n` blocks per group; any n >= 1 when not given)."""
    chars = init.replace("_", "")
    if n is not None:
        if len(chars) != 1 + groups * n:
            raise ValueError(f"init string {init!r} has {len(chars)} characters (underscores removed); expected "
                             f"1 + {groups}*{n} = {1 + groups * n}")
    elif len(chars) < 1 + groups or (len(chars) - 1) % groups:
        raise ValueError(f"init string {init!r} has {len(chars)} characters (underscores removed); expected "
                         f"1 + {groups}n with n >= 1")
    return list(chars)


@torch.no_grad()
def init_conv(weight: torch.Tensor, char: str, phase: int, alpha: float) -> None:
    """Initialise a conv weight [out, in, kh, kw] in place from one init character (§2.7 table).

    g = sqrt(2)(1 + alpha) is a *variance* factor. On odd layers (phase -1) the deterministic part is divided by
    alpha so that it undoes the leaky ReLU's negative slope of the previous (even) layer."""
    cout, cin, kh, kw = weight.shape
    fan_in = cin * kh * kw
    g = math.sqrt(2.0) * (1.0 + alpha)
    if char == "h":
        weight.normal_(0.0, math.sqrt(g / fan_in))
        return
    scale = phase / alpha if phase < 0 and alpha > 0 else float(phase)
    det = torch.zeros_like(weight)
    if char in "ik":  # identity: output channel d copies input channel d mod C_in
        det[torch.arange(cout), torch.arange(cout) % cin, kh // 2, kw // 2] = scale
    else:  # averaging: every output channel is the mean of the input channels
        det[:, :, kh // 2, kw // 2] = scale / cin
    if char in "i1":
        weight.copy_(det)
    else:
        weight.normal_(0.0, math.sqrt(NOISE * g / fan_in)).add_((1.0 - NOISE) * det)


class LeakyBlock(nn.Module):
    """out = LeakyReLU_alpha(Conv3x3(x + b)) [-> dropout] [-> BN if the global index is odd]."""

    def __init__(self, cin: int, cout: int, stride: int, index: int, alpha: float, droprate: float = 0.0):
        super().__init__()
        self.index, self.alpha, self.droprate = index, alpha, droprate
        self.phase = -1 if index % 2 else 1
        self.b = nn.Parameter(torch.zeros(1))
        self.unused_bias = nn.Parameter(torch.zeros(1))  # the original's second Fixup scalar: counted, never used
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)  # created on every block as in the original, applied on odd ones only
        self.use_bn = bool(index % 2)

    def pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        """The block without its BN (the identity-pair property holds for this part)."""
        out = F.leaky_relu(self.conv(x + self.b), self.alpha)
        return F.dropout(out, self.droprate, self.training) if self.droprate > 0 else out

    def forward(self, x):
        out = self.pre_bn(x)
        return self.bn(out) if self.use_bn else out


class LeakyNet(nn.Module):
    """depth = 3n + 4 (n single-conv blocks per group), widths 16, 16k, 32k, 64k, strides 1, 2, 2; head LeakyReLU,
    pool ("avg8": avg_pool2d kernel 8 as the original on 32x32 inputs; "global": mean over the map), Linear
    (zero, or N(0, fc_noise/144) when fc_noise > 0; 144 = 9 * 16 as in the original)."""

    def __init__(self, depth: int = 16, widen: int = 10, init: str = "h_hhhh_hhhh_hhhh", alpha: float = 0.01,
                 in_channels: int = 3, classes: int = 10, droprate: float = 0.0, pool: str = "avg8",
                 fc_noise: float = 0.0):
        super().__init__()
        if depth < 7 or (depth - 4) % 3:
            raise ValueError(f"depth must be 3n + 4 with n >= 1, got {depth}")
        if pool not in ("avg8", "global"):
            raise ValueError(f"unknown pool {pool!r}; choose avg8 or global")
        n = (depth - 4) // 3
        chars = parse_init(init, 3, n)
        self.init, self.alpha, self.pool = init, alpha, pool
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        blocks = []
        for g, stride in enumerate((1, 2, 2)):
            for j in range(n):
                blocks.append(LeakyBlock(widths[g] if j == 0 else widths[g + 1], widths[g + 1],
                                         stride if j == 0 else 1, len(blocks), alpha, droprate))
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(widths[-1], classes)

        init_conv(self.conv1.weight, chars[0], 1, alpha)
        for blk, ch in zip(self.blocks, chars[1:]):
            init_conv(blk.conv.weight, ch, blk.phase, alpha)
        with torch.no_grad():
            if fc_noise > 0:
                self.fc.weight.normal_(0.0, math.sqrt(fc_noise / 144))
            else:
                self.fc.weight.zero_()
            self.fc.bias.zero_()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled features (B, C) that feed the classifier."""
        x = F.leaky_relu(self.blocks(self.conv1(x)), self.alpha)
        x = F.avg_pool2d(x, 8) if self.pool == "avg8" else x.mean(dim=(2, 3), keepdim=True)
        return x.flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))
