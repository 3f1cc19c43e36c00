"""relu_prime vol_* figures: first-bifurcation CDFs at initialisation for VGG11, ResNet18 and the MNIST MLP
(§3.7-3.13)."""

from relurepro.relu_prime import vol_cdf

VOL_CDF = SC["relu_prime"]["vol_cdf"]
VOL_CDF_CELL = vol_cdf.CELL_CSV
VOL_CDF_CELLS = vol_cdf.cells(VOL_CDF)
VOL_CDF_CELL_CSVS = [VOL_CDF_CELL.format(**c) for c in VOL_CDF_CELLS]
VOL_CDF_PACKS = vol_cdf.cell_packs(VOL_CDF_CELLS, VOL_CDF["cells_per_job"])
# Each figure's deviations: the part's common ones, then the figure's own.
VOL_CDF_DEVIATIONS = {
    fid: VOL_CDF["deviations"] + VOL_CDF["figures"][fid]["deviations"]
    for fid in vol_cdf.FIGURES
}


if not VOL_CDF_PACKS:

    rule rp_volume_cnn_cell:
        """Monte-Carlo runs of one vol_* cell: per seeded initialisation, the first batch on which ReLU'(0)=0
        and ReLU'(0)=1 give different first-layer weight gradients (train mode, no update, data protocol of
        the paper's dataset)."""
        input:
            lambda w: dataset_ready(w.dataset),
        output:
            VOL_CDF_CELL,
        log:
            VOL_CDF_CELL.replace("results/", "logs/").replace(".csv", ".log"),
        benchmark:
            VOL_CDF_CELL.replace("results/", "benchmarks/").replace(".csv", ".tsv")
        wildcard_constraints:
            protocol="cifar|svhn|mnist",
            net=r"(vgg11|resnet18)-w[0-9.]+(-maxpool|-nomaxpool)?|mlp-(relu_everywhere|no_first_relu)-\d+x\d+",
            bn="|".join(vol_cdf.BN_FIELDS),
            max_batches=r"\d+",
            detector="exact|pair",
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            # SVHN extra (531k images) alone is 6.5 GB as float32 tensors.
            mem_mb=lambda w: 40000 if w.dataset == "svhn" else 8000,
            runtime=240,
            gpu=GPU,
        params:
            data_root=config["data_root"],
        script:
            "../scripts/relu_prime/volume_cnn_cell.py"


# cells_per_job > 1: a rule per pack of cells of one dataset (vol_cdf.cell_packs), each cell's runs CSV at its
# usual path; relurepro.pipeline.packs says why packs are rules of their own.
for _pack in VOL_CDF_PACKS:

    rule:
        """A pack of vol_* cells, one after another in one job (vol_cdf.cells_per_job), resumable run by run."""
        name:
            f"rp_volume_cnn_cell__{_pack.name}"
        input:
            dataset_ready(VOL_CDF_CELLS[_pack.runs[0]]["dataset"]),
        output:
            [VOL_CDF_CELL_CSVS[i] for i in _pack.runs],
        log:
            f"logs/relu_prime/volume_cnn/pack_{_pack.name}.log",
        benchmark:
            f"benchmarks/relu_prime/volume_cnn/pack_{_pack.name}.tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=40000 if VOL_CDF_CELLS[_pack.runs[0]]["dataset"] == "svhn" else 8000,
            runtime=240 * len(_pack.runs),
            gpu=GPU,
        params:
            data_root=config["data_root"],
            cells=[VOL_CDF_CELLS[i] for i in _pack.runs],
        script:
            "../scripts/relu_prime/volume_cnn_cell.py"


rule rp_vol_cdf_table:
    """First-bifurcation CDF of every vol_* cell (validated column schema, see relurepro.relu_prime.vol_cdf.COLUMNS)."""
    input:
        VOL_CDF_CELL_CSVS,
    output:
        "results/relu_prime/vol_cdf.csv",
    log:
        "logs/relu_prime/vol_cdf_table.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        cells=VOL_CDF_CELLS,
    script:
        "../scripts/relu_prime/vol_cdf_table.py"


rule rp_vol_cdf_figures:
    """Every vol_* figure, one job for the CSV they share: P(theta in S01) against sample size, two precisions,
    in the original's vol CDF style; scale, deviations, measured values and the paper_quirks mode printed under
    the axes."""
    input:
        "results/relu_prime/vol_cdf.csv",
    output:
        pdf=[f"figures/relu_prime/{fid}.pdf" for fid in vol_cdf.FIGURES],
        png=[f"figures/relu_prime/{fid}.png" for fid in vol_cdf.FIGURES],
    log:
        "logs/relu_prime/vol_cdf_figures.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        figures=list(vol_cdf.FIGURES),
        notes=[
            deviations_note(SCALE, VOL_CDF_DEVIATIONS[fid]) for fid in vol_cdf.FIGURES
        ],
        paper_quirks=config["paper_quirks"],
    script:
        "../scripts/relu_prime/vol_cdf_figures.py"


for _fid, _deviations in VOL_CDF_DEVIATIONS.items():
    register_figure("relu_prime", _fid, _deviations)
