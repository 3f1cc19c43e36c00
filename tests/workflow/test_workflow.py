"""The pipeline as users run it: lint, formatting, dry-runs at every scale, config errors, a smoke run,
and a single-figure rebuild."""

import re
import sys

import json

import pandas as pd
import pytest
import yaml

from conftest import REPO, copy_workflow, snakemake

from relurepro import manifest
from relurepro.cost.dag import load_dag, load_rules
from relurepro.pipeline.rules import base_rule
from relurepro.cost.work import WORK
from relurepro.relu_prime.volume_mnist import COLUMNS, validate_aggregate

pytestmark = pytest.mark.workflow


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a Snakemake dry-run or run, a pack's jobs counted as its rule's."""
    stats, counts = output.split("Job stats:")[1], {}
    for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M):
        if m[1] != "total":
            counts[base_rule(m[1])] = counts.get(base_rule(m[1]), 0) + int(m[2])
    return counts


def test_lint_is_clean(workdir):
    proc = snakemake(workdir, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt_check():
    import subprocess

    snakefmt = REPO / ".venv" / "bin" / "snakefmt"
    exe = [str(snakefmt)] if snakefmt.exists() else [sys.executable, "-m", "snakefmt"]
    proc = subprocess.run([*exe, "--check", "Snakefile", "workflow"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# Each paper's rule files and the prefix every rule in them carries; the shared files' rules keep neutral names.
PREFIXES = {"relu_prime": "rp_", "uniform_accuracy": "ua_", "resnet_ode": "ro_", "leaf": "leaf_", "constnet": "cn_"}
SHARED_RULES = {"all", "not_computed", "download_dataset", "report_figure", "paper_manifest", "claims_summary",
                "manifest"}


@pytest.mark.parametrize("scale", ["smoke", "quick", "paper"])
def test_every_rule_is_local_or_a_priced_compute_rule(workdir, scale):
    """Where a rule runs is stated: `localrule: True` (a light step on the submit host), or a compute rule with a
    benchmark, a work model (relurepro.cost.work) and coefficients in config/cost_model.yaml, so the cost
    estimate never prices a new compute rule as light. Every rule name the cost model and the SLURM profile give
    is a rule, and every rule carries its paper's prefix."""
    rules, _ = load_rules(scale, workdir)
    table = yaml.safe_load((workdir / "config" / "cost_model.yaml").read_text())["rules"]
    # a pack rule (leaf_train__<pack>) is priced as the rule it runs
    unpriced = [r.name for r in rules.values() if not r.local and not (r.benchmark and base_rule(r.name) in WORK
                                                                           and base_rule(r.name) in table)]
    assert not unpriced, f"compute rules without a benchmark or a cost-model entry: {unpriced}"
    slurm = yaml.safe_load((workdir / "profiles" / "slurm" / "config.yaml").read_text())["set-resources"]
    assert not [name for name in slurm if name in rules and rules[name].local], "SLURM resources for a local rule"
    if scale == "paper":  # every rule exists at paper scale (ro_tied_imagenet_figure only there)
        for names, where in ((WORK, "relurepro.cost.work.WORK"), (table, "config/cost_model.yaml"),
                             (slurm, "profiles/slurm/config.yaml")):
            assert not set(names) - set(rules), f"{where} names no rule: {sorted(set(names) - set(rules))}"
    for rule in rules.values():
        paper = next((p for p in PREFIXES if rule.snakefile.startswith(f"workflow/{p}")), None)
        if paper is None:
            assert rule.name in SHARED_RULES, f"{rule.name} ({rule.snakefile}): not a shared rule"
        else:
            assert rule.name.startswith(PREFIXES[paper]), f"{rule.name} ({rule.snakefile}): no {PREFIXES[paper]}"


def _reorder_includes(root):
    """The Snakefile with every include after common.smk (data, the papers' rule files, report) in reverse order."""
    snakefile = root / "Snakefile"
    lines = snakefile.read_text().splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if line.startswith("include: ")]
    assert lines[at[0]] == 'include: "workflow/common.smk"\n' and at == list(range(at[0], at[0] + len(at)))
    lines[at[1]:at[-1] + 1] = reversed(lines[at[1]:at[-1] + 1])
    snakefile.write_text("".join(lines))
    return [line.split('"')[1] for line in lines[at[0]:at[-1] + 1]]


