"""A tiny resnet_ode run gives the same bytes whether it has a job to itself or follows other runs in a pack (rule
ro_tiny_train with tiny.runs_per_job > 1): each run sets everything it depends on. And the packs cover the grid."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from fresh_process import run_fresh
from relurepro.pipeline.config import load_scale
from relurepro.resnet_ode import grid

REPO = Path(__file__).resolve().parents[2]
RECIPE = dict(dataset="digits", epochs=2, batch=64, lr=0.1, momentum=0.9, weight_decay=5.0e-4, milestones=[1],
              test_batch=397, channels=4, init="iid", zero_init=False, adjoint="chained")
# The first run differs from the second in every field, and is an adjoint run (its own code path).
FIRST = grid.TinyRun(4, "heun", "adjoint_update", 2)
SECOND = grid.TinyRun(2, "euler", "backprop", 1)

TRAIN = """
import sys
from relurepro import numerics
from relurepro.resnet_ode.grid import TinyRun
from relurepro.resnet_ode.job import train_tiny_run
from relurepro.resnet_ode.training import TinyRecipe, load
numerics.setup(threads=1)
out, recipe = sys.argv[1], TinyRecipe.from_config({recipe!r})
data = load(recipe.dataset)
for i, fields in enumerate({runs!r}):
    train_tiny_run(TinyRun(*fields), recipe, data, "cpu", f"{{out}}/metrics{{i}}.csv", f"{{out}}/model{{i}}.pt",
                   checkpoint=None)
"""


def _train(runs_in_order: list[grid.TinyRun], out: Path) -> None:
    code = TRAIN.format(runs=[tuple(vars(r).values()) for r in runs_in_order], recipe=RECIPE)
    run_fresh(code, out)


def test_a_run_after_another_in_one_process_gives_the_same_bytes(tmp_path):
    _train([FIRST, SECOND], tmp_path / "pack")
    _train([SECOND], tmp_path / "alone")
    packed, alone = (pd.read_csv(tmp_path / d / f"metrics{i}.csv") for d, i in (("pack", 1), ("alone", 0)))
    assert len(packed) == 2 and packed["test_accuracy"].notna().all()
    # every column but the epoch's wall-clock seconds, to the last printed digit
    pd.testing.assert_frame_equal(packed.drop(columns="seconds"), alone.drop(columns="seconds"), check_exact=True)
    packed_net, alone_net = (torch.load(tmp_path / d / f"model{i}.pt") for d, i in (("pack", 1), ("alone", 0)))
    assert packed_net.keys() == alone_net.keys()
    assert all(torch.equal(packed_net[k], alone_net[k]) for k in packed_net)
    # and the first run did train something else (the comparison is not between two copies of one run)
    first = pd.read_csv(tmp_path / "pack" / "metrics0.csv")
    assert not first["train_loss"].equals(packed["train_loss"])


@pytest.mark.parametrize("scale", ["smoke", "quick", "rehearsal", "paper"])
def test_packs_cover_the_grid_once_within_a_depth(scale):
    cfg = load_scale(REPO / "config" / "scales" / f"{scale}.yaml")["resnet_ode"]
    every_run = grid.tiny_runs(cfg)
    for per_job in (2, 5, 6, 1000):
        cfg["tiny"]["runs_per_job"] = per_job
        cut = grid.tiny_packs(cfg)
        packed = [r.path() for p in cut for r in p.runs]
        assert sorted(packed) == sorted(every_run) and len(packed) == len(set(packed))
        assert all(1 <= len(p.runs) <= per_job and len({r.depth for r in p.runs}) == 1 for p in cut)
        sizes = {}
        for p in cut:
            sizes.setdefault(p.runs[0].depth, []).append(len(p.runs))
        assert all(max(s) - min(s) <= 1 for s in sizes.values())  # as even as can be
        assert len({p.name for p in cut}) == len(cut) and all(p.name.isidentifier() for p in cut)
    cfg["tiny"]["runs_per_job"] = 1
    assert grid.tiny_packs(cfg) == []


def test_runs_per_job_must_be_a_positive_integer():
    cfg = load_scale(REPO / "config" / "scales" / "smoke.yaml")["resnet_ode"]
    for bad in (0, -2, 1.5, True):
        cfg["tiny"]["runs_per_job"] = bad
        with pytest.raises(ValueError, match="resnet_ode tiny.runs_per_job must be an integer of at least 1"):
            grid.tiny_packs(cfg)
