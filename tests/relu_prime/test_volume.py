import csv

import pandas as pd
import pytest
import torch

from relurepro.relu_prime import volume_mnist
from relurepro.data import load_embedded
from relurepro.relu_prime.volume import (DEPTH_COLUMNS, RUN_COLUMNS, Events, Pair, VolumeCell, build_net, prepare_batches,
                              read_runs, run_once, sample_volume, walk)


@pytest.fixture(scope="module")
def mnist():
    return load_embedded("mnist5k", "all").subset(2048)


@pytest.fixture(scope="module")
def mnist_all():
    return load_embedded("mnist5k", "all")


def events(data, variant, layers, neurons, bits, seeds, detector="exact", depths=None):
    """Events of every seed (a list per seed: one per depth), batch 256."""
    cell = VolumeCell(variant, layers, neurons, 256, bits, detector)
    xs, ys = prepare_batches(data, cell)
    return [run_once(cell, xs, ys, seed, depths) for seed in seeds]


def both_detectors(data, variant, layers, neurons, bits, seeds, depths=None):
    """Events of every seed under the exact detector and under the original two-network protocol."""
    return {d: events(data, variant, layers, neurons, bits, seeds, d, depths) for d in ("exact", "pair")}


# Every width of the neurons panel, every precision, both MLP variants: where a stacked or otherwise rearranged
# computation would round differently (small widths), and where zeros are frequent (16 bit, wide nets).
@pytest.mark.parametrize("neurons", [16, 64, 256, 1024])
@pytest.mark.parametrize("bits", [16, 32, 64])
@pytest.mark.parametrize("variant", ["relu_everywhere", "no_first_relu"])
def test_exact_detector_equals_the_gradient_pair(mnist, variant, bits, neurons):
    half_wide = bits == 16 and neurons >= 256  # CPU half GEMMs: seconds per batch for the pair
    seeds = range(2 if neurons >= 256 else 4)
    samples = (512 if neurons == 1024 else 768) if half_wide else 1280
    out = both_detectors(mnist.subset(samples), variant, 3, neurons, bits, seeds)
    assert out["exact"] == out["pair"]
    if half_wide and neurons == 1024:  # zeros are frequent here: the comparison has runs on both sides of the screen
        assert any(e.first_zero >= 0 for [e] in out["pair"])


def test_the_reported_regression_seeds(mnist_all):
    """Seeds where another CPU's stacked screen disagreed with the gradient pair (N=16 seed 177, N=64 seed 53,
    32 bit, L=3, batch 256): the exact detector must equal the pair on this machine, whatever the outcome."""
    for neurons, seed in ((16, 177), (64, 53)):
        out = both_detectors(mnist_all, "relu_everywhere", 3, neurons, 32, [seed])
        assert out["exact"] == out["pair"]


def test_a_zero_whose_gradient_difference_dies_is_not_in_s01(mnist):
    """Hidden unit 0 of layer 2 gets a zero weight row and bias, so its input is exactly 0 on every sample; its
    gradient difference (alpha=1 sets 1 there) flows back through that same zero row and dies before the first
    layer. A zero on every batch, the gradients never differ: both detectors must say so."""
    cell = VolumeCell("relu_everywhere", 2, 32, 256, 32)
    xs, ys = prepare_batches(mnist, cell)

    def pair():
        torch.manual_seed(0)
        net0 = build_net(cell, alpha=0.0)
        with torch.no_grad():
            net0[3].weight[0] = 0.0
            net0[3].bias[0] = 0.0
        net1 = build_net(cell, alpha=1.0)
        net1.load_state_dict(net0.state_dict())
        return Pair(net0, net1, 2)

    for detector in ("exact", "pair"):
        p = pair()
        assert walk({0: p}, zip(xs, ys), detector, screen=p.net0)[0] == Events(0, -1, len(xs))
    # Control: a zero in the first layer (its own weight gradient row takes the set value) does differ at once.
    p = pair()
    with torch.no_grad():
        for net in (p.net0, p.net1):
            net[1].weight[0] = 0.0
            net[1].bias[0] = 0.0
    for detector in ("exact", "pair"):
        assert walk({0: p}, zip(xs, ys), detector, screen=p.net0)[0] == Events(0, 0, 1)


def test_64_bit_never_bifurcates_and_walks_every_batch(mnist):
    cell = VolumeCell("relu_everywhere", 2, 256, 256, 64)
    xs, ys = prepare_batches(mnist, cell)
    assert xs[0].dtype == torch.float64
    assert run_once(cell, xs, ys, seed=0) == [Events(-1, -1, 8)]


def test_runs_are_seeded(mnist):
    cell = VolumeCell("relu_everywhere", 1, 64, 128, 16)
    xs, ys = prepare_batches(mnist, cell)
    assert [run_once(cell, xs, ys, s) for s in range(4)] == [run_once(cell, xs, ys, s) for s in range(4)]


