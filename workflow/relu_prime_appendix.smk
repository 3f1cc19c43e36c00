"""relu_prime appendix items: exact zeros per ReLU call (zeros_ratio, §3.28), ImageNet ResNet50
(imagenet_resnet50, §3.29, paper scale only) and the original's tuned learning rates (best_lr, §3.30).
"""

from relurepro.relu_prime.grid import zeros_ratio_jobs

# --- zeros_ratio -----------------------------------------------------------------------------------------------
ZEROS = SC["relu_prime"]["zeros_ratio"]
ZEROS_DATA = f"{ZEROS['dataset']}-{ZEROS['split']}-{ZEROS['samples']}"
ZEROS_COUNT = (
    "results/relu_prime/zeros_ratio/{protocol}/{dataset}-{split}-{samples}/bits~{bits}/layers~{layer_list}/"
    "neurons~{neuron_list}/runs~{runs}/epochs~{epochs}/counts.csv"
)
ZEROS_COUNTS = [
    ZEROS_COUNT.format(
        protocol=ZEROS["protocol"],
        dataset=ZEROS["dataset"],
        split=ZEROS["split"],
        samples=ZEROS["samples"],
        epochs=ZEROS["epochs"],
        **job,
    )
    for job in zeros_ratio_jobs(ZEROS)
]
# 100 training epochs per job at paper scale; one cheap forward pass per initialisation otherwise.
ZEROS_RUNTIME = 240 if ZEROS["protocol"] == "train" else 30


rule rp_zeros_count:
    """Exact zeros in the hidden pre-activations of the zero-counting MLP, for the (L, N) cells of one job at
    one precision: per SGD epoch (protocol train, the original) or per random initialisation (protocol init,
    the CPU variant)."""
    input:
        lambda w: dataset_ready(w.dataset),
    output:
        ZEROS_COUNT,
    log:
        ZEROS_COUNT.replace("results/", "logs/").replace(".csv", ".log"),
    benchmark:
        ZEROS_COUNT.replace("results/", "benchmarks/").replace(".csv", ".tsv")
    wildcard_constraints:
        protocol="init|train",
        layer_list=r"\d+(-\d+)*",
        neuron_list=r"\d+(-\d+)*",
        epochs=r"\d+",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=ZEROS_RUNTIME,
        gpu=GPU,
    params:
        data_root=config["data_root"],
        zeros=ZEROS,
    script:
        "../scripts/relu_prime/zeros_count.py"


rule rp_zeros_ratio_table:
    """Aggregate the zero counts per (L, N, precision): the true zeros-per-call ratio and the original's
    mislabelled y (validated column schema)."""
    input:
        ZEROS_COUNTS,
    output:
        "results/relu_prime/zeros_ratio.csv",
    log:
        "logs/relu_prime/zeros_ratio_table.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        dataset=ZEROS_DATA.replace("-", ":"),
    script:
        "../scripts/relu_prime/zeros_ratio_table.py"


rule rp_zeros_ratio_figure:
    """Figure zeros_ratio: the original's y quantity (S10, its labels under paper_quirks) and the true
    exact zeros per ReLU call, log y, by precision (papermill notebook)."""
    input:
        notebook="notebooks/relu_prime/zeros_ratio.ipynb",
        table="results/relu_prime/zeros_ratio.csv",
    output:
        pdf="figures/relu_prime/zeros_ratio.pdf",
        png="figures/relu_prime/zeros_ratio.png",
        notebook="results/relu_prime/notebooks/zeros_ratio.ipynb",
        html=report(
            "results/relu_prime/notebooks/zeros_ratio.html",
            caption="report/notebook.rst",
            category="relu_prime",
            subcategory="executed notebooks",
            labels={"notebook": "zeros_ratio"},
        ),
    log:
        "logs/relu_prime/zeros_ratio_figure.log",
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        note=deviations_note(SCALE, ZEROS["deviations"]),
        quirks=config["paper_quirks"],
    shell:
        papermill_shell(
            "-p table_csv {input.table:q} -p pdf {output.pdf:q} -p png {output.png:q}"
            " -p note {params.note:q} -p paper_quirks {params.quirks}"
        )


# --- imagenet_resnet50 (paper scale only) ---------------------------------------------------------------------
IMAGENET = SC["relu_prime"]["imagenet_resnet50"]
IMAGENET_RUN = (
    "results/relu_prime/imagenet_resnet50/alpha~{alpha}/run~{run}/metrics.csv"
)
IMAGENET_KEYS = [(a, r) for a in IMAGENET["alphas"] for r in range(IMAGENET["runs"])]
IMAGENET_RUNS = [IMAGENET_RUN.format(alpha=a, run=r) for a, r in IMAGENET_KEYS]
IMAGENET_TABLE = "results/relu_prime/imagenet_resnet50.csv"
# Below paper scale nothing is trained: the figure rule gets no table and draws a "not computed" notice.
IMAGENET_FIGURE_TABLE = [IMAGENET_TABLE] if IMAGENET["compute"] else []


