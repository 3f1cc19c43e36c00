"""relu_prime introduction, continued: the bifurcation zone (§3.3) and the ReLU6 variant (§3.4)."""

ZONE = SC["relu_prime"]["intro_bifurcation_zone"]
ZONE_GRID = "results/relu_prime/intro_zone/{dataset}-{split}-{samples}/max_iterations~{iterations}/zone.csv"
ZONE_GRID_CSV = ZONE_GRID.format(
    dataset=ZONE["dataset"],
    split=ZONE["split"],
    samples=ZONE["samples"],
    iterations=ZONE["max_iterations"],
)

RELU6 = SC["relu_prime"]["intro_relu6"]
RELU6_TRACE = "results/relu_prime/intro_relu6/{dataset}-{split}-{samples}/bits~{bits}/iterations~{iterations}/trace.csv"
RELU6_TRACES = expand(
    RELU6_TRACE,
    dataset=RELU6["dataset"],
    split=RELU6["split"],
    samples=RELU6["samples"],
    bits=RELU6["bits"],
    iterations=RELU6["iterations"],
)


rule rp_intro_bifurcation_zone_grid:
    """Retrain net1 (ReLU'(0)=1, float32, the intro seeds) to the first iteration with an exact-zero
    first-layer pre-activation, then evaluate |that pre-activation| on a grid of first-layer weights
    W + x P1 + y P2 in 32 and 64 bit. Single thread on CPU, as the intro traces."""
    input:
        lambda w: dataset_ready(w.dataset),
    output:
        ZONE_GRID,
    log:
        ZONE_GRID.replace("results/", "logs/").replace(".csv", ".log"),
    benchmark:
        ZONE_GRID.replace("results/", "benchmarks/").replace(".csv", ".tsv")
    wildcard_constraints:
        iterations=r"\d+",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        data_root=config["data_root"],
        bits=ZONE["bits"],
        points=ZONE["points"],
        half_width=ZONE["half_width"],
        direction_seed=ZONE["direction_seed"],
    script:
        "../scripts/relu_prime/intro_bifurcation_zone.py"


rule rp_intro_bifurcation_zone_figure:
    """Introduction figure intro_bifurcation_zone: contours of |pre-activation| around the first exact zero,
    32 bit (a flat band of exact zeros) beside 64 bit (a thin valley); papermill notebook.
    """
    input:
        notebook="notebooks/relu_prime/intro_bifurcation_zone.ipynb",
        grid=ZONE_GRID_CSV,
    output:
        pdf="figures/relu_prime/intro_bifurcation_zone.pdf",
        png="figures/relu_prime/intro_bifurcation_zone.png",
        notebook="results/relu_prime/notebooks/intro_bifurcation_zone.ipynb",
        html=report(
            "results/relu_prime/notebooks/intro_bifurcation_zone.html",
            caption="report/notebook.rst",
            category="relu_prime",
            subcategory="executed notebooks",
            labels={"notebook": "intro_bifurcation_zone"},
        ),
    log:
        "logs/relu_prime/intro_bifurcation_zone_figure.log",
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        note=deviations_note(SCALE, ZONE["deviations"]),
    shell:
        papermill_shell(
            "-p zone_csv {input.grid:q} -p pdf {output.pdf:q} -p png {output.png:q}"
            " -p note {params.note:q}"
        )


rule rp_intro_relu6_trace:
    """ReLU6 variant of the intro trace: three MLPs 784-4000-256-10 (net1 ReLU6AlphaBeta(1,0) then (1,1),
    net2/net3 native ReLU6), NumPy seed 1234, torch seed 13; weight differences and min |z|, min |z-6|.
    """
    input:
        lambda w: dataset_ready(w.dataset),
    output:
        RELU6_TRACE,
    log:
        RELU6_TRACE.replace("results/", "logs/").replace(".csv", ".log"),
    benchmark:
        RELU6_TRACE.replace("results/", "benchmarks/").replace(".csv", ".tsv")
    wildcard_constraints:
        iterations=r"\d+",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        data_root=config["data_root"],
        activation="relu6",
    script:
        "../scripts/relu_prime/intro_trace.py"


rule rp_intro_relu6_figure:
    """Introduction figure intro_relu6 (appendix): weight differences and the distances to both ReLU6 kinks
    (min |z|, min |z-6|) per iteration, 32 and 64 bit (papermill notebook; distinct file names, S21).
    """
    input:
        notebook="notebooks/relu_prime/intro_relu6.ipynb",
        traces=RELU6_TRACES,
    output:
        pdf="figures/relu_prime/intro_relu6.pdf",
        png="figures/relu_prime/intro_relu6.png",
        notebook="results/relu_prime/notebooks/intro_relu6.ipynb",
        html=report(
            "results/relu_prime/notebooks/intro_relu6.html",
            caption="report/notebook.rst",
            category="relu_prime",
            subcategory="executed notebooks",
            labels={"notebook": "intro_relu6"},
        ),
    log:
        "logs/relu_prime/intro_relu6_figure.log",
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        traces=lambda w, input: ",".join(input.traces),
        note=deviations_note(SCALE, RELU6["deviations"]),
    shell:
        papermill_shell(
            "-p trace_csvs {params.traces:q} -p pdf {output.pdf:q} -p png {output.png:q}"
            " -p note {params.note:q}"
        )


register_figure("relu_prime", "intro_bifurcation_zone", ZONE["deviations"])
register_figure("relu_prime", "intro_relu6", RELU6["deviations"])
