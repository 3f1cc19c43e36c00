"""Manifests (figures/<paper>/all per paper, figures/all for everything), the gathered claims and the report's
items: each figure's PNG with its caption, the claims summary page, the executed notebooks.
"""

import yaml

PAPERS = {
    "relu_prime": RELU_PRIME_FIGURES,
    "uniform_accuracy": UA_FIGURES,
    "resnet_ode": RO_FIGURES,
    "leaf": LEAF_FIGURES,
    "constnet": CN_FIGURES,
}

# What each figure shows, for its report caption; a figure without one stops the run here.
with open(Path(workflow.basedir) / "workflow" / "report" / "captions.yaml") as f:
    CAPTIONS = yaml.safe_load(f)
for _paper, _figures in PAPERS.items():
    _missing = sorted(set(_figures) - set(CAPTIONS.get(_paper, {})))
    if _missing:
        raise ValueError(
            f"workflow/report/captions.yaml has no caption for {_paper} figures {_missing}"
        )


report: "report/workflow.rst"


localrules:
    paper_manifest,
    manifest,
    report_figure,
    claims_summary,


rule report_figure:
    """A figure's PNG as a report item, captioned with what it shows, the scale and its labelled deviations."""
    input:
        "figures/{paper}/{fid}.png",
    output:
        report(
            "results/report/{paper}/{fid}.png",
            caption="report/figure.rst",
            category="{paper}",
            subcategory="figures",
            labels={"figure": "{fid}"},
        ),
    log:
        "logs/{paper}/report_{fid}.log",
    wildcard_constraints:
        paper="|".join(PAPERS),
        fid=r"[a-z0-9_]+",
    conda:
        "../envs/torch.yaml"
    params:
        shows=lambda w: CAPTIONS[w.paper][w.fid],
        deviations=lambda w: PAPERS[w.paper][w.fid],
        scale=SCALE,
        pdf="figures/{paper}/{fid}.pdf",
    shell:
        "cp {input:q} {output:q} 2> {log:q}"


rule paper_manifest:
    """One line per figure of a paper: path, sha256, scale, labelled deviations and claim status."""
    input:
        figures=lambda w: [f"figures/{w.paper}/{fid}.pdf" for fid in PAPERS[w.paper]],
        claims="results/{paper}/claims.csv",
        report_items=lambda w: [
            f"results/report/{w.paper}/{fid}.png" for fid in PAPERS[w.paper]
        ],
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


rule claims_summary:
    """Every paper's claims in results/claims.csv, and the report's claims page: measured beside published."""
    input:
        [f"results/{paper}/claims.csv" for paper in PAPERS],
    output:
        csv="results/claims.csv",
        html=report(
            "results/report/claims.html",
            caption="report/claims.rst",
            category="claims",
        ),
    log:
        "logs/claims_summary.log",
    conda:
        "../envs/torch.yaml"
    params:
        papers=list(PAPERS),
    script:
        "../scripts/claims_summary.py"


rule manifest:
    """Every paper's manifest gathered into figures/all."""
    input:
        manifests=[f"figures/{paper}/all" for paper in PAPERS],
        claims="results/claims.csv",
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