def _jobs_by_output(dag):
    """Each job keyed by its outputs, with its rule, wildcards, params, benchmark, placement and inputs' jobs."""
    outputs = {jobid: job.outputs for jobid, job in dag.jobs.items()}
    return {job.outputs: (job.rule, job.wildcards, json.dumps(job.params, sort_keys=True, default=str), job.benchmark,
                          job.gpu, job.threads, job.local, sorted(outputs[d] for d in dag.deps[jobid]))
            for jobid, job in dag.jobs.items()}


def test_include_order_does_not_matter(workdir, tmp_path_factory):
    """Rule files define what they use and read only common.smk's globals; figures register through
    register_figure: the rule files included in reverse order give the same rules, the same figure registry
    (in the same order, so the same manifests) and the same job DAG."""
    reordered = copy_workflow(tmp_path_factory.mktemp("reordered"))
    order = _reorder_includes(reordered)
    assert order[1] == "workflow/report.smk" and order[-1] == "workflow/data.smk"
    for scale in ("smoke", "paper"):
        rules, figures = load_rules(scale, workdir)
        rules_reordered, figures_reordered = load_rules(scale, reordered)
        assert rules == rules_reordered, scale
        assert {p: list(f.items()) for p, f in figures.items()} == {
            p: list(f.items()) for p, f in figures_reordered.items()}, scale
        assert all(figures.values()), scale
    dag = load_dag("smoke", "cpu", ["figures/all"], workdir)
    assert _jobs_by_output(dag) == _jobs_by_output(load_dag("smoke", "cpu", ["figures/all"], reordered))


@pytest.mark.parametrize("scale", ["smoke", "quick", "paper"])
def test_dry_run_every_scale(workdir, scale):
    # How long planning takes is measured by bench/bench_workflow.py (a benchmark, not a timed test).
    proc = snakemake(workdir, "-n", "figures/all", "--config", f"scale={scale}")
    counts = job_counts(proc.stdout)
    assert counts["manifest"] == 1 and counts["rp_volume_mnist_figure"] == 1 and counts["rp_volume_mlp_cell"] > 0
    # A cluster job gets its wildcards on a command line (--target-jobs rule:key=value,...): no value may hold the
    # separators "," and "=".
    wildcards = re.findall(r"^\s*wildcards: (.*)$", proc.stdout, re.M)
    assert wildcards
    bad = [w for w in wildcards for pair in w.split(", ") if not re.fullmatch(r"\w+=[^,=]*", pair)]
    assert not bad, bad[:3]


def test_paper_dry_run_lists_the_papers_runs_offline(workdir):
    proc = snakemake(workdir, "-n", "-p", "figures/all", "--config", "scale=paper")
    cells = re.findall(r"volume_mlp/mnist-train-60000/variant~(\w+)/layers~([\d-]+)/neurons~(\d+)/batch~(\d+)"
                       r"/bits~(\d+)/detector~exact/runs~(\d+)/runs.csv", proc.stdout)
    cells = set(cells)
    # Per precision: the five depths at N=256 nested in one job, four other widths and four other batch sizes
    # at L=3, and the sample-size cell; 1000 runs (64 bit: 10).
    assert len(cells) == 3 * 10
    assert ("relu_everywhere", "1-2-3-5-6", "256", "256", "32", "1000") in cells
    assert {c[5] for c in cells if c[4] in ("16", "32")} == {"1000"}
    assert {c[5] for c in cells if c[4] == "64"} == {"10"}
    assert ("relu_everywhere", "3", "1024", "256", "32", "1000") in cells
    assert ("no_first_relu", "3", "256", "256", "16", "1000") in cells
    # The official archives are jobs to run (one per dataset), not something fetched while planning.
    downloads = set(re.findall(r"data/(\w+)/verified\.json", proc.stdout))
    assert {"mnist", "cifar10", "svhn"} <= downloads
    assert job_counts(proc.stdout)["download_dataset"] == len(downloads)
    # vol_* CDFs: 7 figures x 2 precisions, full-width nets, exact S01, 1000 runs (SVHN 64 bit: 10).
    vol = set(re.findall(r"volume_cnn/([\w-]+)/protocol~(\w+)/net~([\w.-]+)/bn~(\w+)/batch~(\d+)/max~(\d+)"
                         r"/bits~(\d+)/detector~exact/runs~(\d+)/runs.csv", proc.stdout))
    assert len(vol) == 14
    assert ("cifar10-train-50000", "cifar", "resnet18-w1-maxpool", "native", "128", "200", "16", "1000") in vol
    assert ("svhn-extra-531131", "svhn", "vgg11-w1", "0", "128", "4150", "64", "10") in vol
    assert not (workdir / "data").exists()


