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
# Experiment name -> the figures drawn from its table.
TRAIN_EXPERIMENT_FIGURES = {
    name: [fid for fid, spec in TRAIN_FIGURES.items() if spec["experiment"] == name]
    for name in TRAIN_JOBS
}
# Each figure's deviations: the part's common ones, then its experiment's.
TRAIN_FIGURE_DEVIATIONS = {
    fid: TRAIN["deviations"] + TRAIN["experiments"][spec["experiment"]]["deviations"]
    for fid, spec in TRAIN_FIGURES.items()
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


# One job per experiment: its table and every figure drawn from it (a rule each, since an experiment's figures are
# not a pattern of its name; relurepro.pipeline.rules.base_rule counts them as rp_train_figures).
for _experiment, _fids in TRAIN_EXPERIMENT_FIGURES.items():

    rule:
        """One experiment's aggregated training table (columns: relurepro.relu_prime.aggregate.COLUMNS,
        validated; a malformed job CSV fails the rule naming the file) and its figures: test boxes (last-epoch
        test accuracy by ReLU'(0), hue batch norm; mnist_dropout by dropout) and train curves (train loss by
        epoch, mean +- 1 sd over runs, one line per ReLU'(0)), one panel per tier with its exact-zero count.
        """
        name:
            f"rp_train_figures__{_experiment}"
        input:
            TRAIN_JOBS[_experiment],
        output:
            table=f"results/relu_prime/train_{_experiment}.csv",
            pdf=[f"figures/relu_prime/{fid}.pdf" for fid in _fids],
            png=[f"figures/relu_prime/{fid}.png" for fid in _fids],
        log:
            f"logs/relu_prime/train_{_experiment}.log",
        localrule: True
        conda:
            "../envs/notebook.yaml"
        params:
            experiment=_experiment,
            figures=_fids,
            notes=[
                deviations_note(SCALE, TRAIN_FIGURE_DEVIATIONS[fid]) for fid in _fids
            ],
            paper_quirks=config["paper_quirks"],
            fixed_ylim=TRAIN["fixed_ylim"],
        script:
            "../scripts/relu_prime/train_figures.py"


for _fid, _deviations in TRAIN_FIGURE_DEVIATIONS.items():
    register_figure("relu_prime", _fid, _deviations)
