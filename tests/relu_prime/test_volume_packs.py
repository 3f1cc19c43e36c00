"""A volume cell gives the same runs whether it has a job to itself or follows other cells in a pack (rules
rp_volume_mlp_cell__<pack> and rp_volume_cnn_cell__<pack>, cells_per_job > 1); the packs cover the grid; and a
pack stopped half-way keeps its finished cells."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fresh_process import run_fresh
from relurepro.pipeline.config import load_scale
from relurepro.pipeline.packs import cell_packs
from relurepro.relu_prime import vol_cdf, volume_mnist
from relurepro.relu_prime.volume import Events, partial_of, publish, read_runs, sample_cells, sample_runs

REPO = Path(__file__).resolve().parents[2]

# Cells run one after another through the job scripts' own loop (volume.sample_cells), each on 1,000 samples.
PACK = """
import sys
from relurepro import numerics
from relurepro.relu_prime.models import NetSpec
from relurepro.relu_prime.volume import VolumeCell, sample_cells, sample_volume
from relurepro.relu_prime.volume_cnn import CnnVolumeCell, sample_cell
numerics.setup(threads=1)
out = sys.argv[1]


def sample(cell, data, csv, publish_now):
    kind, *fields = cell["fields"]
    if kind == "mlp":
        sample_volume(VolumeCell(*fields), data, 4, csv, progress=False, publish_now=publish_now)
    else:
        net, bn, protocol, bits = fields
        spec = NetSpec(net, bn, 1 / 16, mlp_layers=2, mlp_neurons=32, bn_arith="gpu_order" if bn else "native")
        sample_cell(CnnVolumeCell(spec, protocol, bits, 100, 4), data, 3, csv, progress=False,
                    publish_now=publish_now)


cells = [{{"dataset": fields[-1], "split": "all", "samples": 1000, "fields": fields[:-1]}} for fields in {cells}]
sample_cells(cells, [f"{{out}}/cell{{i}}.csv" for i in range(len(cells))], "data", sample)
"""
# The second cell of each pair has runs in S01 at different batches and runs outside it (measured), so equal
# tables compare real outcomes; the first cell runs another net and precision before it.
MLP_NARROW = ("mlp", "relu_everywhere", 2, 64, 256, 16, "mnist5k")
MLP_MIXED = ("mlp", "relu_everywhere", 3, 256, 256, 16, "mnist5k")
CNN_MLP_BN = ("cnn", "mlp", True, "mnist", 32, "mnist5k")
CNN_MIXED = ("cnn", "vgg11", False, "cifar", 16, "mnist5k_rgb32")


def _runs(path: Path) -> pd.DataFrame:
    return pd.read_csv(path).drop(columns="seconds")  # every column but the run's wall-clock seconds


@pytest.mark.parametrize("first, second", [(MLP_NARROW, MLP_MIXED), (CNN_MLP_BN, CNN_MIXED)], ids=["mlp", "cnn"])
def test_a_cell_after_another_in_one_process_gives_the_same_runs(tmp_path, first, second):
    run_fresh(PACK.format(cells=[first, second]), tmp_path / "pack")
    run_fresh(PACK.format(cells=[second]), tmp_path / "alone")
    packed, alone = _runs(tmp_path / "pack" / "cell1.csv"), _runs(tmp_path / "alone" / "cell0.csv")
    pd.testing.assert_frame_equal(packed, alone, check_exact=True)
    assert packed.bifurcated.any() and not packed.bifurcated.all()
    assert not list((tmp_path / "pack").glob("*.partial"))


STATS_PACK = """
import sys
import pandas as pd
from relurepro import numerics
from relurepro.data import load_embedded
from relurepro.relu_prime.volume import VolumeCell, prepare_batches
from relurepro.relu_prime.volume_stats import BATCH_COLUMNS, batch_norms
numerics.setup(threads=1)
data = load_embedded("mnist5k", "all").subset(1000)
for i, (comparison, bits, runs) in enumerate({cells}):
    cell = VolumeCell("no_first_relu", 3, 256, 256, bits, "pair")
    xs, ys = prepare_batches(data, cell)
    rows = [row for seed in range(runs) for row in batch_norms(cell, xs, ys, seed, comparison)]
    pd.DataFrame(rows, columns=BATCH_COLUMNS).to_csv(f"{{sys.argv[1]}}/cell{{i}}.csv", index=False)
