"""The vol_* CDF sampler (relurepro.relu_prime.volume_cnn) and its aggregation and figure (relurepro.relu_prime.vol_cdf)."""

import csv
from pathlib import Path

import pandas as pd
import pytest
import torch

from relurepro.relu_prime import vol_cdf
from relurepro.pipeline.config import load_scale
from relurepro.data import TensorData, load_embedded
from relurepro.relu_prime.volume import RUN_COLUMNS, Events, first_weight, read_runs
from relurepro.relu_prime.volume_cnn import CIFAR_MEAN, CIFAR_STD, BatchStream, CnnVolumeCell, NetSpec, run_once, sample_cell

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def rgb():
    return load_embedded("mnist5k_rgb32", "all").subset(1024)


@pytest.fixture(scope="module")
def digits():
    return load_embedded("mnist5k", "all").subset(1000)


def tiny(net, bn, **kw):
    return NetSpec(net, bn, 1 / 16, **kw)


# Cells at width/16 where the runs' outcomes differ (some enter S01, some do not, at different batches), so the
# agreement between the detectors is not vacuous. The 32-bit ResNet18 without batch norm meets exact zeros whose
# gradient difference never reaches the first conv (measured: 2 of 6 seeds here, 4 of 6 on another CPU).
@pytest.mark.parametrize("net,protocol,bits,seeds,mixed", [
    (tiny("vgg11", False), "cifar", 16, [0, 2, 3], True),
    (tiny("resnet18", False), "cifar", 16, [0, 1], False),
    (tiny("resnet18", False), "cifar", 32, range(6), False),
    (tiny("resnet18", True, bn_arith="gpu_order"), "cifar", 32, range(3), False),
    (NetSpec("mlp", True, mlp_variant="no_first_relu", mlp_layers=3, mlp_neurons=32), "mnist", 16, range(8), True),
    (tiny("vgg11", True, bn_arith="gpu_order"), "cifar", 16, [0, 3], True),
    (tiny("vgg11", True, bn_arith="gpu_order"), "svhn", 32, range(3), False),
])
def test_exact_detector_equals_the_gradient_pair(rgb, digits, net, protocol, bits, seeds, mixed):
    data = digits if net.net == "mlp" else rgb
    cell = CnnVolumeCell(net, protocol, bits, 100 if protocol == "mnist" else 128, 3 if bits == 16 else 4)
    stream = BatchStream(data, cell)
    # The cifar stream's batches are channels-last views; on an AVX2-only CPU, oneDNN's float32 convolution
    # backward on them corrupts the heap for this 4-channel ResNet18 (torch 2.14.1: "corrupted size vs. prev_size",
    # then an abort). The detectors' agreement does not depend on the kernel, so these two cells take PyTorch's own
    # convolution there. The scales' ResNet18 cells are 8 and 16 channels wide and run under oneDNN.
    onednn = not (net.net == "resnet18" and bits == 32)
    with torch.backends.mkldnn.flags(enabled=onednn and torch.backends.mkldnn.is_available()):
        exact = [run_once(cell, stream, s, "exact") for s in seeds]
        assert exact == [run_once(cell, stream, s, "pair") for s in seeds]
    firsts = {e.first_batch for e in exact}
    if bits == 16:
        assert (len(firsts) > 1 and -1 in firsts) if mixed else firsts == {0}


def test_batch_norm_in_gpu_order_meets_exact_zeros_the_cpu_kernel_never_outputs(digits):
    # 32 bit, the quick vol_mnist_bn net: an input equal to its batch mean is a ReLU input of exactly 0 when the
    # mean is subtracted first (a GPU's order); PyTorch's CPU kernel computes x * a + b and misses it.
    first = {}
    for arith in ("gpu_order", "native"):
        net = NetSpec("mlp", True, mlp_variant="relu_everywhere", mlp_layers=3, mlp_neurons=2048, bn_arith=arith)
        cell = CnnVolumeCell(net, "mnist", 32, 100, 3)
        first[arith] = run_once(cell, BatchStream(digits, cell), seed=4)
    assert first == {"gpu_order": Events(1, 1, 2), "native": Events(-1, -1, 3)}


def test_64_bit_never_bifurcates_and_walks_every_batch(rgb):
    cell = CnnVolumeCell(tiny("vgg11", False), "svhn", 64, 128, 3)
    stream = BatchStream(rgb, cell)
    assert run_once(cell, stream, seed=0) == Events(-1, -1, 3)
    x, _ = next(stream.walk(torch.Generator().manual_seed(0)))
    assert x.dtype == torch.float64