rule rp_imagenet_train:
    """One ResNet50 run on ImageNet-1k with ReLU'(0)=alpha, protocol P4 (90 epochs, checkpoint every epoch,
    resumable). Needs config imagenet_dir; the job fails with a clear message when it is not set.
    """
    output:
        IMAGENET_RUN,
    log:
        IMAGENET_RUN.replace("results/", "logs/").replace(".csv", ".log"),
    benchmark:
        IMAGENET_RUN.replace("results/", "benchmarks/").replace(".csv", ".tsv")
    wildcard_constraints:
        alpha=r"-?\d+(\.\d+)?",
        run=r"\d+",
    conda:
        "../envs/torch.yaml"
    threads: job_threads(max(1, IMAGENET["workers"]))
    resources:
        mem_mb=64000,
        runtime=4320,
        gpu=GPU,
    params:
        imagenet_dir=config["imagenet_dir"],
        imagenet=IMAGENET,
        relu_grad_mode=config.get("relu_grad_mode", "set"),
    script:
        "../scripts/relu_prime/imagenet_train.py"


rule rp_imagenet_table:
    """Final validation top-1/top-5 per alpha over the ImageNet runs."""
    input:
        IMAGENET_RUNS,
    output:
        IMAGENET_TABLE,
    log:
        "logs/relu_prime/imagenet_table.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        runs=IMAGENET_KEYS,
    script:
        "../scripts/relu_prime/imagenet_table.py"


rule rp_imagenet_resnet50_figure:
    """Table figure imagenet_resnet50: final top-1/top-5 per alpha at paper scale; at other scales a page that
    says it is not computed (papermill notebook)."""
    input:
        notebook="notebooks/relu_prime/imagenet_resnet50.ipynb",
        table=IMAGENET_FIGURE_TABLE,
    output:
        pdf="figures/relu_prime/imagenet_resnet50.pdf",
        png="figures/relu_prime/imagenet_resnet50.png",
        notebook="results/relu_prime/notebooks/imagenet_resnet50.ipynb",
        html=report(
            "results/relu_prime/notebooks/imagenet_resnet50.html",
            caption="report/notebook.rst",
            category="relu_prime",
            subcategory="executed notebooks",
            labels={"notebook": "imagenet_resnet50"},
        ),
    log:
        "logs/relu_prime/imagenet_resnet50_figure.log",
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        table=lambda w, input: ",".join(input.table) or "none",
        note=deviations_note(SCALE, IMAGENET["deviations"]),
        scale=SCALE,
    shell:
        papermill_shell(
            "-p table_csv {params.table:q} -p pdf {output.pdf:q} -p png {output.png:q}"
            " -p scale {params.scale} -p note {params.note:q}"
        )


# --- best_lr ---------------------------------------------------------------------------------------------------
BEST_LR = SC["relu_prime"]["best_lr"]


rule rp_best_lr_figure:
    """Table best_lr: the tuned learning rates stored in the original code (protocol P3), validated and
    rendered (table + lr against alpha), with the table as CSV; not regenerated."""
    input:
        notebook="notebooks/relu_prime/best_lr.ipynb",
        reference="config/reference/relu_prime_best_lr.csv",
    output:
        csv="results/relu_prime/best_lr.csv",
        pdf="figures/relu_prime/best_lr.pdf",
        png="figures/relu_prime/best_lr.png",
        notebook="results/relu_prime/notebooks/best_lr.ipynb",
        html=report(
            "results/relu_prime/notebooks/best_lr.html",
            caption="report/notebook.rst",
            category="relu_prime",
            subcategory="executed notebooks",
            labels={"notebook": "best_lr"},
        ),
    log:
        "logs/relu_prime/best_lr_figure.log",
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        note=deviations_note(SCALE, BEST_LR["deviations"]),
    shell:
        papermill_shell(
            "-p reference_csv {input.reference:q} -p table_csv {output.csv:q} -p pdf {output.pdf:q}"
            " -p png {output.png:q} -p note {params.note:q}"
        )


register_figure("relu_prime", "zeros_ratio", ZEROS["deviations"])
register_figure("relu_prime", "imagenet_resnet50", IMAGENET["deviations"])
register_figure("relu_prime", "best_lr", BEST_LR["deviations"])