"""


def test_a_norm_diff_cell_after_another_gives_the_same_bytes(tmp_path):
    """As scripts/relu_prime/volume_stats_runs.py runs a pack: one dataset, the cells one after another."""
    second = ("1_vs_0", 16, 2)
    run_fresh(STATS_PACK.format(cells=[("0_vs_0", 32, 2), second]), tmp_path / "pack")
    run_fresh(STATS_PACK.format(cells=[second]), tmp_path / "alone")
    packed, alone = (tmp_path / "pack" / "cell1.csv").read_bytes(), (tmp_path / "alone" / "cell0.csv").read_bytes()
    assert packed == alone
    rows = pd.read_csv(tmp_path / "alone" / "cell0.csv")  # the bytes hold real gradient norms, another per seed
    assert (rows.net0_L2 > 0).all() and rows.groupby("run").net0_L2.first().nunique() == 2


@pytest.mark.parametrize("scale", ["smoke", "quick", "rehearsal", "paper"])
def test_packs_cover_every_cell_once_within_a_precision_or_dataset(scale):
    rp = load_scale(REPO / "config" / "scales" / f"{scale}.yaml")["relu_prime"]
    for cells, cut, same in ((volume_mnist.cells(rp["volume_mnist"]), volume_mnist.cell_packs, "bits"),
                             (vol_cdf.cells(rp["vol_cdf"]), vol_cdf.cell_packs, "dataset")):
        assert cut(cells, 1) == []
        for per_job in (2, 3, 1000):
            packs = cut(cells, per_job)
            packed = [i for p in packs for i in p.runs]
            assert sorted(packed) == list(range(len(cells)))
            assert all(len(p.runs) <= per_job and len({cells[i][same] for i in p.runs}) == 1 for p in packs)
    stats = [{"bits": bits} for bits in (16, 32, 64) for comparison in ("1_vs_0", "0_vs_0")]
    for per_job in (1, 4, 6):
        packs = cell_packs(stats, per_job, group=lambda c: "all", what="cells_per_job")
        assert sorted(i for p in packs for i in p.runs) == ([] if per_job == 1 else list(range(6)))
    with pytest.raises(ValueError, match="cells_per_job"):
        vol_cdf.cell_packs(vol_cdf.cells(rp["vol_cdf"]), 0)


def test_a_pack_stopped_half_way_keeps_its_finished_cells(tmp_path):
    """Snakemake deletes a failed job's outputs: a pack's finished cell stays a complete partial file until the
    pack ends, and the rerun takes its runs from there instead of sampling them again."""
    sampled = []

    def run_seed(seed):
        sampled.append(seed)
        return [Events(0, 0, 1) if seed % 2 else Events(-1, -1, 3)]

    csv = tmp_path / "cell.csv"
    first = sample_runs(run_seed, 4, csv, progress=False, publish_now=False)
    assert not csv.exists() and partial_of(csv).exists() and sampled == [0, 1, 2, 3]
    again = sample_runs(run_seed, 4, csv, progress=False)  # the rerun of the pack
    assert sampled == [0, 1, 2, 3] and again == first and read_runs(csv) == first
    assert not partial_of(csv).exists()
    with pytest.raises(FileNotFoundError):
        publish(csv)  # published once; nothing left to move


def test_a_pack_publishes_its_cells_only_at_its_end(tmp_path):
    """sample_cells, as the pack jobs run it: the second cell fails, and the first stays a complete partial file
    (Snakemake would delete a published CSV of the failed job); alone, a cell publishes at once."""
    def sample(cell, data, csv, publish_now):
        if cell["fail"]:
            raise RuntimeError("killed")
        sample_runs(lambda seed: [Events(-1, -1, 3)], 2, csv, progress=False, publish_now=publish_now)

    cells = [{"dataset": "mnist5k", "split": "all", "samples": 10, "fail": fail} for fail in (False, True)]
    outs = [str(tmp_path / f"cell{i}.csv") for i in range(2)]
    with pytest.raises(RuntimeError, match="killed"):
        sample_cells(cells, outs, "data", sample)
    assert not Path(outs[0]).exists() and partial_of(outs[0]).exists()
    sample_cells(cells[:1], outs[:1], "data", sample)
    assert Path(outs[0]).exists() and not partial_of(outs[0]).exists()
