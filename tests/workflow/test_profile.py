"""tools/profile_quick's arithmetic (relurepro.cost.profile) on a small DAG with known times: job times from
benchmark files and Snakemake's metadata records (long paths included), per-rule sums and start-up shares, and
the critical path against a brute-force longest chain."""

from __future__ import annotations

import base64
import datetime
import itertools
import json
from pathlib import Path

import pytest

from relurepro.cost import profile
from relurepro.cost.dag import JobDag, JobInfo


def write_record(workdir: Path, output: str, start: float, end: float, max_len: int = 255) -> None:
    """A metadata record as Snakemake's file backend writes it: URL-safe base64, '@'-folders past max_len."""
    b64 = base64.urlsafe_b64encode(output.encode()).decode()
    parts = [b64[i:i + max_len - 1] for i in range(0, len(b64), max_len - 1)]
    path = workdir / ".snakemake" / "metadata" / Path(*["@" + p for p in parts[:-1]], parts[-1])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rule": "x", "starttime": start, "endtime": end}))


def write_benchmark(workdir: Path, path: str, seconds: float) -> None:
    (workdir / path).parent.mkdir(parents=True, exist_ok=True)
    (workdir / path).write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:01\t1\n")


@pytest.fixture
def run(tmp_path):
    """train a (10 s) -> train b (30 s) -> figure (4 s, local, metadata only); train c (25 s, an output path long
    enough for Snakemake to split its record into '@' folders) -> figure; a figure never run."""
    long = "results/" + "deep/" * 80 + "out.csv"
    jobs = {
        1: JobInfo(1, "train", outputs=("results/a.csv",), benchmark="benchmarks/a.tsv", log="logs/a.log"),
        2: JobInfo(2, "train", outputs=("results/b.csv",), benchmark="benchmarks/b.tsv"),
        3: JobInfo(3, "train", outputs=(long,), benchmark="benchmarks/c.tsv"),
        4: JobInfo(4, "figure", outputs=("figures/f.pdf", "figures/f.png"), local=True, runner="R"),
        5: JobInfo(5, "figure", outputs=("figures/never.pdf",), local=True, runner="R"),
    }
    deps = {1: set(), 2: {1}, 3: set(), 4: {2, 3}, 5: set()}
    write_benchmark(tmp_path, "benchmarks/a.tsv", 10)
    write_benchmark(tmp_path, "benchmarks/b.tsv", 30)
    write_benchmark(tmp_path, "benchmarks/c.tsv", 25)
    write_record(tmp_path, "results/a.csv", 1000.0, 1011.0)
    # a's log: tqdm's carriage returns before the first stamp, which comes 2.5 s after Snakemake started the job
    stamp = datetime.datetime.fromtimestamp(1002.5).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs/a.log").write_text(f"loading\r{stamp} rule train wildcards {{}}\n{stamp[:-3]}900 done\n")
    write_record(tmp_path, long, 1000.0, 1026.0)
    write_record(tmp_path, "figures/f.pdf", 1041.0, 1045.0)
    return tmp_path, JobDag(jobs, deps)


def test_times_from_benchmarks_and_metadata(run):
    workdir, dag = run
    times = profile.job_times(dag, workdir)
    assert {j: (t.seconds, t.source, t.startup) for j, t in times.items()} == {
        1: (10.0, "benchmark", 2.5), 2: (30.0, "benchmark", None), 3: (25.0, "benchmark", None),
        4: (4.0, "metadata", None)}
    assert profile.wall_seconds(times) == 45.0  # first start 1000, last end 1045 (b has no record)


def test_busy_profile(run):
    """a 1000-1011 and c 1000-1026 overlap for 11 s, c alone 15 s, nothing 1026-1041, f alone 4 s."""
    workdir, dag = run
    assert profile.busy_profile(profile.job_times(dag, workdir), cores=2) == {0: 15.0, 1: 19.0, 2: 11.0}
    assert profile.busy_profile(profile.job_times(dag, workdir), cores=1) == {0: 15.0, 1: 30.0}


def test_busy_profile_counts_a_job_recorded_with_no_duration():
    """Snakemake records some local jobs with equal start and end; one that starts as another ends is still
    running 0 s, never -1 jobs (the rehearsal's profile crashed on this)."""
    times = {1: profile.JobTime(0.0, "metadata", 5.0, 5.0), 2: profile.JobTime(5.0, "metadata", 0.0, 5.0),
             3: profile.JobTime(3.0, "metadata", 5.0, 8.0)}
    assert profile.busy_profile(times, cores=2) == {0: 0.0, 1: 8.0, 2: 0.0}


def test_rule_rows_and_startup_share(run):
    workdir, dag = run
    rows = {r["rule"]: r for r in profile.rule_rows(dag, profile.job_times(dag, workdir), {"python": 2.0, "R": 5.0})}
    # a's start-up from its log (2.5 s), b's and c's the measured python start-up (2 s)
    assert rows["train"] == dict(rule="train", runner="python", jobs=3, measured=3, seconds=65.0, from_logs=1,
                                 mean_s=65.0 / 3, startup_s=6.5, startup_share=6.5 / 65.0)
    # R start-up above the job's own time: capped at it (share 100%), the unrun job is not counted
    assert rows["figure"]["jobs"] == 2 and rows["figure"]["measured"] == 1
    assert rows["figure"]["startup_s"] == 4.0 and rows["figure"]["startup_share"] == 1.0


def test_critical_path_is_the_heaviest_chain(run):
    workdir, dag = run
    times = profile.job_times(dag, workdir)
    path = profile.critical_path(dag, times)
    assert path == [1, 2, 4]  # 10 + 30 + 4 = 44 beats 25 + 4
    # brute force: every chain that follows dependencies
    def chains(end):
        if not dag.deps[end]:
            return [[end]]
        return [c + [end] for d in dag.deps[end] for c in chains(d)] + [[end]]
    every = itertools.chain.from_iterable(chains(j) for j in dag.jobs)
    heaviest = max(every, key=lambda c: sum(times[j].seconds for j in c if j in times))
    assert path == heaviest


def test_render_names_every_rule_and_the_path(run):
    workdir, dag = run
    text = profile.render(dag, profile.job_times(dag, workdir), {"python": 2.0, "R": 5.0}, cores=2)
    assert "5 in the DAG, 4 measured" in text
    assert "critical path 0.7 min" in text
    lines = text.splitlines()
    assert any(line.startswith("train ") and "65.0" in line for line in lines)
    assert any(line.startswith("figure ") and "100%" in line for line in lines)
