"""tools/trim_runs and relurepro.relu_prime.trims: a trim is tried on the first rows of measured cells.

The expected separations come from the closed form of the 99 % Clopper-Pearson bounds at the extremes, not from
the code under test: with k = n hits the lower bound is 0.005^(1/n), with k = 0 the upper bound is 1 - 0.005^(1/n).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from relurepro.relu_prime import trims, vol_cdf, volume_mnist
from relurepro.relu_prime.volume import DEPTH_COLUMNS, RUN_COLUMNS

REPO = Path(__file__).resolve().parents[2]
REFERENCE = pd.read_csv(REPO / "config" / "reference" / "relu_prime.csv")
MAX_BATCHES = 4


def all_hit_lower(n: int) -> float:
    return 100 * 0.005 ** (1 / n)


def none_hit_upper(n: int) -> float:
    return 100 * (1 - 0.005 ** (1 / n))


def run_row(run: int, first: int, max_batches: int = MAX_BATCHES) -> list:
    """A run that enters S01 at batch `first` (-1: never); its first exact zero is the same batch."""
    return [run, run, first >= 0, first, first, max_batches if first < 0 else first + 1, 0.1]


def write_cell(path: Path, firsts: list[int], depths: list[int] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(RUN_COLUMNS if depths is None else DEPTH_COLUMNS)
        for depth in depths or [None]:
            for run, first in enumerate(firsts):
                writer.writerow(run_row(run, first) if depth is None else [depth, *run_row(run, first, 8)])


# ---------------------------------------------------------------------------------------------------- vol_*
def cdf_config() -> dict:
    figure = {"net": "vgg11", "bn": False, "width_mult": 0.25, "dataset": "mnist5k_rgb32", "split": "all",
              "samples": 512, "protocol": "cifar", "bits": [16, 32], "runs": {"16": 20, "32": 20}, "batch_size": 128,
              "max_batches": MAX_BATCHES, "deviations": []}
    figures = {fid: dict(figure) for fid in vol_cdf.FIGURES}
    figures["vol_svhn_vgg11_nobn"] = {**figure, "protocol": "svhn", "bits": [32, 64], "runs": {"32": 20, "64": 4}}
    for fid in ("vol_cifar_vgg11_bn", "vol_cifar_resnet18_bn", "vol_mnist_bn"):
        figures[fid] = {**figure, "bn": True}
    for i, fid in enumerate(vol_cdf.FIGURES):  # distinct sample counts: every cell has a path of its own
        figures[fid]["samples"] = 500 + i
    return {"detector": "exact", "resnet_maxpool_stem": True, "bn_arith": "gpu_order", "figures": figures,
            "deviations": []}


def cdf_results(root: Path, vol: dict) -> Path:
    """Every lower precision enters S01 at the first batch, every higher one never; but for VGG11's 32 bit:
    without BN the first 5 runs at the first batch, with BN the last 15 (so C3_bn_faster rests on runs 5..19)."""
    for cell in vol_cdf.cells(vol):
        n, low = cell["runs"], cell["bits"] == min(vol["figures"][cell["figure"]]["bits"])
        firsts = [0 if low else -1] * n
        if cell["figure"] == "vol_cifar_vgg11_nobn" and cell["bits"] == 32:
            firsts = [0 if r < 5 else -1 for r in range(n)]
        if cell["figure"] == "vol_cifar_vgg11_bn" and cell["bits"] == 32:
            firsts = [-1 if r < 5 else 0 for r in range(n)]
        write_cell(root / vol_cdf.CELL_CSV.format(**cell), firsts)
    return root


def cut_cdf(vol: dict, runs: dict[str, dict]) -> dict:
    return trims.with_counts(vol, {"figures": {fid: {"runs": r} for fid, r in runs.items()}})


def test_vol_cdf_trim_kept_when_the_bounds_stay_apart(tmp_path):
    vol = cdf_config()
    root = cdf_results(tmp_path, vol)
    trial = trims.vol_cdf_trial(root, vol, cut_cdf(vol, {"vol_cifar_resnet18_nobn": {"16": 10, "32": 20}}),
                                REFERENCE, "quick")
    assert all_hit_lower(10) > none_hit_upper(20)  # 58.9 % > 23.3 %: apart
    assert trial.cut_cells == 1 and trial.kept
    row = trial.separations.set_index("point").loc["figure=vol_cifar_resnet18_nobn batch_idx=0"]
    assert (row.p_low, row.p_low_cut, row.separated, row.separated_cut) == ("20/20", "10/10", True, True)


def test_vol_cdf_trim_that_loses_a_separation_is_not_kept(tmp_path):
    vol = cdf_config()
    root = cdf_results(tmp_path, vol)
    trial = trims.vol_cdf_trial(root, vol, cut_cdf(vol, {"vol_cifar_resnet18_nobn": {"16": 2, "32": 20}}),
                                REFERENCE, "quick")
    assert all_hit_lower(2) < none_hit_upper(20)  # 7.1 % < 23.3 %: no longer apart
    # the claim itself still reads a lead (2 of 2 against 0 of 20): only the statistic behind it moved
    assert trial.claims["same"].all() and not trial.kept
    lost = trial.separations[~trial.separations.kept]
    assert list(lost.point) == ["figure=vol_cifar_resnet18_nobn batch_idx=0"]


def test_vol_cdf_trim_that_changes_a_claim_is_not_kept(tmp_path):
    vol = cdf_config()
    root = cdf_results(tmp_path, vol)
    # the first 5 runs: without BN all 5 enter S01 at once, with BN none; the full run says the opposite (5 vs 15)
    trial = trims.vol_cdf_trial(root, vol, cut_cdf(vol, {"vol_cifar_vgg11_nobn": {"16": 20, "32": 5},
                                                         "vol_cifar_vgg11_bn": {"16": 20, "32": 5}}), REFERENCE, "quick")
    changed = trial.claims[~trial.claims["same"]].set_index("case")
    bn = changed.loc["vol_cifar_vgg11_bn, 32 bit"]
    assert (bn.id, bn.status, bn.status_cut) == ("rp.C3_bn_faster", "pass", "fail")
    assert not trial.kept and trial.cut_cells == 2


def test_a_trim_cannot_add_runs_or_read_another_run(tmp_path):
    vol = cdf_config()
    root = cdf_results(tmp_path, vol)
    with pytest.raises(ValueError, match="asks for 30 runs; 20 were measured"):
        trims.vol_cdf_trial(root, vol, cut_cdf(vol, {"vol_mnist_nobn": {"16": 30, "32": 20}}), REFERENCE, "quick")
    other = cut_cdf(vol, {"vol_mnist_nobn": {"16": 10, "32": 20}})
    with pytest.raises(FileNotFoundError, match="runs~10/runs.csv is missing"):
        trims.vol_cdf_trial(root, other, other, REFERENCE, "quick")


# ---------------------------------------------------------------------------------------------------- volume_mnist
def mnist_config() -> dict:
    return {"dataset": "mnist5k", "split": "all", "samples": 2000, "detector": "exact",
            "default": {"layers": 3, "neurons": 256, "batch": 256}, "layers": [1, 3], "neurons": [256],
            "batch": [256], "runs": {"16": 20, "32": 20, "64": 2}, "runs_override": [],
            "sample_size": {"variant": "no_first_relu", "sizes": [1000, 2000]}}


def mnist_results(root: Path, vol: dict) -> Path:
    """16 bit: every run enters S01 at the first batch; 32 and 64 bit: none."""
    for job in volume_mnist.cells(vol):
        depths = volume_mnist.job_depths(job["layers"])
        write_cell(root / volume_mnist.CELL_CSV.format(**volume_mnist.cell_fields(vol, job)),
                   [0 if job["bits"] == 16 else -1] * job["runs"], depths if len(depths) > 1 else None)
    return root


def test_volume_mnist_trim_splits_a_nested_job_and_reads_its_depths(tmp_path):
    vol = mnist_config()
    assert [j["layers"] for j in volume_mnist.cells(vol) if j["variant"] == "relu_everywhere"] == ["1-3"] * 3
    root = mnist_results(tmp_path, vol)
    # 16 bit at depth 3 only: the nested job splits; both 3-layer nets (relu_everywhere, no_first_relu) are cut
    for runs, kept in ((10, True), (2, False)):
        candidate = trims.with_counts(vol, {"runs_override": [{"layers": 3, "bits": 16, "runs": runs}]})
        trial = trims.volume_mnist_trial(root, vol, candidate, REFERENCE, "quick")
        assert trial.cut_cells == 2 and trial.kept is kept
        gaps = trial.separations.set_index(["point", "low_bits"])
        layer3, layer1 = gaps.loc[("panel=layers x=3.0", 16)], gaps.loc[("panel=layers x=1.0", 16)]
        assert (layer3.p_low_cut, layer3.separated_cut) == (f"{runs}/{runs}", all_hit_lower(runs) > none_hit_upper(20))
        assert (layer1.p_low_cut, layer1.separated_cut) == ("20/20", True)
        assert not gaps.loc[("panel=layers x=3.0", 32)].separated  # 0/20 against 0/2: never apart


def test_first_runs_keeps_every_depth(tmp_path):
    write_cell(tmp_path / "nested.csv", [0, -1, 0, -1, 0], depths=[1, 3])
    out = pd.read_csv(trims.first_runs(tmp_path / "nested.csv", 3, tmp_path / "cut.csv"))
    assert list(out.columns) == DEPTH_COLUMNS
    assert out.groupby("layers")["run"].apply(list).to_dict() == {1: [0, 1, 2], 3: [0, 1, 2]}


def test_with_counts_merges_mappings_and_replaces_the_rest():
    vol = mnist_config()
    out = trims.with_counts(vol, {"runs": {"16": 5}, "runs_override": [{"bits": 32, "runs": 4}]})
    assert out["runs"] == {"16": 5, "32": 20, "64": 2} and out["runs_override"] == [{"bits": 32, "runs": 4}]
    assert vol["runs"]["16"] == 20  # the scale itself is untouched
    with pytest.raises(KeyError, match="'run'"):
        trims.with_counts(vol, {"run": {"16": 5}})


# ---------------------------------------------------------------------------------------------------- the tool
def test_tool_exit_status_says_whether_the_trim_keeps(tmp_path):
    workdir = tmp_path / "run"
    (workdir / "config" / "scales").mkdir(parents=True)
    (workdir / "config" / "reference").mkdir()
    (workdir / "config" / "reference" / "relu_prime.csv").write_bytes(
        (REPO / "config" / "reference" / "relu_prime.csv").read_bytes())
    vol = cdf_config()
    (workdir / "config" / "scales" / "quick.yaml").write_text(yaml.safe_dump({"relu_prime": {"vol_cdf": vol}}))
    cdf_results(workdir, vol)
    for runs, code in ((10, 0), (2, 1)):
        candidate = tmp_path / f"trim{runs}.yaml"
        candidate.write_text(f"relu_prime:\n  vol_cdf: {{figures: {{vol_mnist_nobn: {{runs: {{16: {runs}}}}}}}}}\n")
        done = subprocess.run([sys.executable, str(REPO / "tools" / "trim_runs"), "--candidate", str(candidate),
                               "--workdir", str(workdir)], capture_output=True, text=True)
        assert done.returncode == code, done.stdout + done.stderr
        assert ("vol_cdf: kept" if code == 0 else "separations lost:") in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("relu_prime:\n  volume_stats: {runs: {16: 1}}\n")
    done = subprocess.run([sys.executable, str(REPO / "tools" / "trim_runs"), "--candidate", str(bad),
                           "--workdir", str(workdir)], capture_output=True, text=True)
    assert done.returncode != 0 and "not ['volume_stats']" in done.stderr
    for args, missing in ((["--candidate", str(tmp_path / "none.yaml")], "none.yaml: no such file (the candidate)"),
                          (["--candidate", str(bad), "--scale", "paper"], "paper.yaml: no such file (the paper scale")):
        done = subprocess.run([sys.executable, str(REPO / "tools" / "trim_runs"), *args, "--workdir", str(workdir)],
                              capture_output=True, text=True)
        assert done.returncode != 0 and missing in done.stderr, done.stderr