def test_paper_dry_run_lists_every_uniform_accuracy_trial(workdir):
    proc = snakemake(workdir, "-n", "figures/uniform_accuracy/all", "--config", "scale=paper")
    jobs = set(re.findall(r"uniform_accuracy/train/d~(\d)/exp~(\w+)/m~(\d+)/width~(\d+)/part~(\d+)of(\d+)"
                          r"/metrics.csv", proc.stdout))
    # 2 dimensions x 3 batch settings x 4 sample sizes x 3 widths, each cell's 40 teachers x 3 seeds in 6 jobs
    # of 20 students: 8,640 teacher-student trials.
    assert len(jobs) == 2 * 3 * 4 * 3 * 6 and {j[5] for j in jobs} == {"6"}
    assert {j[1] for j in jobs} == {"exp_0", "exp_1", "exp_2"} and {j[2] for j in jobs} == {"100", "1000", "10000",
                                                                                            "100000"}
    assert {j[3] for j in jobs} == {"32", "512", "2048"}
    counts = job_counts(proc.stdout)
    assert counts["ua_sine"] == 1 and counts["ua_teachers"] == 2 and counts["ua_train"] == len(jobs)


def test_paper_dry_run_lists_every_resnet_ode_run_on_gpu(workdir):
    proc = snakemake(workdir, "-n", "figures/resnet_ode/all", "--config", "scale=paper", "device=cuda")
    runs = set(re.findall(r"resnet_ode/tiny/depth~(\d+)/method~(\w+)/grad~(\w+)/seed~(\d+)/metrics.csv", proc.stdout))
    # Figure 3c: 6 depths x 2 integrators x (backprop + adjoint with 2 batch-norm handlings) x seeds 1-4.
    assert len(runs) == 6 * 2 * 3 * 4 and {r[3] for r in runs} == {"1", "2", "3", "4"}
    assert {r[0] for r in runs} == {"2", "4", "8", "16", "32", "64"}
    assert {r[2] for r in runs} == {"backprop", "adjoint_update", "adjoint_restore"}
    counts = job_counts(proc.stdout)
    assert counts["ro_tiny_train"] == len(runs) and counts["ro_imagenet_run"] == 3
    assert counts["ro_cifar_tied"] == counts["ro_cifar_finetune"] == counts["ro_imagenet_finetune"] == 1
    assert counts["ro_tied_imagenet_figure"] == 1 and "not_computed" not in counts
    for rule in ("ro_tiny_train", "ro_imagenet_run", "ro_cifar_tied", "ro_imagenet_finetune"):
        blocks = re.findall(rf"rule {rule}:.*?resources: ([^\n]*)", proc.stdout, re.S)
        assert blocks and all("gpu=1" in b for b in blocks), rule
    # Figure 4 starts from the depth-32 adjoint-trained seed-1 runs.
    grad_block = re.search(r"rule ro_gradient_errors:.*?input: ([^\n]*)", proc.stdout, re.S)[1]
    assert "depth~32/method~euler/grad~adjoint_update/seed~1/model.pt" in grad_block
    assert "depth~32/method~heun/grad~adjoint_update/seed~1/model.pt" in grad_block


def test_paper_dry_run_lists_every_leaf_run(workdir):
    proc = snakemake(workdir, "-n", "figures/leaf/all", "--config", "scale=paper", "device=cuda")
    runs = set(re.findall(r"results/leaf/train/net~(\w+)/ds~([\w-]+)/af~(\w+)/type~(\w+)/opt~(\w+)/dspt~(\d)"
                          r"/p24sl~(\d)/seed~(\d+)/stat.csv", proc.stdout))
    # The 148 README runs and the 36 the original figures need besides (leaf §3.0).
    assert len(runs) == 184 and job_counts(proc.stdout)["leaf_train"] == 184
    assert sum(r[5] == "1" for r in runs) == 56  # DSPT runs (about twice the compute)
    assert {r[7] for r in runs} == {"42", "100", "128", "1999", "7823"}
    assert ("kerasnet", "cifar10", "ReLU", "leaf", "rmsprop", "0", "1", "42") in runs
    blocks = re.findall(r"rule leaf_train:.*?resources: ([^\n]*)", proc.stdout, re.S)
    assert blocks and all("gpu=1" in b for b in blocks)
    assert "not_computed" not in job_counts(proc.stdout)


