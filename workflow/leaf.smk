"""leaf: Bodyanskiy, Kostiuk, "Learnable Extended Activation Function for Deep Neural Networks" (2023)."""

from relurepro.leaf.grid import CURVES, Run, packs as leaf_packs, runs as leaf_runs

LEAF = SC["leaf"]
LEAF_RUNS = leaf_runs(LEAF)
LEAF_PACKS = leaf_packs(LEAF_RUNS, LEAF["runs_per_job"])
# One run's paths as wildcard patterns (rule leaf_train, one run per job).
LEAF_RUN = Run(
    "{net}", "{ds}", "{af}", "{type}", "{opt}", "{dspt}", "{p24sl}", "{seed}"
)
LEAF_PAIRS = [
    (net, ds) for net in LEAF["nets"] for ds in LEAF["datasets"] if LEAF["datasets"][ds]
]
LEAF_DATASETS = [ds for ds in ("f-mnist", "cifar10") if LEAF["datasets"].get(ds)]
# What a run of a dataset column waits for: its download (digits28 is built from the embedded 8x8 digits).
LEAF_DATA_READY = {
    ds: dataset_ready(name) if name not in (None, "digits28") else []
    for ds, name in LEAF["datasets"].items()
}
LEAF_TABLES = [
    f"table_{group}_{net}"
    for group in ("lin_un", "bou_fn")
    for net in ("lenet5", "kerasnet")
]
# The tables of a network the scale does not train: a page saying so (rule not_computed, workflow/common.smk).
for _fid in (*LEAF_TABLES, "table_seeds", *CURVES, "af_shapes", "af_diff"):
    register_figure("leaf", _fid, LEAF["deviations"])
LEAF_NOTE = deviations_note(SCALE, LEAF["deviations"])


wildcard_constraints:
    net="lenet5|kerasnet",
    ds="f-mnist|cifar10",
    af="ReLU|SiLU|Tanh|Sigmoid",
    type="base|ahaf|leaf",
    opt="adam|rmsprop",
    dspt="0|1",
    p24sl="0|1",
    group="lin_un|bou_fn",


if not LEAF_PACKS:

    rule leaf_train:
        """One leaf run: network x dataset x activation x type x optimizer x procedure x seed, resumable."""
        input:
            data=lambda w: LEAF_DATA_READY[w.ds],
        output:
            stat=LEAF_RUN.path(),
            params=LEAF_RUN.path("params.csv"),
            shapes=LEAF_RUN.path("shapes.csv"),
        log:
            "logs/leaf/train/{net}_{ds}_{af}_{type}_{opt}_dspt{dspt}_p24sl{p24sl}_seed{seed}.log",
        benchmark:
            "benchmarks/leaf/train/{net}_{ds}_{af}_{type}_{opt}_dspt{dspt}_p24sl{p24sl}_seed{seed}.tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=3000,
            runtime=240,
            gpu=GPU,
        params:
            leaf=LEAF,
        script:
            "../scripts/leaf/train.py"


# runs_per_job > 1: a rule per pack of runs of one network and dataset (relurepro.leaf.grid.packs), each run's
# outputs at its usual path; relurepro.pipeline.packs says why packs are rules of their own.
for _pack in LEAF_PACKS:

    rule:
        """A pack of leaf runs, one after another in one job (leaf.runs_per_job), resumable run by run."""
        name:
            f"leaf_train__{_pack.name}"
        input:
            data=LEAF_DATA_READY[_pack.runs[0].ds],
        output:
            stat=[r.path() for r in _pack.runs],
            params=[r.path("params.csv") for r in _pack.runs],
            shapes=[r.path("shapes.csv") for r in _pack.runs],
        log:
            f"logs/leaf/train/pack_{_pack.name}.log",
        benchmark:
            f"benchmarks/leaf/train/pack_{_pack.name}.tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=3000,
            runtime=240 * len(_pack.runs),
            gpu=GPU,
        params:
            leaf=LEAF,
            runs=[vars(r) for r in _pack.runs],
        script:
            "../scripts/leaf/train.py"