def test_sample_volume_resumes_from_its_partial_file(mnist, tmp_path):
    cell = VolumeCell("relu_everywhere", 1, 64, 256, 16)
    full = sample_volume(cell, mnist, 6, tmp_path / "full.csv", progress=False)
    # A job killed after 3 runs leaves a partial file; the rerun only adds the missing runs.
    sample_volume(cell, mnist, 3, tmp_path / "cut.csv", progress=False)
    (tmp_path / "cut.csv").rename(tmp_path / "resumed.csv.partial")
    resumed = sample_volume(cell, mnist, 6, tmp_path / "resumed.csv", progress=False)
    key = [(r.run, r.seed, r.first_batch, r.first_zero, r.batches_seen) for r in full]
    assert [(r.run, r.seed, r.first_batch, r.first_zero, r.batches_seen) for r in resumed] == key
    assert [(r.run, r.seed, r.first_batch, r.first_zero, r.batches_seen)
            for r in read_runs(tmp_path / "resumed.csv")] == key
    assert not (tmp_path / "resumed.csv.partial").exists()


def test_malformed_run_csv_names_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    header = ",".join(RUN_COLUMNS) + "\n"
    bad.write_text(header + "0,0,True,x,0,1,0.1\n")
    with pytest.raises(ValueError, match="bad.csv: does not match its schema \\(file lines 2\\)"):
        read_runs(bad)
    # Events that contradict each other: a gradient difference before any zero, a run walked past its
    # difference, a flag that is neither True nor False.
    for row in ("0,0,True,3,5,4,0.1", "0,0,True,3,1,9,0.1", "0,0,yes,3,1,4,0.1", "0,0,False,3,-1,4,0.1"):
        bad.write_text(header + row + "\n")
        with pytest.raises(ValueError, match="bad.csv: does not match its schema \\(file lines 2\\)"):
            read_runs(bad)
    bad.write_text("run,seed\n0,0\n")
    with pytest.raises(ValueError, match="bad.csv: expected columns"):
        read_runs(bad)


def test_bad_cells_are_rejected():
    with pytest.raises(ValueError, match="variant"):
        VolumeCell("relu_somewhere", 1, 1, 1, 32)
    with pytest.raises(ValueError, match="detector"):
        VolumeCell("relu_everywhere", 1, 1, 1, 32, "psychic")


VOL = {
    "dataset": "mnist5k", "split": "all", "samples": 1024, "detector": "exact",
    "default": {"layers": 2, "neurons": 8, "batch": 256},
    "layers": [1, 2], "neurons": [8], "batch": [256],
    "runs": {"16": 4, "32": 4, "64": 2}, "runs_override": [{"layers": 1, "bits": 32, "runs": 2}],
    "sample_size": {"variant": "no_first_relu", "sizes": [512, 1024]},
    "deviations": [],
}


