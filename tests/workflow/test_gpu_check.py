"""tools/gpu_check on the CPU (what CI can run): every row of its table is there with a verdict, its step times
are written and read back by the cost estimate's reader (relurepro.cost.step_times); and that reader's price per
step and 3x flag, on a hand-made CSV and DAG with known numbers."""

import csv
import functools
import importlib.machinery
import importlib.util
import subprocess
import sys

import pytest

from conftest import CLEAN_ENV, REPO
from relurepro.cost import estimate as cost
from relurepro.cost import step_times
from relurepro.cost.dag import JobDag, JobInfo

# The rows that are not one rule's step, in the table's order; the step rows are one per GPU rule (the tool's STEPS,
# checked against the paper DAG by the tool itself: a GPU rule without a step is a `fail` row).
CHECK_ROWS = ["numerics", "bn_arith", "volume_s01", "constnet_symmetry", "ua_fp64_peak"]


@functools.cache
def _tool():
    loader = importlib.machinery.SourceFileLoader("gpu_check", str(REPO / "tools" / "gpu_check"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    sys.modules[loader.name] = module  # its dataclasses look their module up while being defined
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    """One `tools/gpu_check --device cpu --quick` run into a temporary folder: (process, table rows, folder)."""
    out = tmp_path_factory.mktemp("gpu_check")
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "gpu_check"), "--device", "cpu", "--quick",
                           "--out", str(out)], capture_output=True, text=True, timeout=900,
                          env={**CLEAN_ENV, "PYTHONUNBUFFERED": "1"})
    table = out / "gpu_check_cpu.csv"
    with table.open(newline="") as f:
        rows = list(csv.DictReader(f)) if table.exists() else []
    return proc, rows, out


@pytest.mark.slow
def test_cpu_run_prints_every_row_and_passes(cpu_run):
    proc, rows, _ = cpu_run
    assert proc.returncode == 0, f"{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
    expected = ["numerics", *(f"step:{rule}" for rule in _tool().STEPS), *CHECK_ROWS[1:]]
    assert [r["row"] for r in rows] == expected
    for r in rows:
        assert r["verdict"] in ("ok", "info"), r
        assert r["measured"]
        assert r["row"] in proc.stdout  # the printed table has the row too
    # The checks a CPU can decide are decided; the GPU comparisons say they are not.
    verdicts = {r["row"]: r["verdict"] for r in rows}
    assert verdicts["numerics"] == "ok" and verdicts["constnet_symmetry"] == "ok"
    for key in ("bn_arith", "volume_s01"):
        assert verdicts[key] == "info" and "cpu:" in next(r["measured"] for r in rows if r["row"] == key)


@pytest.mark.slow
def test_cpu_step_times_are_read_and_priced_by_the_cost_reader(cpu_run):
    _, _, out = cpu_run
    measured = step_times.read(step_times.path_for("cpu", out))
    assert sorted(m.rule for m in measured) == sorted(_tool().STEPS)
    assert all(m.device == "cpu" and m.seconds_per_step > 0 and m.batch > 0 for m in measured)
    checks = step_times.run_check(step_times.path_for("cpu", out), REPO, REPO / "config" / "cost_model.yaml")
    for c in checks:
        # a cut size is never priced; a paper-size row finds its paper job (its selector still matches the DAG)
        assert c.measured.paper_size or c.verdict == "not compared: size cut for the CPU"
        assert "job of the DAG" not in c.verdict, c.verdict
    assert any(c.price for c in checks)


def test_the_gpu_prices_stay_within_3x_of_the_measured_steps():
    """config/measured/step_times_cuda.csv: the H200 run of tools/gpu_check that the cost model's GPU step prices
    were refit from. Every rule it timed at paper size finds its paper job, and no price is flagged."""
    checks = step_times.run_check(REPO / "config" / "measured" / "step_times_cuda.csv", REPO,
                                  REPO / "config" / "cost_model.yaml")
    assert sorted(c.measured.rule for c in checks) == sorted(_tool().STEPS)
    per_job = {"ro_gradient_errors", "ro_memory"}  # priced per job: no price per step to compare
    assert all(c.price for c in checks if c.measured.rule not in per_job)
    assert [(c.measured.rule, c.ratio) for c in checks if c.flagged] == []


# -------------------------------------------------------------------------------- the reader, by hand

MODEL = {
    "startup_s": {"cpu": 10, "gpu": 20},
    "light_job_s": 30,
    "precision": {"cpu": {32: 1.0}, "gpu": {32: 1.0}},
    "defaults": {"cpu": {"gmac": 1.0, "steps": 0.01}, "gpu": {"gmac": 0.001, "steps": 0.002}},
    "datasets": {"cifar10": {"train": 50000}},
    "rules": {},
}


@pytest.fixture
def toy_dag(monkeypatch):
    """Rule toy_train (work from its wildcards: 1000 steps, 100 GMAC -> GPU 0.1 + 2 = 2.1 s, 2.1 ms per step) with a
    run-path wildcard, and toy_once, priced per job."""
    monkeypatch.setitem(cost.WORK, "toy_train", lambda job, ctx: {"gmac@32": 100.0, "steps": 1000.0})
    monkeypatch.setitem(cost.WORK, "toy_once", lambda job, ctx: {"jobs": 1})
    jobs = {1: JobInfo(1, "toy_train", {"job": "net~small/bn~1/seed~0"}),
            2: JobInfo(2, "toy_train", {"job": "net~big/bn~0/seed~0"}),
            3: JobInfo(3, "toy_once", {})}
    return JobDag(jobs, {j: set() for j in jobs})


