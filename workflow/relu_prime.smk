"""relu_prime: Bertoin et al., "Numerical influence of ReLU'(0) on backpropagation" (NeurIPS 2021)."""

from relurepro.pipeline.packs import cell_packs
from relurepro.relu_prime import volume_mnist

VOL = SC["relu_prime"]["volume_mnist"]
VOL_DATA = f"{VOL['dataset']}-{VOL['split']}-{VOL['samples']}"
VOL_CELL = volume_mnist.CELL_CSV
VOL_CELLS = volume_mnist.cells(VOL)
# Each cell's wildcards, and its runs CSV.
VOL_CELL_FIELDS = [volume_mnist.cell_fields(VOL, c) for c in VOL_CELLS]
VOL_CELL_CSVS = [VOL_CELL.format(**f) for f in VOL_CELL_FIELDS]
VOL_PACKS = volume_mnist.cell_packs(VOL_CELLS, VOL["cells_per_job"])


if not VOL_PACKS:

    rule rp_volume_mlp_cell:
        """Monte-Carlo runs of one volume cell (Section 3): one row per seeded initialisation (and depth, with
        nested depths layers~1-2-3), with the first batch on which ReLU'(0)=0 and ReLU'(0)=1 give different
        first-layer weight gradients (S01) and the first batch with an exact zero at a ReLU input.
        """
        input:
            lambda w: dataset_ready(w.dataset),
        output:
            VOL_CELL,
        log:
            VOL_CELL.replace("results/", "logs/").replace(".csv", ".log"),
        benchmark:
            VOL_CELL.replace("results/", "benchmarks/").replace(".csv", ".tsv")
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=60,
            gpu=GPU,
        params:
            data_root=config["data_root"],
        script:
            "../scripts/relu_prime/volume_mlp_cell.py"


# cells_per_job > 1: a rule per pack of cells of one precision (volume_mnist.cell_packs), each cell's runs CSV at
# its usual path; relurepro.pipeline.packs says why packs are rules of their own.
for _pack in VOL_PACKS:

    rule:
        """A pack of volume cells, one after another in one job (volume_mnist.cells_per_job), resumable run by
        run."""
        name:
            f"rp_volume_mlp_cell__{_pack.name}"
        input:
            dataset_ready(VOL["dataset"]),
        output:
            [VOL_CELL_CSVS[i] for i in _pack.runs],
        log:
            f"logs/relu_prime/volume_mlp/pack_{_pack.name}.log",
        benchmark:
            f"benchmarks/relu_prime/volume_mlp/pack_{_pack.name}.tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=60 * len(_pack.runs),
            gpu=GPU,
        params:
            data_root=config["data_root"],
            cells=[VOL_CELL_FIELDS[i] for i in _pack.runs],
        script:
            "../scripts/relu_prime/volume_mlp_cell.py"


rule rp_volume_mnist_table:
    """Aggregate the volume cells into the four panels of volume_mnist (validated column schema), and the
    original's per-panel CSVs (its column names, plus runs and measured)."""
    input:
        VOL_CELL_CSVS,
    output:
        table="results/relu_prime/volume_mnist.csv",
        panels=[
            f"results/relu_prime/volume_mnist/{name}"
            for name in volume_mnist.PANEL_CSVS
        ],
    log:
        "logs/relu_prime/volume_mnist_table.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        vol=VOL,
        cells=VOL_CELLS,
        paper_quirks=config["paper_quirks"],
    script:
        "../scripts/relu_prime/volume_mnist_table.py"


rule rp_volume_mnist_figure:
    """Section 3 figure: P(theta in S01) at initialisation by sample size, neurons, layers and batch size,
    for 16, 32 and 64 bit (R + ggplot2, as the original)."""
    input:
        "results/relu_prime/volume_mnist.csv",
    output:
        pdf="figures/relu_prime/volume_mnist.pdf",
        png="figures/relu_prime/volume_mnist.png",
    log:
        "logs/relu_prime/volume_mnist_figure.log",
    localrule: True
    conda:
        "../envs/r.yaml"
    params:
        note=f"{deviations_note(SCALE, VOL['deviations'])}. {volume_mnist.display_note(config['paper_quirks'])}",
    script:
        "../scripts/relu_prime/volume_mnist.R"


