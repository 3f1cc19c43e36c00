"""Manifests: figures/<paper>/all per paper and figures/all for everything."""

PAPERS = {
    "relu_prime": RELU_PRIME_FIGURES,
    "uniform_accuracy": UA_FIGURES,
    "resnet_ode": RO_FIGURES,
    "leaf": LEAF_FIGURES,
    "constnet": CN_FIGURES,
}


localrules:
    paper_manifest,
    manifest,


rule paper_manifest:
    """One line per figure of a paper: path, sha256, scale and labelled deviations."""
    input:
        figures=lambda w: [f"figures/{w.paper}/{fid}.pdf" for fid in PAPERS[w.paper]],
        claims="results/{paper}/claims.csv",
    output:
        "figures/{paper}/all",
    log:
        "logs/{paper}/manifest.log",
    wildcard_constraints:
        paper="|".join(PAPERS),
    conda:
        "../envs/torch.yaml"
    params:
        figures=lambda w: PAPERS[w.paper],
        scale=SCALE,
    script:
        "../scripts/manifest.py"


rule manifest:
    """Every paper's manifest gathered into figures/all."""
    input:
        [f"figures/{paper}/all" for paper in PAPERS],
    output:
        "figures/all",
    log:
        "logs/manifest.log",
    conda:
        "../envs/torch.yaml"
    params:
        figures=None,
        scale=SCALE,
    script:
        "../scripts/manifest.py"