def test_paper_dry_run_lists_the_constnet_runs(workdir):
    proc = snakemake(workdir, "-n", "figures/constnet/all", "--config", "scale=paper", "device=cuda")
    runs = set(re.findall(r"results/constnet/(\w+)/([\w]+)/seed~(\d+)/metrics.csv", proc.stdout))
    # The README's five ConstNet runs and the LeakyNet script's seven init strings.
    assert {r[1] for r in runs if r[0] == "constnet"} == {"constnet", "constnet_he", "constnet_deterministic",
                                                         "constnet_cuda_dropout", "constnet_dropout"}
    assert {r[1] for r in runs if r[0] == "leakynet"} == {"h_hhhh_hhhh_hhhh", "i_iiii_iiii_iiii", "1_iiii_iiii_iiii",
                                                         "1_iiii_11ii_iiii", "1_iiii_1111_iiii", "1_ii11_ii11_ii11",
                                                         "1_1111_1111_1111"}
    assert job_counts(proc.stdout)["cn_run"] == 12
    blocks = re.findall(r"rule cn_run:.*?resources: ([^\n]*)", proc.stdout, re.S)
    assert blocks and all("gpu=1" in b for b in blocks)


@pytest.mark.parametrize("override,key", [("foo=1", "foo"), ("threads=abc", "threads"), ("scale=huge", "scale"),
                                          ("device=gpu", "device")])
def test_bad_config_fails_before_any_job_naming_the_key(workdir, override, key):
    proc = snakemake(workdir, "--cores", "1", "figures/all", "--config", override, check=False)
    assert proc.returncode != 0
    assert key in proc.stderr + proc.stdout
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()


@pytest.mark.parametrize("old,new,key", [
    ("runs: {16: 6, 32: 10, 64: 2}", "runs: {16: 6, 32: many, 64: 2}", "many"),
    ("minibatches: epoch_shuffle, per_iteration: 5, iterations: 2",  # the sine trial shuffles per epoch only
     "minibatches: with_replacement, per_iteration: 5, iterations: 2", "with_replacement")])
def test_bad_scale_file_value_names_the_key(workdir, old, new, key):
    path = workdir / "config" / "scales" / "smoke.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    proc = snakemake(workdir, "-n", "figures/all", "--config", "scale=smoke", check=False)
    assert proc.returncode != 0
    out = proc.stderr + proc.stdout
    assert f"'{old.split(':')[0]}'" in out and key in out
    assert f"scale file {path}" in out  # which file, not only "Error validating config file"


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "relu_prime: {}\n"])
def test_empty_or_partial_scale_file_is_an_error_naming_the_file(workdir, text):
    path = workdir / "config" / "scales" / "smoke.yaml"
    path.write_text(text)
    proc = snakemake(workdir, "-n", "figures/all", "--config", "scale=smoke", check=False)
    out = proc.stderr + proc.stdout
    assert proc.returncode != 0
    assert f"scale file {path}" in out and "KeyError" not in out