def test_cifar_batches_are_seeded_augmented_crops_of_every_sample_each_pass():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(20, 3, 32, 32, generator=g)
    data = TensorData(x, torch.arange(20), "random", "all")
    cell = CnnVolumeCell(tiny("vgg11", False), "cifar", 32, 8, 6)
    stream = BatchStream(data, cell)
    walk = list(stream.walk(torch.Generator().manual_seed(5)))
    # 20 samples in batches of 8: 8, 8, 4 per pass, a new shuffle each pass.
    assert [len(y) for _, y in walk] == [8, 8, 4, 8, 8, 4]
    first, second = torch.cat([y for _, y in walk[:3]]), torch.cat([y for _, y in walk[3:]])
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(20)) and not torch.equal(first, second)
    again = list(stream.walk(torch.Generator().manual_seed(5)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(walk, again))
    # Each image is a 32x32 window of the zero-padded sample (possibly flipped), then Normalize(CIFAR).
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    mean, std = torch.tensor(CIFAR_MEAN).view(3, 1, 1), torch.tensor(CIFAR_STD).view(3, 1, 1)
    shifted = 0
    for xb, yb in walk[:3]:
        for img, label in zip(xb, yb):
            raw = img * std + mean
            windows = [padded[label, :, dy:dy + 32, dx:dx + 32] for dy in range(9) for dx in range(9)]
            match = [i for i, w in enumerate(windows) if torch.allclose(raw, w, atol=1e-6)
                     or torch.allclose(raw, w.flip(-1), atol=1e-6)]
            assert match, f"sample {label} is no crop of its padded image"
            shifted += match[0] != 40
    assert shifted > 10  # crops really move


def test_svhn_and_mnist_protocols(digits):
    cell = CnnVolumeCell(tiny("vgg11", False), "svhn", 32, 100, 2)
    x, _ = next(BatchStream(digits, cell).walk(torch.Generator().manual_seed(0)))
    assert x.min() >= -1 and x.max() <= 1 and x.min() == -1  # Normalize(0.5, 0.5) of [0, 1] pixels
    mlp = NetSpec("mlp", False, mlp_layers=1, mlp_neurons=8)
    cell = CnnVolumeCell(mlp, "mnist", 32, 100, 10)
    batches = list(BatchStream(digits, cell).walk(torch.Generator().manual_seed(3)))
    assert torch.equal(torch.cat([y for _, y in batches]), digits.y)  # no shuffle, no transform
    assert torch.equal(batches[0][0], digits.x[:100])
    with pytest.raises(ValueError, match="one unshuffled pass"):
        BatchStream(digits, CnnVolumeCell(mlp, "mnist", 32, 100, 11))


def test_runs_are_seeded_and_initialised_in_float32(rgb):
    cell = CnnVolumeCell(tiny("resnet18", True), "cifar", 32, 128, 2)
    stream = BatchStream(rgb, cell)
    assert [run_once(cell, stream, s) for s in (3, 4)] == [run_once(cell, stream, s) for s in (3, 4)]
    torch.manual_seed(7)
    w32 = first_weight(cell.net.build(torch.nn.ReLU, (3, 32, 32)))
    torch.manual_seed(7)
    w16 = first_weight(cell.net.build(torch.nn.ReLU, (3, 32, 32)).half())
    assert torch.equal(w16, w32.half())


def test_first_weight_is_the_first_layer():
    vgg, res = tiny("vgg11", False).build(torch.nn.ReLU, (3, 32, 32)), tiny("resnet18", False).build(
        torch.nn.ReLU, (3, 32, 32))
    mlp = NetSpec("mlp", True, mlp_layers=2, mlp_neurons=8).build(torch.nn.ReLU, (1, 28, 28))
    assert first_weight(vgg) is vgg.features[0].weight and first_weight(res) is res.conv1.weight
    assert first_weight(mlp) is mlp[1].weight


@pytest.mark.parametrize("spec", [NetSpec("vgg11", True, 0.25), NetSpec("resnet18", False, 1.0),
                                  NetSpec("resnet18", True, 0.125, maxpool_stem=False),
                                  NetSpec("mlp", False, mlp_variant="relu_everywhere", mlp_layers=3,
                                          mlp_neurons=2048)])
def test_net_tags_round_trip(spec):
    assert NetSpec.from_tag(spec.tag(), spec.batch_norm) == spec


def test_bad_cells_and_tags_are_rejected():
    with pytest.raises(ValueError, match="not a network tag"):
        NetSpec.from_tag("vgg16-w1", False)
    with pytest.raises(ValueError, match="unknown net"):
        NetSpec("alexnet", False)
    with pytest.raises(ValueError, match="protocol"):
        CnnVolumeCell(NetSpec("vgg11", False), "imagenet", 32, 128, 1)
    with pytest.raises(ValueError, match="detector"):
        CnnVolumeCell(NetSpec("vgg11", False), "cifar", 32, 128, 1, "psychic")


def test_sample_cell_resumes_from_its_partial_file(digits, tmp_path):
    cell = CnnVolumeCell(NetSpec("mlp", True, mlp_layers=2, mlp_neurons=16), "mnist", 16, 100, 5)
    full = sample_cell(cell, digits, 5, tmp_path / "full.csv", progress=False)
    sample_cell(cell, digits, 2, tmp_path / "cut.csv", progress=False)
    (tmp_path / "cut.csv").rename(tmp_path / "resumed.csv.partial")
    resumed = sample_cell(cell, digits, 5, tmp_path / "resumed.csv", progress=False)
    key = [(r.run, r.seed, r.first_batch, r.first_zero, r.batches_seen) for r in full]
    assert [(r.run, r.seed, r.first_batch, r.first_zero, r.batches_seen) for r in resumed] == key
    assert [(r.run, r.seed, r.first_batch, r.first_zero, r.batches_seen)
            for r in read_runs(tmp_path / "resumed.csv")] == key


# --- aggregation and figure ---------------------------------------------------------------------------------

def write_runs(path, firsts, max_batches, zeros=None):
    """A run CSV; each run's first exact zero is its first gradient difference unless `zeros` says otherwise."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(RUN_COLUMNS)
        for i, first in enumerate(firsts):
            zero = first if zeros is None else zeros[i]
            writer.writerow([i, i, first >= 0, first, zero, max_batches if first < 0 else first + 1, 0.1])
    return path


def small_config():
    figure = {"net": "vgg11", "bn": False, "width_mult": 0.25, "dataset": "mnist5k_rgb32", "split": "all",
              "samples": 512, "protocol": "cifar", "bits": [16, 32], "runs": {"16": 2, "32": 4}, "batch_size": 128,
              "max_batches": 4, "deviations": []}
    figures = {fid: dict(figure) for fid in vol_cdf.FIGURES}
    figures["vol_svhn_vgg11_nobn"] = {**figure, "protocol": "svhn", "bits": [32, 64], "runs": {"32": 4, "64": 1}}
    figures["vol_mnist_bn"] = {**figure, "bn": True}
    return {"detector": "exact", "resnet_maxpool_stem": True, "bn_arith": "gpu_order",
            "figures": figures, "deviations": []}


def test_cdf_aggregation_and_figure(tmp_path):
    vol = small_config()
    cells = vol_cdf.cells(vol)
    assert len(cells) == 14 and {c["net"] for c in cells} == {"vgg11-w0.25"}
    # bn_arith names the cells with batch norm only, and a job reads the same net back from its path fields
    assert {c["bn"] for c in cells if c["figure"] == "vol_mnist_bn"} == {"gpu_order"}
    assert {c["bn"] for c in cells if c["figure"] != "vol_mnist_bn"} == {"0"}
    assert vol_cdf.net_of("vgg11-w0.25", "gpu_order") == vol_cdf.net_spec(vol["figures"]["vol_mnist_bn"], vol)
    assert vol_cdf.net_of("vgg11-w0.25", "0") == vol_cdf.net_spec(vol["figures"]["vol_cifar_vgg11_bn"], vol)
    firsts = {16: [0, 0], 32: [1, -1, 3, 1], 64: [-1]}
    # One 32-bit run meets its first zero a batch before its gradients differ, one meets a zero that never does.
    zeros = {16: None, 32: [0, 2, 3, 1], 64: None}
    csvs = [write_runs(tmp_path / f"{i}.csv", firsts[c["bits"]][: c["runs"]], 4, zeros[c["bits"]])
            for i, c in enumerate(cells)]
    table = vol_cdf.aggregate(cells, csvs)
    vol_cdf.validate_aggregate(table)
    one = table[(table.figure == "vol_cifar_vgg11_nobn") & (table.bits == 32)]
    assert list(one["cdf"]) == [0.0, 0.5, 0.5, 0.75] and list(one["samples"]) == [128, 256, 384, 512]
    assert list(one["zero_cdf"]) == [0.25, 0.5, 0.75, 1.0]
    broken = table.copy()
    broken.loc[one.index[1], "zero_cdf"] = 0.25  # fewer runs with a zero than in S01: impossible
    with pytest.raises(ValueError, match="vol_cdf.csv: does not match its schema \\(file lines 7\\): zero_cdf >= cdf"):
        vol_cdf.validate_aggregate(broken)
    assert list(table[(table.figure == "vol_cifar_vgg11_nobn") & (table.bits == 16)]["cdf"]) == [1.0] * 4
    assert (table[table.bits == 64]["cdf"] == 0).all()
    assert set(zip(table.bn, table.bn_arith)) == {(0, "none"), (1, "gpu_order")}
    checks = vol_cdf.figure_checks(table).set_index("figure")
    assert checks.loc["vol_cifar_vgg11_nobn", ["low_first", "high_first", "high_end", "min_gap"]].tolist() == [
        1.0, 0.0, 0.75, 0.25]
    assert checks.loc["vol_svhn_vgg11_nobn", ["low_bits", "high_bits", "high_end", "min_gap"]].tolist() == [
        32, 64, 0.0, 0.0]
    for quirks in (False, True):
        pdf, png = tmp_path / f"f{quirks}.pdf", tmp_path / f"f{quirks}.png"
        vol_cdf.plot(table, "vol_svhn_vgg11_nobn", "scale: test", pdf, png, paper_quirks=quirks)
        assert pdf.stat().st_size > 1000 and png.stat().st_size > 1000
    assert vol_cdf.title("vol_svhn_vgg11_nobn", False) == "SVHN-VGG11"  # S22 fixed
    assert vol_cdf.title("vol_svhn_vgg11_nobn", True) == "SVHN-VGG11-BatchNorm"


def test_aggregation_fails_naming_the_malformed_file(tmp_path):
    cells = vol_cdf.cells(small_config())[:1]
    assert cells[0]["runs"] == 2
    early = write_runs(tmp_path / "early.csv", [-1, -1], 4)
    early.write_text(early.read_text().replace("False,-1,-1,4", "False,-1,-1,2"))  # stopped before the window's end
    with pytest.raises(ValueError, match="early.csv: run 0 is inconsistent"):
        vol_cdf.aggregate(cells, [early])
    late = write_runs(tmp_path / "late.csv", [7, 0], 4)  # bifurcated beyond the window
    with pytest.raises(ValueError, match="late.csv"):
        vol_cdf.aggregate(cells, [late])
    # A duplicated run, a missing run, a flag that is not a boolean, a header-only file: refused, naming the file.
    good = write_runs(tmp_path / "good.csv", [1, -1], 4)
    lines = good.read_text().splitlines()
    for name, text, message in (("dup", lines + [lines[-1]], "lines 3, 4.*uniqueness"), ("short", lines[:2], "runs 0..1"),
                                ("flag", [lines[0], lines[1].replace("True", "yes"), lines[2]], "schema"),
                                ("empty", lines[:1], "no rows")):
        bad = tmp_path / f"{name}.csv"
        bad.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{name}.csv.*{message}"):
            vol_cdf.aggregate(cells, [bad])
    with pytest.raises(ValueError, match="x.csv: expected columns"):
        vol_cdf.validate_aggregate(pd.DataFrame({"figure": ["vol_mnist_bn"]}), "x.csv")
    vol = small_config()
    vol["figures"]["vol_mnist_bn"]["runs"] = {"16": 2}
    with pytest.raises(ValueError, match="vol_mnist_bn: no run count for 32 bit"):
        vol_cdf.cells(vol)


def test_scale_grids():
    paper = load_scale(REPO / "config/scales/paper.yaml")["relu_prime"]["vol_cdf"]
    assert paper["detector"] == "exact" and paper["resnet_maxpool_stem"] and paper["bn_arith"] == "native"
    by_id = {c["figure"]: c for c in vol_cdf.cells(paper) if c["bits"] == 32}
    assert {c["runs"] for c in vol_cdf.cells(paper) if c["bits"] != 64} == {1000}
    assert by_id["vol_cifar_vgg11_nobn"]["max_batches"] == 100 and by_id["vol_cifar_resnet18_bn"]["max_batches"] == 200
    assert by_id["vol_cifar_vgg11_bn"]["net"] == "vgg11-w1" and by_id["vol_cifar_vgg11_bn"]["dataset"] == "cifar10"
    assert (by_id["vol_svhn_vgg11_nobn"]["split"], by_id["vol_svhn_vgg11_nobn"]["max_batches"]) == ("extra", 4150)
    assert by_id["vol_mnist_bn"]["batch"] == 100 and by_id["vol_mnist_bn"]["max_batches"] == 600
    for scale in ("smoke", "quick"):
        cells = vol_cdf.cells(load_scale(REPO / f"config/scales/{scale}.yaml")["relu_prime"]["vol_cdf"])
        assert {c["figure"] for c in cells} == set(vol_cdf.FIGURES)
