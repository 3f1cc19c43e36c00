"""The constnet runs of a scale: ConstNet arms (init x symmetry breaker x dropout) and LeakyNet init strings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

# The figures and tables rule cn_figures draws from the collected runs (relurepro.constnet.figures.draw), in report
# order; the workflow reads them while planning.
COMPUTED_FIGURES = ("acc_curves", "acc_table", "symmetry_deviation", "weight_corr", "diversity", "leakynet_table",
                    "time_to_break", "architecture")

def resolve_arms(arms: dict, nondet: str) -> dict[str, dict]:
    """Each arm with 'nondet' replaced by the scale's mechanism: the GPU's own kernels ('gpu') at paper scale, an
    emulation ('ulp' or 'reorder', labelled) on CPU."""
    return {name: {**arm, "breaker": nondet if arm["breaker"] == "nondet" else arm["breaker"]}
            for name, arm in arms.items()}


def build_model(kind: str, arm: dict, net: dict, in_channels: int) -> nn.Module:
    """The ConstNet of an arm, or the LeakyNet of an init string."""
    # Imported here: the workflow imports this module to plan, which must stay fast (no torch).
    from relurepro.constnet.leakynet import LeakyNet
    from relurepro.constnet.models import ConstNet

    if kind == "constnet":
        return ConstNet(net["depth"], net["widen"], in_channels, droprate=arm.get("droprate", 0.0),
                        init=arm["init"], pool=net["pool"], double_forward=net["double_forward"])
    return LeakyNet(net["depth"], net["widen"], init=arm["init"], alpha=net["alpha"], in_channels=in_channels,
                    droprate=arm.get("droprate", 0.0), pool=net["pool"])


# What each symmetry breaker is, named by what runs (the README's run names say "cuda" even where a CPU emulation
# stands in for the GPU).
BREAKER_LABELS = {
    "det": "deterministic",
    "gpu": "non-deterministic (GPU kernels)",
    "ulp": "non-deterministic (emulated: ulp noise)",
    "reorder": "non-deterministic (emulated: reordered float32 sums)",
}
EMULATIONS = {
    "ulp": "ulp noise = every gradient element x (1 + 2^-24 xi), xi ~ N(0, 1), injected after backward",
    "reorder": "reordered float32 sums = the batch's chunk gradients added in an independent random order per "
               "element (batch norm per chunk)",
}


def arm_label(kind: str, name: str, init: str, breaker: str, droprate: float) -> str:
    """A legend entry saying what ran, with the run's name (the original's, for the README arms) in brackets."""
    if kind == "leakynet":
        return f"LeakyNet {name}, {BREAKER_LABELS[breaker]}"
    parts = ["He init" if init == "random" else "const init", BREAKER_LABELS[breaker]]
    if droprate > 0:
        parts.append(f"dropout {droprate:g}")
    return f"{', '.join(parts)} [{name}]"


def mechanism(kind: str, init: str, breaker: str, droprate: float) -> str:
    """What can move a run off the symmetric manifold: its init, dropout and non-determinism, or nothing."""
    parts = []
    if kind == "constnet" and init == "random":
        parts.append("random init (never symmetric)")
    if kind == "leakynet":
        chars = init.replace("_", "")
        if set(chars) - set("i1"):  # h, k and the noisy averages draw random weights
            parts.append("random init")
        if set(chars[1:]) & set("ik"):
            # identity-like weights plus a uniform update sum each channel's inputs in a different order of
            # magnitudes, so float32 rounding differs per channel even without noise
            parts.append("identity layers' rounding")
    if droprate > 0:
        parts.append(f"dropout {droprate:g}")
    if breaker != "det":
        parts.append({"gpu": "GPU kernels' non-determinism", "ulp": "ulp noise (emulated)",
                      "reorder": "reordered float32 sums (emulated)"}[breaker])
    return " + ".join(parts) or "nothing (deterministic)"
