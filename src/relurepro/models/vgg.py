"""VGG11 for 32x32 images, as in the relu_prime original code (kuangliu-style CIFAR VGG)."""

from __future__ import annotations

from torch import nn

from relurepro.models.mlp import ActivationFactory

# "M" = MaxPool 2x2 stride 2; numbers are output channels of 3x3 convolutions (padding 1).
VGG11 = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


def scaled(channels: int, width_mult: float) -> int:
    """Channels of a layer at a width multiplier (at least 1); width_mult=1 keeps the paper's widths."""
    return max(1, int(round(channels * width_mult)))


class VGG(nn.Module):
    """features (conv [+BN] + activation blocks, max pools, a no-op AvgPool2d(1,1)) then one Linear."""

    def __init__(self, features: nn.Sequential, out_channels: int, num_classes: int):
        super().__init__()
        self.features = features
        self.classifier = nn.Linear(out_channels, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def vgg11(num_classes: int = 10, batch_norm: bool = False, activation: ActivationFactory = nn.ReLU,
          width_mult: float = 1.0, in_channels: int = 3) -> VGG:
    """VGG11 for 32x32 inputs (five pools leave 1x1): convs with bias, optional BatchNorm2d, then `activation()`.

    Default PyTorch initialisation, as the original (no custom init).
    """
    layers: list[nn.Module] = []
    channels = in_channels
    for v in VGG11:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        out = scaled(v, width_mult)
        layers.append(nn.Conv2d(channels, out, kernel_size=3, padding=1, bias=True))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers.append(activation())
        channels = out
    layers.append(nn.AvgPool2d(kernel_size=1, stride=1))  # kept from the original: a no-op
    return VGG(nn.Sequential(*layers), channels, num_classes)
