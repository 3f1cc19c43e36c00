"""The constnet runs of a scale: ConstNet arms (init x symmetry breaker x dropout) and LeakyNet init strings."""

from __future__ import annotations

from torch import nn

from relurepro.constnet.model import ConstNet

# The original README's five ConstNet runs; 'nondet' is the scale's non-deterministic mechanism (paper: the GPU's
# own kernels; CPU scales: an emulation, labelled).
README_ARMS = {
    "constnet": {"init": "const", "breaker": "nondet", "droprate": 0.0},
    "constnet_he": {"init": "random", "breaker": "nondet", "droprate": 0.0},
    "constnet_deterministic": {"init": "const", "breaker": "det", "droprate": 0.0},
    "constnet_cuda_dropout": {"init": "const", "breaker": "nondet", "droprate": 0.01},
    "constnet_dropout": {"init": "const", "breaker": "det", "droprate": 0.01},
}


def resolve_arms(arms: dict, nondet: str) -> dict[str, dict]:
    """Each arm with 'nondet' replaced by the scale's mechanism ('gpu', 'ulp' or 'reorder')."""
    return {name: {**arm, "breaker": nondet if arm["breaker"] == "nondet" else arm["breaker"]}
            for name, arm in arms.items()}


def build_model(kind: str, arm: dict, net: dict, in_channels: int) -> nn.Module:
    if kind == "constnet":
        return ConstNet(net["depth"], net["widen"], in_channels, droprate=arm.get("droprate", 0.0),
                        init=arm["init"], pool=net["pool"], double_forward=net["double_forward"])
    from relurepro.constnet.leakynet import LeakyNet

    return LeakyNet(net["depth"], net["widen"], init=arm["init"], alpha=net["alpha"], in_channels=in_channels,
                    droprate=arm.get("droprate", 0.0), pool=net["pool"])
