"""ResNets as in the relu_prime original code (torchvision's structure, activation and norm pluggable).

- ``resnet18_cifar``: the original's CIFAR variant keeps the ImageNet max pool after a 3x3 stride-1 stem
  (32x32 -> 16x16 after the stem; relu_prime switch S12 ``maxpool_stem``).
- ``resnet50_imagenet``: Bottleneck [3, 4, 6, 3] with the 7x7 stride-2 stem; 1000 classes (the original kept the
  default 10, relu_prime switch S16 fixes it).
All convolutions are bias-free; convs get Kaiming-normal (fan_out, relu) init, norms weight 1 and bias 0; "no BN"
uses nn.Identity as the norm layer.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from relurepro.models.mlp import ActivationFactory
from relurepro.models.vgg import scaled

NormFactory = Callable[[int], nn.Module]


def _norm_factory(batch_norm: bool) -> NormFactory:
    return nn.BatchNorm2d if batch_norm else (lambda channels: nn.Identity())


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int, downsample: nn.Module | None, norm: NormFactory,
                 activation: ActivationFactory):
        super().__init__()
        self.conv1 = conv3x3(cin, planes, stride)
        self.bn1 = norm(planes)
        self.relu = activation()  # one instance used twice, as the original (stateless)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int, downsample: nn.Module | None, norm: NormFactory,
                 activation: ActivationFactory):
        super().__init__()
        self.conv1 = conv1x1(cin, planes)
        self.bn1 = norm(planes)
        self.conv2 = conv3x3(planes, planes, stride)  # stride on the 3x3 conv (torchvision's ResNet v1.5)
        self.bn2 = norm(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = norm(planes * self.expansion)
        self.relu = activation()
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class GlobalAvgPool(nn.Module):
    """Mean over the spatial dimensions: nn.AdaptiveAvgPool2d((1, 1)) without its CUDA backward, which
    torch.use_deterministic_algorithms(True) refuses (it is listed as nondeterministic)."""

    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=True)


class ResNet(nn.Module):
    def __init__(self, block, layers: list[int], num_classes: int, *, batch_norm: bool, activation: ActivationFactory,
                 width_mult: float, imagenet_stem: bool, maxpool_stem: bool, in_channels: int = 3):
        super().__init__()
        norm = _norm_factory(batch_norm)
        widths = [scaled(c, width_mult) for c in (64, 128, 256, 512)]
        self.cin = widths[0]
        if imagenet_stem:
            self.conv1 = nn.Conv2d(in_channels, self.cin, kernel_size=7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = conv3x3(in_channels, self.cin)
        self.bn1 = norm(self.cin)
        self.relu = activation()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if maxpool_stem else nn.Identity()
        self.layer1 = self._stage(block, widths[0], layers[0], 1, norm, activation)
        self.layer2 = self._stage(block, widths[1], layers[1], 2, norm, activation)
        self.layer3 = self._stage(block, widths[2], layers[2], 2, norm, activation)
        self.layer4 = self._stage(block, widths[3], layers[3], 2, norm, activation)
        self.avgpool = GlobalAvgPool()
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _stage(self, block, planes: int, blocks: int, stride: int, norm: NormFactory, activation) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.cin != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.cin, planes * block.expansion, stride),
                                       norm(planes * block.expansion))
        stage = [block(self.cin, planes, stride, downsample, norm, activation)]
        self.cin = planes * block.expansion
        stage += [block(self.cin, planes, 1, None, norm, activation) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def stem(self, x):
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18_cifar(num_classes: int = 10, batch_norm: bool = True, activation: ActivationFactory = nn.ReLU,
                   width_mult: float = 1.0, maxpool_stem: bool = True, in_channels: int = 3) -> ResNet:
    """ResNet18 for 32x32 images: 3x3 stride-1 stem, then (relu_prime S12, on as the original) the 3x3 max pool."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, batch_norm=batch_norm, activation=activation,
                  width_mult=width_mult, imagenet_stem=False, maxpool_stem=maxpool_stem, in_channels=in_channels)


def resnet50_imagenet(num_classes: int = 1000, activation: ActivationFactory = nn.ReLU, batch_norm: bool = True,
                      width_mult: float = 1.0) -> ResNet:
    """ResNet50 for ImageNet (7x7 stride-2 stem, max pool, Bottleneck [3, 4, 6, 3]), 1000 classes (relu_prime S16)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, batch_norm=batch_norm, activation=activation,
                  width_mult=width_mult, imagenet_stem=True, maxpool_stem=True)
