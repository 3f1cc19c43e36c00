"""The rehearsal scale (issue #23): derived from paper.yaml by lowering counts only, labelled on every figure, its
DAG runs every rule of the paper DAG, and its miniature archives are the bytes its catalog declares."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from relurepro import miniature
from relurepro.pipeline import rehearsal
from relurepro.pipeline.config import load_scale
from relurepro.pipeline.rules import base_rule

ROOT = Path(__file__).resolve().parents[2]
SCALES = ROOT / "config" / "scales"

PAPER = {"a": {"runs": {"16": 1000, "32": 10}, "layers": [1, 2, 3, 5], "net": "vgg11", "lr": 0.1, "epochs": 200,
               "grid": [{"alphas": [0, 0.5, 1], "runs": 10}, {"alphas": [2], "runs": 3}], "samples": None,
               "deviations": ["one"]}}


@pytest.mark.parametrize("counts, allowed", [
    ({"a": {"runs": {"16": 2}}}, True),
    ({"a": {"layers": [1, 3]}}, True),
    ({"a": {"epochs": 1, "samples": 64, "max_batches": 2}}, True),  # max_batches: a count the paper leaves unset
    ({"a": {"grid": [{"alphas": [0], "runs": 1}]}}, True),  # the first row, cut
    ({"a": {"runs": {"16": 2000}}}, False),  # above the paper
    ({"a": {"runs": {"8": 2}}}, False),  # a precision the paper has not
    ({"a": {"layers": [3, 1]}}, False),  # not in the paper's order
    ({"a": {"layers": [4]}}, False),  # not a paper value
    ({"a": {"layers": []}}, False),  # would drop the jobs it feeds
    ({"a": {"net": "vgg16"}}, False),  # a model
    ({"a": {"lr": 0.01}}, False),  # a hyperparameter, though a number
    ({"a": {"width": 2}}, False),  # a new key that is not a count
    ({"a": {"grid": [{}, {}, {}]}}, False),  # more rows than the paper
])
def test_derive_lowers_counts_only(counts, allowed):
    if allowed:
        derived = rehearsal.derive(PAPER, counts)
        assert derived["a"]["net"] == "vgg11" and derived["a"]["lr"] == 0.1
    else:
        with pytest.raises(ValueError, match="rehearsal override a"):
            rehearsal.derive(PAPER, counts)


def _differences(paper, derived, path=()):
    """(path, paper value, rehearsal value) of every leaf that differs; lists compared whole."""
    if isinstance(paper, dict) and isinstance(derived, dict):
        out = [(path + (k,), None, derived[k]) for k in derived if k not in paper]
        for k in paper:
            assert k in derived, f"the rehearsal dropped {'.'.join(path + (k,))}"
            out += _differences(paper[k], derived[k], path + (k,))
        return out
    if isinstance(paper, list) and isinstance(derived, list) and paper and isinstance(paper[0], dict):
        assert 0 < len(derived) <= len(paper)
        return [d for i, (p, r) in enumerate(zip(paper, derived)) for d in _differences(p, r, path + (str(i),))]
    return [] if paper == derived else [(path, paper, derived)]


def test_rehearsal_is_paper_with_counts_lowered():
    """Walk paper.yaml and the derived rehearsal independently: every leaf that differs is a deviations list that
    gained the rehearsal label, a number under a count name no larger than the paper's, or a sub-grid."""
    paper, derived = load_scale(SCALES / "paper.yaml"), load_scale(SCALES / "rehearsal.yaml", gpu=True)
    changed = _differences(paper, derived)
    assert len(changed) > 50  # the rehearsal does lower counts everywhere
    for path, before, after in changed:
        where = ".".join(path)
        if path[-1] == "deviations":
            assert after == [*before, rehearsal.LABEL], where
        elif path[-1] in rehearsal.LAYOUT_NAMES:  # how many runs share a job: tests/leaf/test_job.py
            assert isinstance(after, int) and after >= 1, where
        elif isinstance(after, list):
            assert set(after) <= set(before) or (any(p in rehearsal.COUNT_NAMES for p in path)
                                                 and max(after) <= max(before)), where
        else:
            assert any(p in rehearsal.COUNT_NAMES for p in path), f"{where}: {before!r} -> {after!r} is not a count"
            assert isinstance(after, int) and (before is None or after <= before), where
    # the paper's switches survive: a few that the rehearsal exists to exercise
    assert derived["relu_prime"]["vol_cdf"]["bn_arith"] == "native"
    assert derived["uniform_accuracy"]["bits"] == 64 and 2048 in derived["uniform_accuracy"]["widths"]
    assert derived["constnet"]["nondet"] == "gpu"
    assert derived["relu_prime"]["vol_cdf"]["figures"]["vol_cifar_resnet18_bn"]["width_mult"] == 1


def test_cpu_stand_ins_change_only_the_named_switches_and_say_so():
    """Without a GPU, the rehearsal swaps only the switches that need one (constnet's cuDNN arm), labelled."""
    on_gpu, on_cpu = (load_scale(SCALES / "rehearsal.yaml", gpu=g) for g in (True, False))
    changed = {path for path, *_ in _differences(on_gpu, on_cpu) if path[-1] != "deviations"}
    assert changed == {("constnet", "nondet")}
    assert (on_gpu["constnet"]["nondet"], on_cpu["constnet"]["nondet"]) == ("gpu", "reorder")
    assert any("stands in for the paper's gpu" in d for d in on_cpu["constnet"]["deviations"])
    assert not any("stands in" in d for d in on_cpu["leaf"]["deviations"])
    with pytest.raises(ValueError, match="no such switch"):
        rehearsal.stand_in(on_gpu, {"constnet": {"breaker_kind": {"value": "x", "why": "y"}}})


