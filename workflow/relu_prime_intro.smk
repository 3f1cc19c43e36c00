"""relu_prime introduction experiment: weight differences and minimal activation (§3.1, §3.2)."""

INTRO = SC["relu_prime"]["intro"]
INTRO_TRACE = "results/relu_prime/intro/{dataset}-{split}-{samples}/bits~{bits}/iterations~{iterations}/trace.csv"

INTRO_TRACES = expand(
    INTRO_TRACE,
    dataset=INTRO["dataset"],
    split=INTRO["split"],
    samples=INTRO["samples"],
    bits=INTRO["bits"],
    iterations=INTRO["iterations"],
)


rule rp_intro_trace:
    """Three MLPs 784-2000-128-10 from identical weights (ReLU'(0)=1 vs 0 vs 0) trained by plain SGD on the
    same batches: per iteration the weight differences before the step and the minimal first-layer
    |pre-activation|. Single thread on CPU, so the exact-zero iteration is reproducible.
    """
    input:
        lambda w: dataset_ready(w.dataset),
    output:
        INTRO_TRACE,
    log:
        INTRO_TRACE.replace("results/", "logs/").replace(".csv", ".log"),
    benchmark:
        INTRO_TRACE.replace("results/", "benchmarks/").replace(".csv", ".tsv")
    wildcard_constraints:
        iterations=r"\d+",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        data_root=config["data_root"],
        activation="relu",
    script:
        "../scripts/relu_prime/intro_trace.py"


rule rp_intro_weight_diff_figure:
    """Introduction figures intro_weight_diff ("1 vs 0" and "0 vs 0" weight differences) and
    intro_min_activation (minimal first-layer |pre-activation|, log axis) per iteration, 32 and 64 bit side
    by side (one papermill notebook draws both; the executed notebook and its HTML are kept under results/).
    """
    input:
        notebook="notebooks/relu_prime/intro_weight_diff.ipynb",
        traces=INTRO_TRACES,
    output:
        pdf="figures/relu_prime/intro_weight_diff.pdf",
        png="figures/relu_prime/intro_weight_diff.png",
        pdf_min="figures/relu_prime/intro_min_activation.pdf",
        png_min="figures/relu_prime/intro_min_activation.png",
        notebook="results/relu_prime/notebooks/intro_weight_diff.ipynb",
        html=report(
            "results/relu_prime/notebooks/intro_weight_diff.html",
            caption="report/notebook.rst",
            category="relu_prime",
            subcategory="executed notebooks",
            labels={"notebook": "intro_weight_diff"},
        ),
    log:
        "logs/relu_prime/intro_weight_diff_figure.log",
    localrule: True
    conda:
        "../envs/notebook.yaml"
    params:
        traces=lambda w, input: ",".join(input.traces),
        note=deviations_note(SCALE, INTRO["deviations"]),
    shell:
        papermill_shell(
            "-p trace_csvs {params.traces:q} -p pdf {output.pdf:q} -p png {output.png:q}"
            " -p pdf_min {output.pdf_min:q} -p png_min {output.png_min:q} -p note {params.note:q}"
        )


register_figure("relu_prime", "intro_weight_diff", INTRO["deviations"])
register_figure("relu_prime", "intro_min_activation", INTRO["deviations"])
