"""resnet_ode's job grid, without torch (the workflow reads it while planning): the tiny digit nets of Figure 3c
(one job per depth, method, gradient and seed), the runs behind Figures 3a-3b and Table 2, and the checkpoints that
the gradient-error experiment starts from. Below paper scale Figures 3a-3b use the tiny runs as stand-ins.
`cfg` is the scale's resnet_ode section (config/scales/<scale>.yaml)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from relurepro.pipeline.packs import Pack, packs  # noqa: F401 (Pack: what tiny_packs returns)

TINY = "results/resnet_ode/tiny/depth~{depth}/method~{method}/grad~{grad}/seed~{seed}"


def _list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def tiny(name: str, depth, method, grad, seed) -> list[str]:
    """Files `name` of the tiny runs of every combination (each argument one value or a list), depth outermost."""
    return [f"{TINY}/{name}".format(depth=d, method=m, grad=g, seed=s)
            for d, m, g, s in itertools.product(*map(_list, (depth, method, grad, seed)))]


def is_paper(cfg: dict) -> bool:
    """The paper scale is the one that trains on ImageNet."""
    return cfg["imagenet"] is not None


def grads(cfg: dict) -> list[str]:
    """Backprop, then the adjoint once per batch-norm recompute mode (the first is the original's)."""
    return ["backprop", *(f"adjoint_{bn}" for bn in cfg["tiny"]["bn_recompute"])]


def tiny_runs(cfg: dict) -> list[str]:
    t = cfg["tiny"]
    return tiny("metrics.csv", t["depths"], t["methods"], grads(cfg), t["seeds"])


@dataclass(frozen=True, order=True)
class TinyRun:
    """One tiny run of Figure 3c's grid (a rule ro_tiny_train job, or one run of a pack)."""
    depth: int
    method: str
    grad: str  # backprop or adjoint_<batch-norm recompute mode>
    seed: int

    def path(self, name: str = "metrics.csv") -> str:
        return f"{TINY}/{name}".format(**vars(self))


def tiny_packs(cfg: dict) -> list[Pack]:
    """The tiny runs in packs of at most tiny.runs_per_job runs of one depth (runs of similar length); none when
    runs_per_job is 1 (a job per run, the paper's layout)."""
    t = cfg["tiny"]
    runs = [TinyRun(*combo) for combo in itertools.product(t["depths"], t["methods"], grads(cfg), t["seeds"])]
    return packs(runs, t["runs_per_job"], group=lambda r: r.depth, label=lambda depth: f"depth{depth}",
                 what="resnet_ode tiny.runs_per_job")


def failure_runs(cfg: dict) -> list[str]:
    """Figure 3b: the ResNet-101 ImageNet runs at paper scale; the tiny Euler runs at the failure depth otherwise."""
    if is_paper(cfg):
        return [f"results/resnet_ode/imagenet/{run}/metrics.csv" for run in ("resnet101_backprop", "resnet101_adjoint")]
    return tiny("metrics.csv", cfg["tiny"]["failure_depth"], "euler", grads(cfg), cfg["tiny"]["seeds"])


def tied_cifar(cfg: dict) -> str:
    """Figure 3a's tied-weight run: the CIFAR-10 ResNet at paper scale, the digits stand-in otherwise."""
    return f"results/resnet_ode/{'cifar_resnet/' if is_paper(cfg) else ''}tied/metrics.csv"


def finetunes(cfg: dict) -> list[str]:
    """Table 2's untie-then-fine-tune tables, one per dataset."""
    return [f"results/resnet_ode/finetune/{d}.csv" for d in (["cifar10", "imagenet"] if is_paper(cfg) else ["digits"])]


def gradient_models(cfg: dict) -> list[str]:
    """The trained tiny nets the gradient-error experiment starts from (none when it starts from initialisation)."""
    g = cfg["gradient_errors"]
    if g["base"] != "checkpoint":
        return []
    return tiny("model.pt", g["base_depth"], cfg["tiny"]["methods"], grads(cfg)[1], g["seed"])
