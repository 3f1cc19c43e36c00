"""relu_prime training figures: last-epoch test accuracy boxes and train-loss curves by ReLU'(0) for VGG11,
ResNet18 and the MNIST MLP (§3.14-3.27); faithful float32 and, at CPU scales, the labelled stress tier.
"""

from relurepro.relu_prime.grid import JobSpec, experiment_jobs
from relurepro.relu_prime.figures import FIGURES as TRAIN_FIGURES

TRAIN = SC["relu_prime"]["training"]
TRAIN_JOB = "results/relu_prime/train/{job}/metrics.csv"
# Experiment name -> its job CSVs (self-describing paths, relurepro.relu_prime.grid.JobSpec).
TRAIN_JOBS = {
    name: [job.path() for job in experiment_jobs(exp)]
    for name, exp in TRAIN["experiments"].items()
}
TRAIN_FIGURE_TABLE = {
    fid: f"results/relu_prime/train_{spec['experiment']}.csv"
    for fid, spec in TRAIN_FIGURES.items()
}
# Each figure's deviations: the part's common ones, then its experiment's.
TRAIN_FIGURE_DEVIATIONS = {
    fid: TRAIN["deviations"] + TRAIN["experiments"][spec["experiment"]]["deviations"]
    for fid, spec in TRAIN_FIGURES.items()
}
TRAIN_FIGURES_OF_KIND = {
    kind: "|".join(fid for fid, s in TRAIN_FIGURES.items() if s["kind"] == kind)
    for kind in ("test_box", "train_curve")
}


rule rp_train:
    """Train the runs of one job (every bn x alpha x dropout x seed its path lists) in float32 with TF32 off
    and deterministic kernels; one row per run and epoch with losses, accuracies, lr, exact-zero counts and
    the diverged flag. Checkpoints after each epoch; a restarted job resumes its runs.
    """
    input:
        lambda w: dataset_ready(JobSpec.from_path(f"{w.job}/metrics.csv").dataset),
    output:
        TRAIN_JOB,
    log:
        "logs/relu_prime/train/{job}.log",
    benchmark:
        "benchmarks/relu_prime/train/{job}.tsv"
    wildcard_constraints:
        job=r"net~[^/]+(/[a-z]+~[^/]+)+",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        # SVHN extra (531k images) is 6.5 GB as float32 tensors.
        mem_mb=lambda w: 40000 if "data~svhn-" in w.job else TRAIN["mem_mb"],
        runtime=TRAIN["runtime_min"],
        gpu=GPU,
    params:
        data_root=config["data_root"],
        test_batch_size=TRAIN["test_batch_size"],
    script:
        "../scripts/relu_prime/train_job.py"


rule rp_train_table:
    """One experiment's aggregated training table (columns: relurepro.relu_prime.aggregate.COLUMNS, validated;
    a malformed job CSV fails the rule naming the file)."""
    input:
        lambda w: TRAIN_JOBS[w.experiment],
    output:
        "results/relu_prime/train_{experiment}.csv",
    log:
        "logs/relu_prime/train_{experiment}.log",
    wildcard_constraints:
        experiment="|".join(TRAIN_JOBS),
    localrule: True
    conda:
        "../envs/notebook.yaml"
    script:
        "../scripts/relu_prime/train_table.py"


rule rp_test_box:
    """Test box (§3 styles): last-epoch test accuracy by ReLU'(0), hue batch norm (mnist_dropout: by
    dropout, hue ReLU'(0)); one panel per tier with its exact-zero count; diverged runs counted.
    """
    input:
        lambda w: TRAIN_FIGURE_TABLE[w.figure],
    output:
        pdf="figures/relu_prime/{figure}.pdf",
        png="figures/relu_prime/{figure}.png",
    log:
        "logs/relu_prime/{figure}_figure.log",
    wildcard_constraints:
        figure=TRAIN_FIGURES_OF_KIND["test_box"],
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        note=lambda w: deviations_note(SCALE, TRAIN_FIGURE_DEVIATIONS[w.figure]),
        paper_quirks=config["paper_quirks"],
        fixed_ylim=TRAIN["fixed_ylim"],
    script:
        "../scripts/relu_prime/train_figure.py"


rule rp_train_curve:
    """Train curve (§3 styles): train loss by epoch, mean +- 1 sd over runs, one line per ReLU'(0), for
    one batch-norm setting; one panel per tier with its exact-zero count."""
    input:
        lambda w: TRAIN_FIGURE_TABLE[w.figure],
    output:
        pdf="figures/relu_prime/{figure}.pdf",
        png="figures/relu_prime/{figure}.png",
    log:
        "logs/relu_prime/{figure}_figure.log",
    wildcard_constraints:
        figure=TRAIN_FIGURES_OF_KIND["train_curve"],
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        note=lambda w: deviations_note(SCALE, TRAIN_FIGURE_DEVIATIONS[w.figure]),
        paper_quirks=config["paper_quirks"],
        fixed_ylim=TRAIN["fixed_ylim"],
    script:
        "../scripts/relu_prime/train_figure.py"


for _fid, _deviations in TRAIN_FIGURE_DEVIATIONS.items():
    register_figure("relu_prime", _fid, _deviations)