def write_runs(path, firsts, depths=None):
    """A run CSV; with `depths`, the nested format (the same first batches at every depth)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(RUN_COLUMNS if depths is None else DEPTH_COLUMNS)
        for depth in depths or [None]:
            for i, first in enumerate(firsts):
                row = [i, i, first >= 0, first, first, 4 if first < 0 else first + 1, 0.0]
                writer.writerow(row if depth is None else [depth, *row])
    return path


def test_grid_and_aggregation_semantics(tmp_path):
    jobs = volume_mnist.cells(VOL)
    shapes = {(c["variant"], c["layers"], c["neurons"], c["batch"], c["bits"]) for c in jobs}
    # Depths 1 and 2 nest into one job, except at 32 bit where the override gives depth 1 fewer runs.
    assert shapes == {("relu_everywhere", "1-2", 8, 256, 16), ("relu_everywhere", "1-2", 8, 256, 64),
                      ("relu_everywhere", "1", 8, 256, 32), ("relu_everywhere", "2", 8, 256, 32),
                      *(("no_first_relu", "2", 8, 256, bits) for bits in (16, 32, 64))}
    assert {c["runs"] for c in jobs if c["layers"] == "1" and c["bits"] == 32} == {2}
    firsts = {16: [0, 0, 1, 3], 32: [1, -1, -1, -1], 64: [-1, -1]}
    paths = []
    for c in jobs:
        depths = volume_mnist.job_depths(c["layers"])
        paths.append(write_runs(tmp_path / f"{len(paths)}.csv", firsts[c["bits"]][: c["runs"]],
                                depths if len(depths) > 1 else None))
    csvs = volume_mnist.csvs_by_cell(jobs, paths)
    assert csvs[("relu_everywhere", 1, 8, 256, 16)] == csvs[("relu_everywhere", 2, 8, 256, 16)]
    table = volume_mnist.aggregate(VOL, csvs, paper_quirks=True)
    volume_mnist.validate_aggregate(table)
    assert list(table["panel"].unique()) == list(volume_mnist.PANELS)
    ss = table[table.panel == "sample_size"].set_index(["x", "bits"])
    # 512 samples = 2 batches of 256: runs bifurcated on batch 0 or 1 count, batch 3 does not.
    assert ss.loc[(0.512, 16), "bifurcated"] == 3 and ss.loc[(1.024, 16), "bifurcated"] == 4
    assert ss.loc[(0.512, 32), "percent"] == 25.0
    layers = table[table.panel == "layers"].set_index(["x", "bits"])
    assert layers.loc[(1, 32), "runs"] == 2 and layers.loc[(1, 32), "percent"] == 50.0
    assert layers.loc[(1, 16), "runs"] == 4 and layers.loc[(2, 16), "bifurcated"] == 4
    # Panel normalisation (relu_prime S8): divided by the panel's maximum; measured 64-bit zeros drawn at 0.5 (S6).
    assert layers.loc[(2, 16), "percent_panel"] == 100.0 and layers.loc[(2, 32), "percent_panel"] == 25.0
    assert (table[table.bits == 64]["percent"] == 0).all() and (table[table.bits == 64]["display"] == 0.5).all()
    plain = volume_mnist.aggregate(VOL, csvs)
    assert (plain["display"] == plain["percent"]).all()
    assert plain.drop(columns="display").equals(table.drop(columns="display"))
    panels = volume_mnist.panel_tables(plain)
    by_layers = panels["volume_estimation_by_number_of_layers_MNIST.csv"]
    assert list(by_layers.columns) == ["precision", "count", "nb_layers", "runs", "measured"]
    assert by_layers.set_index(["precision", "nb_layers"]).loc[(32, 1), "count"] == 1
    by_batch = panels["volume_estimation_by_batch_size_MNIST.csv"]
    assert list(by_batch.columns)[:4] == ["Unnamed: 0", "precision", "count", "batch_size"]
    sizes = panels["volume_estimation_by_sample_size_summary_MNIST.csv"]
    assert sorted(set(sizes["sample_size"])) == [512, 1024] and set(sizes["precision"]) == {16, 32, 64}


def test_a_nested_csv_must_be_read_at_one_depth(tmp_path):
    path = write_runs(tmp_path / "nested.csv", [0, -1], depths=[1, 3])
    with pytest.raises(ValueError, match="say which layers"):
        read_runs(path)
    with pytest.raises(ValueError, match="no runs of depth 2"):
        read_runs(path, layers=2)
    assert [r.first_batch for r in read_runs(path, layers=3)] == [0, -1]
    assert [d for d, _ in read_runs(path, layers="all")] == [1, 1, 3, 3]


@pytest.mark.parametrize("bits,variant", [(16, "relu_everywhere"), (32, "relu_everywhere"), (16, "no_first_relu")])
def test_nested_depths_equal_each_depth_alone(mnist_all, bits, variant):
    """One run screened by the deepest net gives, for every depth, what the net of that depth alone gives, under
    both detectors (same seeds)."""
    depths, seeds = [1, 2, 4], range(8)
    data = mnist_all.subset(2560)
    pair = both_detectors(data, variant, 4, 128, bits, seeds[:3], depths)
    assert pair["exact"] == pair["pair"]
    nested = events(data, variant, 4, 128, bits, seeds, depths=depths)
    for k, depth in enumerate(depths):  # each depth alone, exact (equal to the pair: the tests above)
        assert [per_depth[k] for per_depth in nested] == [e for [e] in events(data, variant, depth, 128, bits, seeds)]
    if bits == 16:  # not vacuous: some depths bifurcate later than others or not at all
        assert len({tuple(e.first_batch for e in per_depth) for per_depth in nested}) > 1


def test_nested_sampling_resumes(mnist, tmp_path):
    cell = VolumeCell("relu_everywhere", 3, 64, 256, 16)
    full = sample_volume(cell, mnist, 6, tmp_path / "full.csv", progress=False, depths=[1, 3])
    sample_volume(cell, mnist, 3, tmp_path / "cut.csv", progress=False, depths=[1, 3])
    # A kill mid-write leaves a run with one of its two depths: that run is redone, not skipped.
    lines = (tmp_path / "cut.csv").read_text().splitlines()
    (tmp_path / "resumed.csv.partial").write_text("\n".join(lines[:-1]) + "\n")
    resumed = sample_volume(cell, mnist, 6, tmp_path / "resumed.csv", progress=False, depths=[1, 3])
    key = sorted((d, r.run, r.first_batch, r.first_zero) for d, r in full)
    assert sorted((d, r.run, r.first_batch, r.first_zero) for d, r in resumed) == key
    assert sorted((d, r.run, r.first_batch, r.first_zero) for d, r in read_runs(tmp_path / "resumed.csv", "all")) == key
    with pytest.raises(ValueError, match="include 3"):
        sample_volume(cell, mnist, 1, tmp_path / "x.csv", progress=False, depths=[1, 2])


def test_aggregation_fails_on_a_missing_cell():
    with pytest.raises(KeyError, match="no run CSV"):
        volume_mnist.aggregate(VOL, {})


def test_validate_aggregate_rejects_bad_tables():
    with pytest.raises(ValueError, match="expected columns"):
        volume_mnist.validate_aggregate(pd.DataFrame({"panel": ["layers"]}), "x.csv")
