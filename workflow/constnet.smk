"""constnet: Blumenfeld, Gilboa, Soudry, "Beyond Signal Propagation: Is Feature Diversity Necessary in Deep Neural
Network Initialization?" (ICML 2020)."""

from relurepro.constnet.grid import COMPUTED_FIGURES, resolve_arms

CN = SC["constnet"]
CN_ARMS = {
    "constnet": resolve_arms(CN["arms"], CN["nondet"]),
    "leakynet": resolve_arms(
        {
            init: {"init": init, "breaker": "nondet", "droprate": 0.0}
            for init in CN["leakynet_inits"]
        },
        CN["nondet"],
    ),
}
CN_RUN = "results/constnet/{kind}/{name}/seed~{seed}"
CN_RUNS = [
    CN_RUN.format(kind=kind, name=name, seed=seed)
    for kind, arms in CN_ARMS.items()
    for name in arms
    for seed in CN["seeds"]
]
CN_COMPUTED = COMPUTED_FIGURES
# Figures the original code does not make, rebuilt from the paper's summary (relurepro.constnet.toy, .sigprop):
# each carries this label on the figure and in the manifest.
CN_RECONSTRUCTED = ("toy_unique_features", "sigprop")
CN_RECONSTRUCTED_LABEL = (
    "setup reconstructed from the paper's description; dataset, width and noise levels not published in "
    "accessible text"
)
CN_FIGURES = {
    **{fid: CN["deviations"] for fid in CN_COMPUTED},
    "toy_unique_features": [CN_RECONSTRUCTED_LABEL, *CN["toy"]["deviations"]],
    "sigprop": [CN_RECONSTRUCTED_LABEL, *CN["sigprop"]["deviations"]],
}
for _fid, _deviations in CN_FIGURES.items():
    register_figure("constnet", _fid, _deviations)
CN_NOTE = deviations_note(SCALE, CN["deviations"])


wildcard_constraints:
    kind="constnet|leakynet",
    cn_recon="|".join(CN_RECONSTRUCTED),


rule cn_run:
    """One run: a ConstNet arm or a LeakyNet init string, one seed; every epoch's accuracy, symmetry deviation,
    distinct channels and weight correlations (CSV, and TensorBoard events with the original's tags).
    """
    input:
        data=dataset_ready(CN["data"]),
    output:
        metrics=f"{CN_RUN}/metrics.csv",
        correlations=f"{CN_RUN}/correlations.csv",
        tensorboard=directory(f"{CN_RUN}/tensorboard"),
    log:
        "logs/constnet/{kind}/{name}/seed~{seed}.log",
    benchmark:
        "benchmarks/constnet/{kind}/{name}/seed~{seed}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=1440,
        gpu=GPU,
    params:
        kind=lambda w: w.kind,
        arm=lambda w: CN_ARMS[w.kind][w.name],
        net=lambda w: CN[f"{w.kind}_net"],
        schedule=lambda w: CN[f"{w.kind}_schedule"],
        data=CN["data"],
        train_samples=CN["train_samples"],
    script:
        "../scripts/constnet/train.py"


rule cn_collect:
    """Every run's epochs and correlations in two CSVs."""
    input:
        metrics=[f"{run}/metrics.csv" for run in CN_RUNS],
        correlations=[f"{run}/correlations.csv" for run in CN_RUNS],
    output:
        metrics="results/constnet/metrics.csv",
        correlations="results/constnet/correlations.csv",
    log:
        "logs/constnet/collect.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        epochs={kind: CN[f"{kind}_schedule"]["epochs"] for kind in CN_ARMS},
    script:
        "../scripts/constnet/collect.py"


rule cn_figures:
    """Every constnet figure and table drawn from the collected CSVs, in one job; each also writes the numbers it
    shows as CSV."""
    input:
        metrics="results/constnet/metrics.csv",
        correlations="results/constnet/correlations.csv",
    output:
        pdf=[f"figures/constnet/{fid}.pdf" for fid in CN_COMPUTED],
        png=[f"figures/constnet/{fid}.png" for fid in CN_COMPUTED],
        csv=[f"figures/constnet/{fid}.csv" for fid in CN_COMPUTED],
    log:
        "logs/constnet/figures.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        figures=list(CN_COMPUTED),
        net=CN["constnet_net"],
        note=CN_NOTE,
    script:
        "../scripts/constnet/figures.py"


rule cn_toy:
    """The toy model of unique features (reconstruction): one-hidden-layer ReLU nets whose hidden layer starts with
    k distinct units, trained per k, noise level and seed; final accuracies in one CSV.
    """
    output:
        "results/constnet/toy_unique_features.csv",
    log:
        "logs/constnet/toy_unique_features.log",
    benchmark:
        "benchmarks/constnet/toy_unique_features.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        # the labels are not inputs: relabelling reruns no computation
        toy={k: v for k, v in CN["toy"].items() if k != "deviations"},
    script:
        "../scripts/constnet/toy.py"


rule cn_sigprop:
    """Signal propagation at initialisation (reconstruction): activation and gradient variance per layer of
    ConstNet, LeakyNet, He, Fixup and Delta-Orthogonal stacks per depth and seed, in one CSV.
    """
    output:
        "results/constnet/sigprop.csv",
    log:
        "logs/constnet/sigprop.log",
    benchmark:
        "benchmarks/constnet/sigprop.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,  # paper scale: depth 256 keeps every layer for the backward pass
        runtime=120,
    params:
        sigprop={k: v for k, v in CN["sigprop"].items() if k != "deviations"},
    script:
        "../scripts/constnet/sigprop.py"


rule cn_reconstruction_figure:
    """A reconstructed constnet figure from its job's CSV, labelled as a reconstruction."""
    input:
        "results/constnet/{cn_recon}.csv",
    output:
        pdf="figures/constnet/{cn_recon}.pdf",
        png="figures/constnet/{cn_recon}.png",
        csv="figures/constnet/{cn_recon}.csv",
    log:
        "logs/constnet/{cn_recon}_figure.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        label=CN_RECONSTRUCTED_LABEL,
        note=lambda w: deviations_note(SCALE, CN_FIGURES[w.cn_recon]),
    script:
        "../scripts/constnet/reconstruction_figure.py"


rule cn_claims:
    """The paper's claims checked on this run (relurepro.constnet.claims.CLAIMS): symmetry kept bitwise by the
    deterministic arm, broken and beaten by every symmetry-breaking arm, He init matched, LeakyNet's blocking
    strings, correlation levels; the reconstructed toy model's and signal propagation's statements.
    """
    input:
        metrics="results/constnet/metrics.csv",
        correlations="results/constnet/correlations.csv",
        reference="config/reference/constnet.csv",
        toy="results/constnet/toy_unique_features.csv",
        sigprop="results/constnet/sigprop.csv",
    output:
        "results/constnet/claims.csv",
    log:
        "logs/constnet/claims.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        scale=SCALE,
    script:
        "../scripts/constnet/claims.py"