def test_empty_override_restores_the_empty_default(workdir):
    """`--config mirror=` reads as null; for the keys whose default is empty it means that default again."""
    proc = snakemake(workdir, "-n", "figures/relu_prime/volume_mnist.pdf", "--config", "scale=smoke", "mirror=",
                     "imagenet_dir=", "allow_redirect_hosts=", check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = snakemake(workdir, "-n", "figures/relu_prime/volume_mnist.pdf", "--config", "scale=smoke", "data_root=",
                     check=False)
    assert proc.returncode != 0 and "data_root" in proc.stderr + proc.stdout  # no empty default to restore


@pytest.mark.parametrize("override", ["allow_redirect_hosts=[example.org]", "allow_redirect_hosts=http://a.org"])
def test_allow_redirect_hosts_must_be_a_list_of_origins(workdir, override):
    proc = snakemake(workdir, "-n", "figures/relu_prime/volume_mnist.pdf", "--config", "scale=smoke", override,
                     check=False)
    assert proc.returncode != 0 and "allow_redirect_hosts" in proc.stderr + proc.stdout


def test_data_root_with_braces_is_refused_by_name(workdir):
    """Braces would read as wildcards in the download rule's output: a config error naming data_root instead."""
    proc = snakemake(workdir, "-n", "figures/all", "--config", "scale=paper", "data_root=/tmp/d{x}", check=False)
    out = proc.stderr + proc.stdout
    assert proc.returncode != 0
    assert "schema['properties']['data_root']" in out and "braces" in out
    assert "Wildcard" not in out and "RuleException" not in out


def test_one_figure_needs_only_its_own_jobs(workdir):
    proc = snakemake(workdir, "-n", "figures/relu_prime/volume_mnist.pdf", "--config", "scale=smoke")
    assert set(job_counts(proc.stdout)) == {"rp_volume_mlp_cell", "rp_volume_mnist_table", "rp_volume_mnist_figure"}


def test_smoke_run_builds_every_figure_and_manifest(smoke_run):
    rows = manifest.read(smoke_run / "figures" / "all")
    assert {r["figure"] for r in rows} >= {"relu_prime/volume_mnist", "relu_prime/intro_weight_diff"}
    for row in rows:
        pdf = smoke_run / row["path"]
        assert pdf.read_bytes()[:4] == b"%PDF"
        assert row["sha256"] == manifest.sha256(pdf)
        assert row["scale"] == "smoke" and row["deviations"] != "none"
    claims = {r["figure"]: r["claims"] for r in rows}
    assert re.fullmatch(r"\d+ checked: \d+ pass, \d+ fail; \d+ not checked", claims["relu_prime/volume_mnist"])
    assert (smoke_run / "results" / "relu_prime" / "claims.csv").exists()
    # Every row of every paper has a status, and the ones a smoke run cannot fail say why they are not checked.
    table = pd.read_csv(smoke_run / "results" / "claims.csv", keep_default_na=False, dtype=str)
    assert set(table.status) <= {"pass", "fail", "not_checked"} and (table.reason != "").eq(
        table.status == "not_checked").all()
    # Every job deleted its resume checkpoints once its outputs were written (a forced rerun starts afresh).
    assert not sorted((smoke_run / "results").rglob("checkpoint*")), "checkpoints left after a finished run"
    table = pd.read_csv(smoke_run / "results" / "relu_prime" / "volume_mnist.csv")
    assert list(table.columns) == list(COLUMNS)
    validate_aggregate(table)
    # Every 64-bit cell was really computed (runs > 0) and found no bifurcation.
    assert (table[table.bits == 64]["runs"] > 0).all() and (table[table.bits == 64]["bifurcated"] == 0).all()
    panels = smoke_run / "results" / "relu_prime" / "volume_mnist"
    by_layers = pd.read_csv(panels / "volume_estimation_by_number_of_layers_MNIST.csv", index_col=0)
    assert list(by_layers.columns) == ["precision", "count", "nb_layers", "runs", "measured"]
    assert {"uniform_accuracy/minmax_d3", "uniform_accuracy/illustration", "uniform_accuracy/best_models",
            "uniform_accuracy/summary_tables", "uniform_accuracy/teachers"} <= {r["figure"] for r in rows}
    assert re.fullmatch(r"\d+ checked: \d+ pass, \d+ fail; \d+ not checked", claims["uniform_accuracy/minmax_d3"])
    prints = pd.read_csv(smoke_run / "figures" / "uniform_accuracy" / "teachers_fingerprint.csv")
    assert prints[prints.expected.notna()].matches.all()
    notebooks = smoke_run / "results" / "relu_prime" / "notebooks"
    assert (notebooks / "intro_weight_diff.ipynb").exists() and (notebooks / "intro_weight_diff.html").exists()


def test_a_rebuild_after_a_smoke_run_does_nothing(smoke_run):
    # Before the single-figure rebuild below, which leaves the manifests older than a figure. How long a no-op
    # rebuild takes is measured by bench/bench_workflow.py (a benchmark, not a timed test).
    proc = snakemake(smoke_run, "--cores", "1", "figures/all", "--config", "scale=smoke")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_rebuilding_one_figure_reruns_only_that_figure(smoke_run):
    (smoke_run / "figures" / "relu_prime" / "volume_mnist.pdf").unlink()
    proc = snakemake(smoke_run, "--cores", "1", "figures/relu_prime/volume_mnist.pdf", "--config", "scale=smoke")
    assert job_counts(proc.stderr + proc.stdout) == {"rp_volume_mnist_figure": 1}
    assert (smoke_run / "figures" / "relu_prime" / "volume_mnist.pdf").exists()

