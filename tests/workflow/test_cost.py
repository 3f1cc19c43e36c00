"""The cost estimate: pricing, calibration and attribution on hand-made DAGs with known numbers, the work of real
rules, and the paper-scale estimate of relu_prime end to end."""

import math

import pytest
import torch
from torch import nn

from relurepro.cost import estimate as cost
from relurepro.cost import work as cost_work
from relurepro.cost.dag import JobDag, JobInfo, read_benchmark_seconds
from relurepro.cost.report import render, run_estimate

MODEL = {
    "startup_s": {"cpu": 10, "gpu": 20},
    "light_job_s": 30,
    "precision": {"cpu": {16: 8.0, 32: 1.0, 64: 2.0}, "gpu": {16: 1.0, 32: 1.0, 64: 2.0}},
    "defaults": {"cpu": {"gmac": 1.0, "steps": 0.01}, "gpu": {"gmac": 0.001, "steps": 0.002}},
    "datasets": {},
    "rules": {"toy_train": {"gpu": {"gmac@64": 0.1}}},
}


@pytest.fixture
def toy_work(monkeypatch):
    """A rule `toy_train` whose job's work is read from its wildcards."""
    monkeypatch.setitem(cost.WORK, "toy_train", lambda job, ctx: {
        f"gmac@{job.wildcards['bits']}": float(job.wildcards["gmac"]), "steps": float(job.wildcards["steps"])})


def toy(jobid, gmac=0.0, steps=0.0, bits=32, gpu=True, rule="toy_train", outputs=()):
    return JobInfo(jobid, rule, {"gmac": str(gmac), "steps": str(steps), "bits": str(bits)}, {}, tuple(outputs),
                   benchmark=f"benchmarks/toy/{jobid}.tsv", gpu=gpu)


def test_coefficients_fall_back_to_the_default_times_the_precision_factor():
    model = cost.CostModel(MODEL)
    assert model.coefficient("toy_train", "cpu", "gmac@16") == 8.0  # default 1.0 x fp16 factor 8
    assert model.coefficient("toy_train", "cpu", "gmac@64") == 2.0
    assert model.coefficient("toy_train", "gpu", "gmac@64") == 0.1  # the rule's own price wins, no factor
    assert model.coefficient("toy_train", "gpu", "gmac@16") == 0.001
    assert model.coefficient("toy_train", "cpu", "gpu_ref_s") == 0.0  # not priced on the CPU


def test_job_seconds_add_start_up_and_light_jobs_cost_the_prior(toy_work):
    model = cost.CostModel(MODEL)
    job = toy(1, gmac=100, steps=1000, bits=32)
    assert model.job_seconds(job, "cpu") == pytest.approx(10 + 100 * 1.0 + 1000 * 0.01)
    assert model.job_seconds(job, "gpu") == pytest.approx(20 + 100 * 0.001 + 1000 * 0.002)
    assert model.job_seconds(JobInfo(2, "some_figure", local=True), "cpu") == 30


def test_a_compute_rule_without_a_work_model_is_an_error_not_a_light_job():
    model = cost.CostModel(MODEL)
    with pytest.raises(KeyError, match="compute rule 'new_train' has no work model"):
        model.job_seconds(JobInfo(1, "new_train", benchmark="benchmarks/new/1.tsv"), "cpu")


def test_calibration_is_measured_over_predicted_compute_and_skips_start_up_bound_jobs(toy_work):
    model = cost.CostModel(MODEL)
    samples = [(toy(1, gmac=100), 10 + 300.0, "a"),   # predicted 100 s of compute, measured 300 s
               (toy(2, gmac=50), 10 + 50.0, "b"),     # predicted 50, measured 50
               (toy(3, gmac=1), 15.0, "c")]           # shorter than twice the start-up: skipped
    calibration = cost.calibrate(model, samples)["toy_train"]
    assert calibration.benchmarks == 2
    assert calibration.multiplier == pytest.approx(350 / 150)
    model.calibrations = {"toy_train": calibration}
    assert model.job_seconds(toy(4, gmac=30), "cpu") == pytest.approx(10 + 30 * 350 / 150)
    assert model.job_seconds(toy(4, gmac=30), "gpu") == pytest.approx(20 + 30 * 0.001)  # GPU stays the prior


