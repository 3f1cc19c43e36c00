"""Which network a Monte-Carlo volume cell samples, and its path-safe tag. Without torch until a network is built:
the workflow names its cells by these tags while planning, which must stay fast."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from torch import nn

NETS = ("vgg11", "resnet18", "mlp")
MLP_VARIANTS = ("relu_everywhere", "no_first_relu")
BN_ARITHS = ("native", "gpu_order")  # batch norm's order of operations: the device's kernel, or a GPU's anywhere


@dataclass(frozen=True)
class NetSpec:
    """Which network a cell samples: VGG11, ResNet18 (CIFAR variant) or a volume MLP, with or without BN."""

    net: str
    batch_norm: bool
    width_mult: float = 1.0
    maxpool_stem: bool = True  # ResNet18 only (relu_prime S12)
    mlp_variant: str = "no_first_relu"  # MLP only
    mlp_layers: int = 3
    mlp_neurons: int = 256
    bn_arith: str = "native"  # relurepro.relu_prime.gpu_batchnorm

    def __post_init__(self):
        if self.net not in NETS:
            raise ValueError(f"unknown net {self.net!r}; choose one of {NETS}")
        if self.mlp_variant not in MLP_VARIANTS:
            raise ValueError(f"unknown MLP variant {self.mlp_variant!r}; choose one of {MLP_VARIANTS}")
        if self.bn_arith not in BN_ARITHS:
            raise ValueError(f"unknown bn_arith {self.bn_arith!r}; choose one of {BN_ARITHS}")
        if not self.width_mult > 0 or self.mlp_layers < 1 or self.mlp_neurons < 1:
            raise ValueError(f"width_mult, mlp_layers and mlp_neurons must be positive: {self}")

    def build(self, activation: Callable[[], nn.Module], input_shape: tuple[int, ...]) -> nn.Module:
        """The network for inputs of shape (C, H, W), every activation built by `activation()`, batch norm in
        the order of `bn_arith`."""
        from relurepro.relu_prime.gpu_batchnorm import with_bn_arith
        from relurepro.models.mlp import mlp
        from relurepro.models.resnet import resnet18_cifar
        from relurepro.models.vgg import vgg11

        if self.net == "vgg11":
            net = vgg11(10, self.batch_norm, activation, self.width_mult, in_channels=input_shape[0])
        elif self.net == "resnet18":
            net = resnet18_cifar(10, self.batch_norm, activation, self.width_mult, self.maxpool_stem,
                                 in_channels=input_shape[0])
        else:
            net = mlp(math.prod(input_shape), [self.mlp_neurons] * self.mlp_layers, 10, activation,
                      batch_norm=self.batch_norm, first_activation=self.mlp_variant == "relu_everywhere")
        return with_bn_arith(net, self.bn_arith)

    def tag(self) -> str:
        """A short path-safe name, e.g. vgg11-w0.25, resnet18-w1-maxpool, mlp-no_first_relu-3x256."""
        if self.net == "mlp":
            return f"mlp-{self.mlp_variant}-{self.mlp_layers}x{self.mlp_neurons}"
        stem = ("-maxpool" if self.maxpool_stem else "-nomaxpool") if self.net == "resnet18" else ""
        return f"{self.net}-w{self.width_mult:g}{stem}"

    @classmethod
    def from_tag(cls, tag: str, batch_norm: bool, bn_arith: str = "native") -> NetSpec:
        """The inverse of `tag` (how a job reads its net from its output path)."""
        parts = tag.split("-")
        try:
            if parts[0] == "mlp" and len(parts) == 3:
                layers, neurons = parts[2].split("x")
                return cls("mlp", batch_norm, mlp_variant=parts[1], mlp_layers=int(layers), mlp_neurons=int(neurons),
                           bn_arith=bn_arith)
            if parts[0] in ("vgg11", "resnet18") and parts[1].startswith("w"):
                stem = {"vgg11": {(): True}, "resnet18": {("maxpool",): True, ("nomaxpool",): False}}
                return cls(parts[0], batch_norm, float(parts[1][1:]), maxpool_stem=stem[parts[0]][tuple(parts[2:])],
                           bn_arith=bn_arith)
        except (KeyError, ValueError, IndexError):
            pass
        raise ValueError(f"not a network tag: {tag!r}")
