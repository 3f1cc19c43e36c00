"""A leaf run gives the same bytes whether it has a job to itself or follows other runs in a pack (rule
leaf_train with leaf.runs_per_job > 1): each run sets everything it depends on. And the packs cover the grid."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fresh_process import run_fresh
from relurepro.leaf.grid import Pack, Run, packs, runs
from relurepro.pipeline.config import load_scale

REPO = Path(__file__).resolve().parents[2]
CONFIG = dict(datasets={"f-mnist": "digits28"}, train_samples=64, test_samples=32, epochs=2, batch=32, augment=True,
              train_shuffle=True, aaf_lr_scale=1.0)
FIRST = Run("lenet5", "f-mnist", "ReLU", "leaf", "adam", 1, 1, 42)
SECOND = Run("lenet5", "f-mnist", "SiLU", "ahaf", "rmsprop", 0, 0, 100)

TRAIN = """
import sys
from relurepro import numerics
from relurepro.leaf.grid import Run
from relurepro.leaf.job import train_run
numerics.setup(threads=1)
out = sys.argv[1]
for i, fields in enumerate({runs!r}):
    train_run(Run(*fields), {config!r}, "data", "cpu", f"{{out}}/stat{{i}}.csv", f"{{out}}/params{{i}}.csv",
              f"{{out}}/shapes{{i}}.csv", checkpoint=None)
"""


def _train(runs_in_order: list[Run], out: Path) -> None:
    code = TRAIN.format(runs=[tuple(vars(r).values()) for r in runs_in_order], config=CONFIG)
    run_fresh(code, out)


def test_a_run_after_another_in_one_process_gives_the_same_bytes(tmp_path):
    _train([FIRST, SECOND], tmp_path / "pack")
    _train([SECOND], tmp_path / "alone")
    for kind in ("params", "shapes"):
        packed, alone = (tmp_path / d / f"{kind}{i}.csv" for d, i in (("pack", 1), ("alone", 0)))
        assert packed.read_bytes() == alone.read_bytes(), kind
    packed, alone = (pd.read_csv(tmp_path / d / f"stat{i}.csv") for d, i in (("pack", 1), ("alone", 0)))
    assert len(packed) == 2 and packed["test_acc"].notna().all()
    # every column but the epoch's wall-clock duration, to the last printed digit
    pd.testing.assert_frame_equal(packed.drop(columns="duration"), alone.drop(columns="duration"),
                                  check_exact=True)
    # and the first run did train something else (the comparison is not between two copies of one run)
    first = pd.read_csv(tmp_path / "pack" / "stat0.csv")
    assert not first["train_loss_mean"].equals(packed["train_loss_mean"])


@pytest.mark.parametrize("scale", ["smoke", "quick", "paper"])
def test_packs_cover_the_grid_once_within_a_network_and_dataset(scale):
    c = load_scale(REPO / "config" / "scales" / f"{scale}.yaml")["leaf"]
    grid = runs(c)
    for per_job in (2, 5, 16, 1000):
        cut = packs(grid, per_job)
        packed = [r for p in cut for r in p.runs]
        assert sorted(packed) == sorted(grid) and len(packed) == len(set(packed))
        assert all(1 <= len(p.runs) <= per_job and len({(r.net, r.ds) for r in p.runs}) == 1 for p in cut)
        sizes = {}
        for p in cut:
            sizes.setdefault((p.runs[0].net, p.runs[0].ds), []).append(len(p.runs))
        assert all(max(s) - min(s) <= 1 for s in sizes.values())  # as even as can be
        assert len({p.name for p in cut}) == len(cut) and all(p.name.isidentifier() for p in cut)
    assert packs(grid, 1) == []


def test_runs_per_job_must_be_positive():
    with pytest.raises(ValueError, match="leaf runs_per_job must be an integer of at least 1"):
        packs([FIRST], 0)
    assert packs([FIRST, SECOND], 2) == [Pack("lenet5_fmnist_1of1", (FIRST, SECOND))]