def test_step_check_flags_a_rule_more_than_3x_off_and_skips_start_up_bound_ones(toy_work, monkeypatch):
    """Compute = wall - start-up (10 s); per step = compute / the work's steps; flagged beyond 3x either way."""
    monkeypatch.setitem(cost.WORK, "toy_fast", cost.WORK["toy_train"])
    monkeypatch.setitem(cost.WORK, "toy_short", cost.WORK["toy_train"])
    model = cost.CostModel(MODEL)  # CPU: 1 s per gmac, 0.01 s per step
    samples = [(toy(1, gmac=100, steps=1000), 10 + 110 * 3.5, "a"),             # predicted 110 s, measured 385 s
               (toy(2, gmac=100, steps=1000, rule="toy_fast"), 10 + 110 / 2, "b"),  # half the model: ok
               (toy(3, gmac=100, steps=1000, rule="toy_fast"), 12.0, "c"),      # start-up bound: counted, not checked
               (toy(4, gmac=100, rule="toy_short"), 19.0, "d")]
    rows = {r["rule"]: r for r in cost.step_check(model, samples)}
    slow, fast, short = rows["toy_train"], rows["toy_fast"], rows["toy_short"]
    assert slow["ratio"] == pytest.approx(3.5) and slow["verdict"] == "flagged: 3.5x the model"
    assert slow["measured_s_per_step"] == pytest.approx(0.385) and slow["model_s_per_step"] == pytest.approx(0.11)
    assert (fast["jobs"], fast["checked"], fast["verdict"]) == (2, 1, "ok")
    assert fast["ratio"] == pytest.approx(0.5)
    assert (short["checked"], short["ratio"], short["verdict"]) == (0, None, "start-up bound (not checked)")
    assert cost.ratio_verdict(1 / 3.01) == "flagged: 0.332x the model" and cost.ratio_verdict(3.0) == "ok"


def test_step_check_takes_a_job_s_measured_start_up_before_the_prior(toy_work, monkeypatch):
    """A short job whose own start-up was measured is checked on what is left after it; without a measurement the
    10 s prior applies and the job stays start-up bound; a job with nothing left after its start-up is not used."""
    monkeypatch.setitem(cost.WORK, "toy_short", cost.WORK["toy_train"])
    model = cost.CostModel(MODEL)  # CPU: 1 s per gmac, 0.01 s per step
    samples = [(toy(1, gmac=1, steps=100, rule="toy_short"), 3.0 + 2.0 * 4, "a"),  # 2 s predicted, 8 s measured
               (toy(2, gmac=1, steps=100, rule="toy_short"), 12.0, "b"),          # no measured start-up
               (toy(3, gmac=1, steps=100, rule="toy_short"), 5.0, "c")]           # start-up 6 s > wall
    row = cost.step_check(model, samples, {"a": 3.0, "c": 6.0})[0]
    assert (row["jobs"], row["checked"]) == (3, 1)
    assert row["ratio"] == pytest.approx(4.0) and row["verdict"] == "flagged: 4x the model"
    assert row["measured_s_per_step"] == pytest.approx(0.08)
    assert cost.step_check(model, samples)[0]["verdict"] == "start-up bound (not checked)"


def hand_made_dag():
    """Two training jobs A (gpu) and B (gpu) -> table T -> figures F1, F2; B alone -> figure F3 of another paper;
    a claims job needs T and feeds no figure; a download D is needed by A."""
    jobs = {
        1: toy(1, gmac=3600, outputs=["data/x/verified.json"], gpu=False),                  # D: 10 + 3600 cpu s
        2: toy(2, steps=1_800_000),                                                         # A: 20 + 3600 gpu s
        3: toy(3, steps=3_600_000),                                                         # B: 20 + 7200 gpu s
        4: JobInfo(4, "table", outputs=("results/relu_prime/table.csv",), local=True),     # T: 30 cpu s
        5: JobInfo(5, "figure", outputs=("figures/relu_prime/f1.pdf", "figures/relu_prime/f1.png"), local=True),
        6: JobInfo(6, "figure", outputs=("figures/relu_prime/f2.pdf",), local=True),
        7: JobInfo(7, "figure", outputs=("figures/leaf/f3.pdf",), local=True),
        8: JobInfo(8, "claims", outputs=("results/relu_prime/claims.csv",), local=True),
    }
    deps = {1: set(), 2: {1}, 3: set(), 4: {2, 3}, 5: {4}, 6: {4}, 7: {3}, 8: {4}}
    return JobDag(jobs, deps)


