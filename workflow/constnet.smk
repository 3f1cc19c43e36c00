"""constnet: Blumenfeld, Gilboa, Soudry, "Beyond Signal Propagation: Is Feature Diversity Necessary in Deep Neural
Network Initialization?" (ICML 2020)."""

from relurepro.constnet.runs import resolve_arms

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
CN_COMPUTED = (
    "acc_curves",
    "acc_table",
    "symmetry_deviation",
    "weight_corr",
    "diversity",
    "leakynet_table",
    "time_to_break",
    "architecture",
)
CN_NOT_COMPUTED = {
    "toy_unique_features": "the toy model's dataset, width and noise levels must first be transcribed from the "
    "paper (not in the original code)",
    "sigprop": "the signal-propagation comparison's form must first be transcribed from the paper (not in the "
    "original code)",
}
CN_FIGURES = {fid: CN["deviations"] for fid in (*CN_COMPUTED, *CN_NOT_COMPUTED)}
CN_NOTE = deviations_note(SCALE, CN["deviations"])


wildcard_constraints:
    kind="constnet|leakynet",
    cn_fig="|".join(CN_COMPUTED),
    cn_missing="|".join(CN_NOT_COMPUTED),


rule cn_run:
    """One run: a ConstNet arm or a LeakyNet init string, one seed; every epoch's accuracy, symmetry deviation,
    distinct channels and weight correlations (CSV, and TensorBoard events with the original's tags).
    """
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
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/constnet/collect.py"


rule cn_figure:
    """One constnet figure or table from the collected CSVs."""
    input:
        metrics="results/constnet/metrics.csv",
        correlations="results/constnet/correlations.csv",
    output:
        pdf="figures/constnet/{cn_fig}.pdf",
        png="figures/constnet/{cn_fig}.png",
        csv="figures/constnet/{cn_fig}.csv",
    log:
        "logs/constnet/{cn_fig}.log",
    conda:
        "../envs/torch.yaml"
    params:
        net=CN["constnet_net"],
        note=CN_NOTE,
    script:
        "../scripts/constnet/figure.py"


rule cn_not_computed:
    """A constnet figure the original code does not produce and the paper's description is not yet transcribed."""
    output:
        pdf="figures/constnet/{cn_missing}.pdf",
        png="figures/constnet/{cn_missing}.png",
    log:
        "logs/constnet/{cn_missing}.log",
    conda:
        "../envs/torch.yaml"
    params:
        title=lambda w: f"constnet/{w.cn_missing}",
        reason=lambda w: CN_NOT_COMPUTED[w.cn_missing],
        note=CN_NOTE,
    script:
        "../scripts/not_computed.py"


rule cn_claims:
    """The paper's claims checked on this run: symmetry kept bitwise by the deterministic arm, broken and beaten
    by every symmetry-breaking arm."""
    input:
        metrics="results/constnet/metrics.csv",
        correlations="results/constnet/correlations.csv",
        reference="config/reference/constnet.csv",
    output:
        "results/constnet/claims.csv",
    log:
        "logs/constnet/claims.log",
    conda:
        "../envs/torch.yaml"
    params:
        scale=SCALE,
    script:
        "../scripts/constnet/claims.py"
