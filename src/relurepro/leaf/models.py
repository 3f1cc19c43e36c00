"""LeNet-5 and KerasNet of the leaf paper (§2.7) with base, AHAF or LEAF activations.

AAF layers are per neuron, so each network computes its activation shapes from ``in_shape`` (C, H, W). Layer
names follow the original numbering (act1, act2, act3 for LeNet-5; act1, act2, act4, act5, act7 for KerasNet),
which the learned-shape figures use. Weights keep PyTorch's default initialisation.
"""

from __future__ import annotations

import torch
from torch import nn

from relurepro.leaf.activations import make_leaf_activation


class _AAFNet(nn.Module):
    """Common part: the names of the activation layers, in forward order."""

    ACT_NAMES: tuple[str, ...] = ()

    def activation_layers(self) -> list[tuple[str, nn.Module]]:
        """[(name, module)] of the activation layers in forward order."""
        return [(name, getattr(self, name)) for name in self.ACT_NAMES]


class LeNet5(_AAFNet):
    """Conv20(5x5, no bias) -> AF -> pool, Conv50(5x5, no bias) -> AF -> pool, FC500 -> AF, FC10 (no bias).

    The activation comes before pooling, so conv AAFs have the full pre-pooling shape.
    """

    ACT_NAMES = ("act1", "act2", "act3")

    def __init__(self, kind: str = "base", init_as: str = "ReLU", in_shape=(1, 28, 28)):
        super().__init__()
        c, h, w = in_shape
        self.conv1 = nn.Conv2d(c, 20, 5, bias=False)
        h, w = h - 4, w - 4
        self.act1 = make_leaf_activation(kind, init_as, (20, h, w))
        self.pool1 = nn.MaxPool2d(2)
        h, w = h // 2, w // 2
        self.conv2 = nn.Conv2d(20, 50, 5, bias=False)
        h, w = h - 4, w - 4
        self.act2 = make_leaf_activation(kind, init_as, (50, h, w))
        self.pool2 = nn.MaxPool2d(2)
        h, w = h // 2, w // 2
        self.fc3 = nn.Linear(50 * h * w, 500)
        self.act3 = make_leaf_activation(kind, init_as, (500,))
        self.fc4 = nn.Linear(500, 10, bias=False)

    def forward(self, x):
        x = self.pool1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        x = self.act3(self.fc3(torch.flatten(x, 1)))
        return self.fc4(x)


class KerasNet(_AAFNet):
    """The Keras cifar10_cnn example as in the original code: two blocks (conv 3x3 pad 1 -> AF, conv 3x3 pad 0 ->
    AF -> pool -> Dropout2d(0.25)) of 32 and 64 filters, then FC512 -> AF -> Dropout(0.2), FC10; all with bias.

    Follows the code, not its docstring: 0.2 FC dropout and channel-wise Dropout2d after the convolutions.
    """

    ACT_NAMES = ("act1", "act2", "act4", "act5", "act7")

    def __init__(self, kind: str = "base", init_as: str = "ReLU", in_shape=(3, 32, 32)):
        super().__init__()
        c, h, w = in_shape
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
        self.act1 = make_leaf_activation(kind, init_as, (32, h, w))
        self.conv2 = nn.Conv2d(32, 32, 3)
        h, w = h - 2, w - 2
        self.act2 = make_leaf_activation(kind, init_as, (32, h, w))
        self.pool3, self.drop3 = nn.MaxPool2d(2), nn.Dropout2d(0.25)
        h, w = h // 2, w // 2
        self.conv4 = nn.Conv2d(32, 64, 3, padding=1)
        self.act4 = make_leaf_activation(kind, init_as, (64, h, w))
        self.conv5 = nn.Conv2d(64, 64, 3)
        h, w = h - 2, w - 2
        self.act5 = make_leaf_activation(kind, init_as, (64, h, w))
        self.pool6, self.drop6 = nn.MaxPool2d(2), nn.Dropout2d(0.25)
        h, w = h // 2, w // 2
        self.fc7 = nn.Linear(64 * h * w, 512)
        self.act7 = make_leaf_activation(kind, init_as, (512,))
        self.drop7 = nn.Dropout(0.2)
        self.fc8 = nn.Linear(512, 10)

    def forward(self, x):
        x = self.act2(self.conv2(self.act1(self.conv1(x))))
        x = self.drop3(self.pool3(x))
        x = self.act5(self.conv5(self.act4(self.conv4(x))))
        x = self.drop6(self.pool6(x))
        x = self.drop7(self.act7(self.fc7(torch.flatten(x, 1))))
        return self.fc8(x)


NETWORKS = {"lenet5": LeNet5, "kerasnet": KerasNet}


def build_net(net: str, kind: str, init_as: str, in_shape) -> _AAFNet:
    """LeNet5 or KerasNet by name ("lenet5" | "kerasnet"), e.g. build_net("lenet5", "leaf", "Tanh", (3, 32, 32))."""
    if net not in NETWORKS:
        raise ValueError(f"unknown network {net!r}; choose one of {sorted(NETWORKS)}")
    return NETWORKS[net](kind, init_as, tuple(in_shape))