def _dry_run(scale: str, *args: str) -> str:
    """What `snakemake -n --forceall figures/all` of `scale` prints, with `args` added."""
    return subprocess.run([str(Path(sys.executable).with_name("snakemake")), "-n", "--forceall", "figures/all",
                           "--config", f"scale={scale}", *args],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _rules(scale: str) -> dict[str, int]:
    table = _dry_run(scale, "--quiet", "rules").split("Job stats:")[1]
    jobs = defaultdict(int)  # by the rule a job runs: a pack rule leaf_train__<pack> counts as leaf_train
    for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M):
        if m[1] != "total":
            jobs[base_rule(m[1])] += int(m[2])
    return dict(jobs)


def test_rehearsal_runs_every_rule_of_the_paper_dag():
    """The same rules, each at least once; leaf's runs packed into a few jobs (the paper: a job per run)."""
    paper, rehearsal_jobs = _rules("paper"), _rules("rehearsal")
    assert set(rehearsal_jobs) == set(paper)
    assert paper["leaf_train"] == 184 and 1 < rehearsal_jobs["leaf_train"] <= 10
    assert {"rp_imagenet_train", "ro_imagenet_run", "ro_imagenet_finetune", "ro_cifar_finetune", "cn_run",
            "download_dataset"} <= set(paper)
    assert sum(rehearsal_jobs.values()) < sum(paper.values()) / 5


LOADER_RULES = ("ro_imagenet_run", "ro_cifar_tied", "rp_imagenet_train")


def _threads(scale: str) -> dict[str, set[int]]:
    """The threads each job of LOADER_RULES reserves in a dry-run of `scale` on 64 cores (no scaling down)."""
    out = _dry_run(scale, "--cores", "64", "--until", *LOADER_RULES)
    threads = defaultdict(set)
    for block in out.split("\n\n"):
        rule = re.search(r"^(?:local)?rule (\w+):", block, re.M)
        if rule and rule[1] in LOADER_RULES:
            found = re.search(r"^\s+threads: (\d+)$", block, re.M)
            threads[rule[1]].add(int(found[1]) if found else 1)
    return dict(threads)


def test_loader_jobs_reserve_their_workers_except_at_the_rehearsal():
    """The paper scale reserves a job's data-loader workers; the rehearsal, whose one miniature batch keeps such a
    job on one core, reserves 1, so two of them share 2 cores instead of queueing."""
    paper, rehearsal_threads = _threads("paper"), _threads("rehearsal")
    assert set(paper) == set(rehearsal_threads) == set(LOADER_RULES)
    assert paper["ro_imagenet_run"] == {10} and paper["ro_cifar_tied"] == {4} and min(paper["rp_imagenet_train"]) > 1
    assert all(t == {1} for t in rehearsal_threads.values()), rehearsal_threads


def test_every_deviation_list_carries_the_label():
    derived = load_scale(SCALES / "rehearsal.yaml")
    lists = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                lists.append(v) if k == "deviations" else walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(derived)
    assert len(lists) > 10 and all(rehearsal.LABEL in d for d in lists)


def test_miniature_archives_are_the_bytes_the_catalog_declares(tmp_path):
    """tools/rehearsal refuses to run when they differ; this catches a generator change in CI first."""
    catalog = miniature.write_mirror(tmp_path, miniature.REHEARSAL_SIZES, texture=True)
    assert catalog == yaml.safe_load((ROOT / "config" / "datasets_rehearsal.yaml").read_text())
    again = miniature.write_mirror(tmp_path / "again", miniature.REHEARSAL_SIZES, texture=True)
    assert again == catalog  # nothing depends on the clock


def test_imagenet_tree_passes_the_folder_check(tmp_path):
    from relurepro.archives import check_imagenet

    assert miniature.imagenet_tree(tmp_path, classes=3, per_class=2, size=8) == {"train": 6, "val": 6}
    assert check_imagenet(tmp_path, n_classes=3) == {"train": 3, "val": 3}


def test_every_job_reading_official_data_waits_for_its_download():
    """A rule whose script reads data_root must depend on the download of what it reads: at paper scale (official
    data everywhere) each of its jobs has a download_dataset job among its inputs. The rehearsal found leaf,
    constnet and resnet_ode rules that read CIFAR-10 or Fashion-MNIST without waiting for it."""
    from relurepro.cost.dag import load_dag

    readers = set()
    for smk in (ROOT / "workflow").glob("*.smk"):
        for rule, body in re.findall(r"^\s*rule (\w+):\n(.*?)(?=^\s*rule |\Z)", smk.read_text(), re.S | re.M):
            script = re.search(r'"\.\./(scripts/[^"]+\.py)"', body)
            if script and "data_root" in (ROOT / script[1]).read_text():
                readers.add(rule)
    assert {"leaf_train", "cn_run", "ro_tiny_train", "rp_train", "rp_volume_mlp_cell"} <= readers
    dag = load_dag("paper", "cpu", ["figures/all"], ROOT)
    waiting = [dag.jobs[j].rule for j in dag.jobs if dag.jobs[j].rule in readers
               and not any(dag.jobs[d].rule == "download_dataset" for d in dag.deps[j])]
    assert waiting == []