STATS = SC["relu_prime"]["volume_mnist_stats"]
STATS_RUNS = (
    "results/relu_prime/volume_stats/{dataset}-{split}-{samples}/comparison~{comparison}/bits~{bits}/"
    "runs~{runs}/batches.csv"
)
# Each (comparison, precision) cell's wildcards, and its runs CSV.
STATS_CELLS = [
    dict(
        dataset=VOL["dataset"],
        split=VOL["split"],
        samples=VOL["samples"],
        comparison=comparison,
        bits=bits,
        runs=STATS[key][str(bits)],
    )
    for comparison, key in (("1_vs_0", "runs"), ("0_vs_0", "control_runs"))
    for bits in volume_mnist.BITS
]
STATS_CSVS = [STATS_RUNS.format(**c) for c in STATS_CELLS]
STATS_PACKS = cell_packs(
    STATS_CELLS,
    STATS["cells_per_job"],
    group=lambda c: "all",
    what="relu_prime volume_mnist_stats.cells_per_job",
)


if not STATS_PACKS:

    rule rp_volume_stats_runs:
        """Norm-diff runs (§3.6): every batch of one pass, first-layer gradient norms of ReLU'(0)=0 vs =1
        (or the 0-vs-0 control) on the no_first_relu MLP, N=256, L=3, batch 256."""
        input:
            lambda w: dataset_ready(w.dataset),
        output:
            STATS_RUNS,
        log:
            STATS_RUNS.replace("results/", "logs/").replace(".csv", ".log"),
        benchmark:
            STATS_RUNS.replace("results/", "benchmarks/").replace(".csv", ".tsv")
        wildcard_constraints:
            comparison="1_vs_0|0_vs_0",
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=120,
            gpu=GPU,
        params:
            data_root=config["data_root"],
        script:
            "../scripts/relu_prime/volume_stats_runs.py"


# cells_per_job > 1: the cells in packs (relurepro.pipeline.packs.cell_packs), each cell's CSV at its usual path;
# a pack writes each cell's CSV as it ends (the runs are not resumable, so a failed pack reruns whole).
for _pack in STATS_PACKS:

    rule:
        """A pack of norm-diff cells, one after another in one job (volume_mnist_stats.cells_per_job)."""
        name:
            f"rp_volume_stats_runs__{_pack.name}"
        input:
            dataset_ready(VOL["dataset"]),
        output:
            [STATS_CSVS[i] for i in _pack.runs],
        log:
            f"logs/relu_prime/volume_stats/pack_{_pack.name}.log",
        benchmark:
            f"benchmarks/relu_prime/volume_stats/pack_{_pack.name}.tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=120 * len(_pack.runs),
            gpu=GPU,
        params:
            data_root=config["data_root"],
            cells=[STATS_CELLS[i] for i in _pack.runs],
        script:
            "../scripts/relu_prime/volume_stats_runs.py"


rule rp_volume_mnist_stats_table:
    """Section-3 statistics table: % runs and % minibatches affected (correct and the original's
    double-divided value), quantiles of the relative gradient difference, with the 0-vs-0 control.
    """
    input:
        STATS_CSVS,
    output:
        csv="results/relu_prime/volume_mnist_stats.csv",
    log:
        "logs/relu_prime/volume_mnist_stats_table.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/relu_prime/volume_mnist_stats_table.py"


rule rp_volume_mnist_stats:
    """The Section-3 statistics table drawn as a figure page."""
    input:
        csv="results/relu_prime/volume_mnist_stats.csv",
    output:
        pdf="figures/relu_prime/volume_mnist_stats.pdf",
        png="figures/relu_prime/volume_mnist_stats.png",
    log:
        "logs/relu_prime/volume_mnist_stats.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=deviations_note(SCALE, STATS["deviations"]),
    script:
        "../scripts/relu_prime/volume_mnist_stats.py"


register_figure("relu_prime", "volume_mnist", VOL["deviations"])
register_figure("relu_prime", "volume_mnist_stats", STATS["deviations"])


rule rp_claims:
    """The paper's claims checked on this run's aggregated tables, beside the published numbers."""
    input:
        volume="results/relu_prime/volume_mnist.csv",
        stats="results/relu_prime/volume_mnist_stats.csv",
        vol_cdf="results/relu_prime/vol_cdf.csv",
        zeros="results/relu_prime/zeros_ratio.csv",
        # one aggregated table per training experiment (rules rp_train_figures__<experiment>)
        training=[
            f"results/relu_prime/train_{e}.csv"
            for e in SC["relu_prime"]["training"]["experiments"]
        ],
        # intro traces and the ImageNet table (paper scale only, else empty) are declared in files included
        # after this one: input functions read them once every file is parsed
        intro=lambda w: INTRO_TRACES,
        zone=lambda w: ZONE_GRID_CSV,
        imagenet=lambda w: IMAGENET_FIGURE_TABLE,
        reference="config/reference/relu_prime.csv",
    output:
        "results/relu_prime/claims.csv",
    log:
        "logs/relu_prime/claims.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        scale=SCALE,
        default_layers=VOL["default"]["layers"],
    script:
        "../scripts/relu_prime/claims.py"