def test_shared_jobs_are_split_among_the_figures_that_need_them(toy_work):
    dag = hand_made_dag()
    costs = cost.estimate(dag, cost.CostModel(MODEL), "cuda")
    rows = {(r.paper, r.figure): r for r in cost.figure_rows(dag, costs)}
    a, b = 3620 / 3600, 7220 / 3600  # GPU hours of A and B
    f1 = rows[("relu_prime", "f1")]
    assert f1.jobs == 5  # f1's job, T, A, B, D
    assert f1.gpu_h == pytest.approx(a / 2 + b / 3)  # A feeds f1, f2; B feeds f1, f2, f3
    assert f1.gpu_h_alone == pytest.approx(a + b)
    assert f1.cpu_h == pytest.approx(30 / 3600 + 30 / 3600 / 2 + 3610 / 3600 / 2)  # own job, half of T and D
    assert rows[("leaf", "f3")].gpu_h == pytest.approx(b / 3)
    assert rows[("relu_prime", cost.OTHER)].jobs == 1  # the claims job
    totals = {t["paper"]: t for t in cost.paper_totals(dag, costs, list(rows.values()))}
    assert totals["all"]["gpu_h"] == pytest.approx(a + b)
    assert totals["relu_prime"]["gpu_h"] + totals["leaf"]["gpu_h"] == pytest.approx(a + b)
    assert totals["relu_prime"]["jobs"] == 7 and totals["leaf"]["jobs"] == 2
    assert totals["all"]["gpu_jobs"] == 2


def test_cpu_device_puts_every_job_on_the_cpu(toy_work):
    dag = hand_made_dag()
    costs = cost.estimate(dag, cost.CostModel(MODEL), "cpu")
    assert all(c.device == "cpu" and c.gpu_hours == 0 for c in costs.values())
    assert costs[2].cpu_hours == pytest.approx((10 + 1_800_000 * 0.01) / 3600)


def macs_by_hooks(model: nn.Module, shape) -> int:
    total = []

    def hook(m, _, out):
        if isinstance(m, nn.Conv2d):
            total.append(out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1])
        elif isinstance(m, nn.Linear):
            total.append(out.numel() * m.in_features)

    for m in model.modules():
        m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, *shape))
    return sum(total)


@pytest.mark.parametrize("width", [1.0, 0.25, 0.0625])
def test_cnn_macs_match_the_library_models(width):
    from relurepro.models.resnet import resnet18_cifar
    from relurepro.models.vgg import vgg11

    assert cost_work.cnn_macs("vgg11", width) == pytest.approx(macs_by_hooks(vgg11(10, False, nn.ReLU, width),
                                                                             (3, 32, 32)), rel=0.03)
    assert cost_work.cnn_macs("resnet18", width) == pytest.approx(
        macs_by_hooks(resnet18_cifar(10, False, nn.ReLU, width), (3, 32, 32)), rel=0.03)


def test_constnet_macs_match_the_library_model():
    from relurepro.constnet.models import ConstNet

    for depth, widen, size, channels in ((16, 10, 32, 3), (10, 2, 8, 1), (7, 1, 8, 1)):
        net = ConstNet(depth, widen, in_channels=channels, pool="avg8" if size == 32 else "global")
        expected = macs_by_hooks(net, (channels, size, size)) - net.fc.in_features * 10
        assert cost_work.constnet_macs(depth, widen, size, channels) == expected