rule leaf_collect:
    """Every run's epochs in one CSV, a summary row per run (best accuracy, 1-based epoch, epoch time), and the
    learned-parameter statistics."""
    input:
        stats=[r.path() for r in LEAF_RUNS],
        params=[r.path("params.csv") for r in LEAF_RUNS],
    output:
        epochs="results/leaf/epochs.csv",
        summary="results/leaf/summary.csv",
        params="results/leaf/params.csv",
    log:
        "logs/leaf/collect.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        epochs=LEAF["epochs"],
    script:
        "../scripts/leaf/collect.py"


rule leaf_table:
    """Best test accuracy tables of one group (linear units or bounded functions) for one network."""
    input:
        "results/leaf/summary.csv",
    output:
        pdf="figures/leaf/table_{group}_{net}.pdf",
        png="figures/leaf/table_{group}_{net}.png",
        csvs=[
            f"figures/leaf/tables/{{net}}_{ds}_summary_{{group}}_adam_stat_table.csv"
            for ds in LEAF_DATASETS
        ],
        tex="figures/leaf/tables/{net}_all_summary_{group}_adam_stat_table.tex",
    log:
        "logs/leaf/table_{group}_{net}.log",
    wildcard_constraints:
        net="|".join(LEAF["nets"]),
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        datasets=LEAF_DATASETS,
        seed=42,
        note=LEAF_NOTE,
    script:
        "../scripts/leaf/tables.py"


rule leaf_seeds_table:
    """The multi-seed table: each seed's best accuracy, mean +- std, min and max per configuration."""
    input:
        "results/leaf/summary.csv",
    output:
        pdf="figures/leaf/table_seeds.pdf",
        png="figures/leaf/table_seeds.png",
        csv="figures/leaf/tables/table_seeds.csv",
        tex="figures/leaf/tables/table_seeds.tex",
    log:
        "logs/leaf/table_seeds.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=LEAF_NOTE,
    script:
        "../scripts/leaf/seeds_table.py"


rule leaf_curves:
    """Every training-curve figure in one job: test accuracy and training loss per epoch, a page per (network,
    dataset); missing series listed."""
    input:
        "results/leaf/epochs.csv",
    output:
        pdf=[f"figures/leaf/{curve}.pdf" for curve in CURVES],
        png=[f"figures/leaf/{curve}.png" for curve in CURVES],
        missing=[f"results/leaf/missing/{curve}.txt" for curve in CURVES],
    log:
        "logs/leaf/curves.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        curves=list(CURVES),
        pairs=LEAF_PAIRS,
        note=LEAF_NOTE,
    script:
        "../scripts/leaf/curves.py"


rule leaf_af_shapes:
    """Learned activation shapes: base vs learned function of 5 random neurons per layer, a page per run."""
    input:
        [r.path("shapes.csv") for r in LEAF_RUNS if r.type != "base" and r.seed == 42],
    output:
        pdf="figures/leaf/af_shapes.pdf",
        png="figures/leaf/af_shapes.png",
        missing="results/leaf/missing/af_shapes.txt",
    log:
        "logs/leaf/af_shapes.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        pairs=LEAF_PAIRS,
        note=LEAF_NOTE,
    script:
        "../scripts/leaf/af_shapes.py"


rule leaf_af_diff:
    """Every AHAF/LEAF initialisation (and the hand-written SiLU/tanh) against its reference, per dtype."""
    output:
        pdf="figures/leaf/af_diff.pdf",
        png="figures/leaf/af_diff.png",
        csv="results/leaf/af_diff.csv",
    log:
        "logs/leaf/af_diff.log",
    # light (eight functions on 100,001 points per dtype, well under a second): on the submit host
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=LEAF_NOTE,
    script:
        "../scripts/leaf/af_diff.py"


rule leaf_claims:
    """The paper's claims checked on this run (leaf §1, §2.2; every id in src/relurepro/leaf/claims.py)."""
    input:
        summary="results/leaf/summary.csv",
        epochs="results/leaf/epochs.csv",
        params="results/leaf/params.csv",
        af_diff="results/leaf/af_diff.csv",
        reference="config/reference/leaf.csv",
    output:
        "results/leaf/claims.csv",
    log:
        "logs/leaf/claims.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        scale=SCALE,
        test_samples=LEAF["test_samples"],
    script:
        "../scripts/leaf/claims.py"