def toy_row(seconds, rule="toy_train", job=None, paper_size=True, device="cuda"):
    return step_times.StepTime(rule, device, "Toy GPU", seconds, "toy net", 128, paper_size,
                               {"net": "big"} if job is None else job)


def test_step_times_round_trip_through_the_csv(tmp_path):
    rows = [toy_row(0.0123), toy_row(1.5, job={}, paper_size=False, device="cpu")]
    path = step_times.path_for("cuda", tmp_path)
    step_times.write(rows, path)
    assert path.name == "step_times_cuda.csv"
    assert step_times.read(path) == rows


def test_a_bad_step_times_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "step_times_cuda.csv"
    step_times.write([toy_row(0.5)], path)
    path.write_text(path.read_text() + "toy_train,cuda,Toy GPU,-1,toy net,128,1,net=big\n")
    with pytest.raises(ValueError, match=r"step_times_cuda.csv, line 3"):
        step_times.read(path)
    path.write_text("rule,seconds\ntoy_train,1\n")
    with pytest.raises(ValueError, match="expected columns"):
        step_times.read(path)


def test_the_priced_job_is_picked_by_the_fields_of_its_run_path(toy_dag):
    assert step_times.job_fields(toy_dag.jobs[2]) == {"job": "net~big/bn~0/seed~0", "net": "big", "bn": "0",
                                                      "seed": "0"}
    assert step_times.priced_job(toy_dag, "toy_train", {"net": "big"}).jobid == 2
    assert step_times.priced_job(toy_dag, "toy_train", {"bn": "1"}).jobid == 1
    assert step_times.priced_job(toy_dag, "toy_train", {"net": "huge"}) is None


def test_a_step_more_than_3x_off_the_model_is_flagged_either_way(toy_dag):
    model = cost.CostModel(MODEL)
    price = (100 * 0.001 + 1000 * 0.002) / 1000  # GPU compute seconds over the job's steps; start-up left out
    checks = step_times.compare([toy_row(price), toy_row(2.9 * price), toy_row(3.1 * price),
                                 toy_row(price / 3.1), toy_row(price / 2.9)], toy_dag, model)
    assert [c.price for c in checks] == pytest.approx([price] * 5)
    assert [c.ratio for c in checks] == pytest.approx([1, 2.9, 3.1, 1 / 3.1, 1 / 2.9])
    assert [c.flagged for c in checks] == [False, False, True, True, False]
    assert [c.verdict for c in checks][:3] == ["ok", "ok", "flagged: 3.1x the model"]
    # on the CPU the same row is priced with the CPU coefficients
    cpu = step_times.check(toy_row(1.0, device="cpu"), toy_dag, model)
    assert cpu.price == pytest.approx((100 * 1.0 + 1000 * 0.01) / 1000)


def test_cut_sizes_unmatched_runs_and_per_job_rules_are_not_compared(toy_dag):
    model = cost.CostModel(MODEL)
    verdicts = [c.verdict for c in step_times.compare([
        toy_row(50.0, paper_size=False), toy_row(50.0, job={"net": "huge"}), toy_row(50.0, rule="toy_once", job={})],
        toy_dag, model)]
    assert verdicts == ["not compared: size cut for the CPU", "not compared: no toy_train job of the DAG has net=huge",
                        "not compared: the model prices this rule per job, not per step"]
    assert not any(c.flagged for c in step_times.compare([toy_row(50.0, paper_size=False)], toy_dag, model))


def test_resnet_ode_rules_priced_by_measured_steps_cost_that_step():
    # ro_cifar_tied's GPU work is its steps x the seconds per step config/cost_model.yaml holds for it
    raw = cost.load_model(REPO / "config" / "cost_model.yaml")
    model = cost.CostModel(raw)
    job = JobInfo(1, "ro_cifar_tied", {}, {"tied": {"epochs": 200, "batch": 128}})
    assert step_times.steps_of(job, model.work(job), model.context()) == 200 * 391
    per_step = raw["rules"]["ro_cifar_tied"]["options"]["h100_step_s"]["tied"]
    assert step_times.step_price(model, job, "cuda") == pytest.approx(per_step)


# -------------------------------------------------------------------------------- the tool's verdicts

def test_a_flagged_step_differs_on_cuda_and_is_shown_not_judged_on_the_cpu(toy_dag):
    tool = _tool()
    model = cost.CostModel(MODEL)
    flagged = step_times.check(toy_row(1.0), toy_dag, model)  # ~480x the model's 2.1 ms
    on = {name: tool.Run(tool.torch.device(name), False, 1, REPO, {}) for name in ("cuda", "cpu")}
    text, verdict = tool.step_verdict(on["cuda"], flagged)
    assert verdict == "differs" and "flagged" in text
    assert tool.step_verdict(on["cuda"], step_times.check(toy_row(0.0021), toy_dag, model))[1] == "ok"
    assert tool.step_verdict(on["cpu"], flagged)[1] == "info"
    cut = step_times.check(toy_row(1.0, paper_size=False), toy_dag, model)
    assert tool.step_verdict(on["cuda"], cut)[1] == "info"


def test_an_error_is_its_rows_fail_and_fails_the_exit_status():
    tool = _tool()
    run = tool.Run(tool.torch.device("cpu"), True, 1, REPO, {})

    def broken():
        raise RuntimeError("no deterministic implementation")
    row = tool.guarded("bn_arith", broken, run)
    assert (row.verdict, row.measured) == ("fail", "RuntimeError: no deterministic implementation")
    info = tool.Row("volume_s01", "", "cpu only", "info")
    assert tool.exit_status([info]) == 0
    assert tool.exit_status([info, row]) == 1
    assert tool.exit_status([info, tool.Row("numerics", "", "TF32 on", "differs")]) == 1