def test_work_of_a_paper_training_job_and_a_uniform_accuracy_job():
    ctx = {"datasets": {"cifar10": {"train": 50000, "test": 10000}}, "options": {}}
    job = JobInfo(1, "rp_train", {"job": "net~vgg11/width~1/init~default/data~cifar10-train-all-test-all/"
                                                 "prep~cifar10/opt~sgd/lr~0.05/batch~128/epochs~200/tmax~200/mode~set/"
                                                 "grid~off/bn~0/alpha~0.5/dropout~0/seeds~3"})
    work = cost_work.relu_prime_train(job, ctx)
    assert work["steps"] == 200 * 391
    assert work["gmac@32"] == pytest.approx(200 * (3 * 50000 + 10000) * cost_work.cnn_macs("vgg11", 1) / 1e9)
    # exp_2 of the paper: batch 100, 200 epochs per iteration, 5 iterations: 1,000 epochs of m / 100 steps
    exp = {"batch": {"fixed": 100}, "minibatches": "epoch_shuffle", "per_iteration": 200, "iterations": 5}
    assert cost_work._ua_steps(exp, 100_000) == (1_000_000, 100)
    ua = {"teachers": 40, "seeds": [1, 2, 3], "depth": 5, "bits": 64, "experiments": {"exp_2": exp},
          "test_points": {"3": {"n": 2 ** 24}}}
    work = cost_work.ua_train(JobInfo(2, "ua_train", {"d": "3", "exp": "exp_2", "m": "1000", "width": "32",
                                                      "part": "0", "parts": "6"}, {"ua": ua}), ctx)
    macs = 3 * 32 + 4 * 32 * 32 + 32
    assert work["steps"] == 10_000
    assert work["gmac@64"] == pytest.approx(20 * (10_000 * 100 * 3 + 5 * 2 ** 24) * macs / 1e9)


def test_benchmark_files_are_read_by_job_and_by_rule_pattern(tmp_path, toy_work):
    bench = tmp_path / "benchmarks" / "toy"
    bench.mkdir(parents=True)
    header = "s\th:m:s\tmax_rss\n"
    (bench / "1.tsv").write_text(header + "40.0\t0:00:40\t1\n60.0\t0:01:00\t1\n")
    (bench / "old~7.tsv").write_text(header + "25.5\t0:00:25\t1\n")
    (bench / "unrelated.tsv").write_text(header + "99\t0\t1\n")
    assert read_benchmark_seconds(bench / "1.tsv") == 50.0
    dag = JobDag({1: toy(1, gmac=5)}, {1: set()}, {"toy_train": r"benchmarks/toy/old~(?P<steps>\d+)\.tsv"})
    samples = {path: (job, s) for job, s, path in cost.benchmark_samples(dag, tmp_path)}
    assert set(samples) == {"benchmarks/toy/1.tsv", "benchmarks/toy/old~7.tsv"}
    assert samples["benchmarks/toy/1.tsv"] == (dag.jobs[1], 50.0)
    old, seconds = samples["benchmarks/toy/old~7.tsv"]
    assert seconds == 25.5 and old.wildcards["steps"] == "7" and old.wildcards["gmac"] == "5"
    assert cost.benchmark_samples(dag, tmp_path, skip={"benchmarks/toy/1.tsv", "benchmarks/toy/old~7.tsv"}) == []


@pytest.mark.workflow
def test_paper_estimate_of_relu_prime_has_a_row_per_figure_and_gpu_hours(workdir):
    # One stale-looking benchmark of a quick intro trace: calibrates rp_intro_trace through the rule's path pattern.
    bench = workdir / "benchmarks/relu_prime/intro/mnist5k-all-5000/bits~32/iterations~469/trace.tsv"
    bench.parent.mkdir(parents=True)
    bench.write_text("s\th:m:s\n108.0\t0:01:48\n")
    est = run_estimate("paper", "cuda", ["relu_prime"], ["quick"], workdir / "config" / "cost_model.yaml", workdir)
    manifest = next(j for j in est.dag.jobs.values() if j.rule == "paper_manifest")
    figures = {r.figure: r for r in est.rows if r.paper == "relu_prime"}
    assert set(figures) - {cost.OTHER} == set(manifest.params["figures"])
    for fid in ("cifar_vgg11_sgd_test", "svhn_vgg11_adam_train_bn", "imagenet_resnet50", "volume_mnist"):
        assert figures[fid].gpu_h > 0, fid
    assert figures["best_lr"].gpu_h == 0  # stored values, nothing trained
    training = next(r for r in est.rules if r["rule"] == "rp_train")
    assert training["device"] == "gpu" and training["jobs"] == 1791 and training["gpu_h"] > 0
    assert est.model.calibrations["rp_intro_trace"].benchmarks == 1
    totals = {t["paper"]: t for t in est.papers}
    assert math.isclose(totals["relu_prime"]["gpu_h"], sum(r.gpu_h for r in est.rows), rel_tol=1e-9)
    text = render(est)
    assert "COST ESTIMATE (not a measurement)" in text and "cifar_resnet18_sgd_test" in text and "Per paper" in text
