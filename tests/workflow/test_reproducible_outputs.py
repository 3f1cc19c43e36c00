"""Outputs are reproducible files: two builds of a figure from the same inputs are byte-identical (matplotlib
via a Snakemake script, R via the figure's R script, a papermill notebook with its executed copy and HTML, and
the manifest over them). The builds are seconds apart, so any build time written into a file shows."""

import copy
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import CLEAN_ENV, REPO, copy_workflow
from relurepro import manifest
from relurepro.reproducible import strip_notebook_times

pytestmark = pytest.mark.workflow

MATPLOTLIB = ["figures/resnet_ode/tied_imagenet.pdf", "figures/resnet_ode/tied_imagenet.png"]  # rule not_computed
PAPERMILL = ["figures/relu_prime/best_lr.pdf", "figures/relu_prime/best_lr.png", "results/relu_prime/best_lr.csv",
             "results/relu_prime/notebooks/best_lr.ipynb", "results/relu_prime/notebooks/best_lr.html"]
FIGURES = {"tied_imagenet": ["none"], "best_lr": ["none"]}  # manifest rows over both builds' figures


def run_snakemake(workdir: Path, *args: str) -> None:
    # Without a SOURCE_DATE_EPOCH of the caller's: the workflow itself must make the files reproducible.
    env = {k: v for k, v in CLEAN_ENV.items() if k != "SOURCE_DATE_EPOCH"} | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        logs = "\n".join(f"== {p}\n{p.read_text()[-3000:]}" for p in sorted((workdir / "logs").rglob("*.log")))
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{proc.stderr[-6000:]}\n{logs}")


def keep(workdir: Path, paths: list[str], dest: Path) -> Path:
    for p in paths:
        (dest / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workdir / p, dest / p)
    return dest


def assert_identical(first: Path, second: Path, paths: list[str]) -> None:
    differ = [p for p in paths if (first / p).read_bytes() != (second / p).read_bytes()]
    assert not differ, f"not byte-identical across two builds: {differ}"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The matplotlib figure and the papermill figure built, then rebuilt (--forcerun) in the same workflow
    copy, at least a second later; the first build's files kept aside."""
    root = copy_workflow(tmp_path_factory.mktemp("rebuild"))
    targets = [MATPLOTLIB[0], PAPERMILL[0], "--config", "scale=smoke"]
    run_snakemake(root, *targets)
    first = keep(root, MATPLOTLIB + PAPERMILL, tmp_path_factory.mktemp("first"))
    time.sleep(1.1)
    run_snakemake(root, *targets, "--forcerun", "not_computed", "rp_best_lr_figure")
    return first, root


def test_a_rebuilt_matplotlib_figure_is_byte_identical(two_builds):
    assert_identical(*two_builds, MATPLOTLIB)


def test_a_rebuilt_papermill_figure_its_notebook_and_html_are_byte_identical(two_builds):
    assert_identical(*two_builds, PAPERMILL)


def test_a_rebuilt_manifest_is_identical(two_builds, monkeypatch):
    texts = []
    for build in two_builds:
        monkeypatch.chdir(build)  # the manifest lists workflow-relative paths, as in the pipeline
        rows = manifest.paper_rows("mixed", FIGURES, [MATPLOTLIB[0], PAPERMILL[0]], "smoke")
        manifest.write(rows, build / "all")
        texts.append((build / "all").read_text())
    assert texts[0] == texts[1]


VOLUME_CSV = """panel,x,bits,display,percent,zero_percent
sample_size,1.0,16,100.0,100.0,100.0
sample_size,1.0,32,40.0,40.0,45.0
sample_size,1.0,64,0.5,0.5,1.0
neurons,64,16,90.0,90.0,95.0
neurons,64,32,30.0,30.0,35.0
neurons,64,64,0.0,0.0,0.0
layers,3,32,20.0,20.0,25.0
batch,64,32,10.0,10.0,12.0
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R (Rscript) with ggplot2")
def test_a_rebuilt_r_figure_is_byte_identical(tmp_path):
    """The volume_mnist R script (as rule rp_volume_mnist_figure runs it) in two folders, a second apart."""
    builds = []
    for name in ("first", "second"):
        build = tmp_path / name
        build.mkdir()
        (build / "volume_mnist.csv").write_text(VOLUME_CSV)
        (build / "Snakefile").write_text(textwrap.dedent(f"""\
            rule rp_volume_mnist_figure:
                input: "volume_mnist.csv"
                output: pdf="volume_mnist.pdf", png="volume_mnist.png"
                log: "volume_mnist.log"
                params: note="scale: test"
                script: "{REPO / 'scripts' / 'relu_prime' / 'volume_mnist.R'}"
            """))
        if builds:
            time.sleep(1.1)
        run_snakemake(build, "volume_mnist.pdf")
        builds.append(build)
    assert (builds[0] / "volume_mnist.pdf").read_bytes()[:5] == b"%PDF-"
    assert_identical(*builds, ["volume_mnist.pdf", "volume_mnist.png"])


def test_stripping_keeps_outputs_and_parameters_and_fixes_the_injected_cell_id():
    timing = {"start_time": "2026-01-01T00:00:00", "end_time": "2026-01-01T00:00:01", "duration": 1.0}
    nb = {"metadata": {"papermill": {**timing, "parameters": {"pdf": "x.pdf"}, "version": "2.7.0"}},
          "cells": [{"id": "a1b2c3d4", "cell_type": "code", "execution_count": 1, "outputs": [{"text": "1"}],
                     "metadata": {"tags": ["injected-parameters"], "papermill": {**timing, "status": "completed"},
                                  "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"}}},
                    {"id": "keep", "cell_type": "markdown", "metadata": {}}]}
    before = copy.deepcopy(nb)
    out = strip_notebook_times(nb)
    assert out["metadata"]["papermill"] == {"parameters": {"pdf": "x.pdf"}, "version": "2.7.0"}
    injected, markdown = out["cells"]
    assert injected["id"] == "injected-parameters"
    assert injected["metadata"] == {"tags": ["injected-parameters"], "papermill": {"status": "completed"}}
    assert injected["outputs"] == before["cells"][0]["outputs"] and injected["execution_count"] == 1
    assert markdown == before["cells"][1]
