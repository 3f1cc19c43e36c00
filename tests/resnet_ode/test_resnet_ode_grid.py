"""resnet_ode's plan-time grid against Snakemake's own `expand`, on every scale's config."""

import pytest
from snakemake.io import expand

from conftest import REPO
from relurepro.pipeline.config import load_scale
from relurepro.resnet_ode import grid


@pytest.mark.parametrize("scale", ["smoke", "quick", "paper"])
def test_tiny_runs_and_gradient_models_are_expand_in_its_order(scale):
    cfg = load_scale(REPO / "config" / "scales" / f"{scale}.yaml")["resnet_ode"]
    t, grads = cfg["tiny"], ["backprop", *(f"adjoint_{bn}" for bn in cfg["tiny"]["bn_recompute"])]
    assert grid.tiny_runs(cfg) == expand(f"{grid.TINY}/metrics.csv", depth=t["depths"], method=t["methods"],
                                         grad=grads, seed=t["seeds"])
    failure = grid.failure_runs(cfg)
    if grid.is_paper(cfg):
        assert [f.split("/")[-2] for f in failure] == ["resnet101_backprop", "resnet101_adjoint"]
    else:
        assert failure == expand(f"{grid.TINY}/metrics.csv", depth=t["failure_depth"], method="euler", grad=grads,
                                 seed=t["seeds"])
    g = cfg["gradient_errors"]
    expected = expand(f"{grid.TINY}/model.pt", depth=g["base_depth"], method=t["methods"], grad=grads[1],
                      seed=g["seed"]) if g["base"] == "checkpoint" else []
    assert grid.gradient_models(cfg) == expected
