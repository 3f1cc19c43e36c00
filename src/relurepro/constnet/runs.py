"""The constnet runs of a scale: ConstNet arms (init x symmetry breaker x dropout) and LeakyNet init strings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


def resolve_arms(arms: dict, nondet: str) -> dict[str, dict]:
    """Each arm with 'nondet' replaced by the scale's mechanism: the GPU's own kernels ('gpu') at paper scale, an
    emulation ('ulp' or 'reorder', labelled) on CPU."""
    return {name: {**arm, "breaker": nondet if arm["breaker"] == "nondet" else arm["breaker"]}
            for name, arm in arms.items()}


def build_model(kind: str, arm: dict, net: dict, in_channels: int) -> nn.Module:
    """The ConstNet of an arm, or the LeakyNet of an init string."""
    # Imported here: the workflow imports this module to plan, which must stay fast (no torch).
    from relurepro.constnet.leakynet import LeakyNet
    from relurepro.constnet.model import ConstNet

    if kind == "constnet":
        return ConstNet(net["depth"], net["widen"], in_channels, droprate=arm.get("droprate", 0.0),
                        init=arm["init"], pool=net["pool"], double_forward=net["double_forward"])
    return LeakyNet(net["depth"], net["widen"], init=arm["init"], alpha=net["alpha"], in_channels=in_channels,
                    droprate=arm.get("droprate", 0.0), pool=net["pool"])
