"""Manifests (figures/<paper>/all per paper, figures/all for everything), the gathered claims and the report's
items: each figure's PNG with its caption, the claims summary page, the executed notebooks. Every paper's figures
come from the figure registry (FIGURES, workflow/common.smk), read when the DAG is built: after every rule file
has registered its figures, whatever the include order.
"""


report: "report/workflow.rst"


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
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        shows=lambda w: FIGURES.captions[w.paper][w.fid],
        deviations=lambda w: FIGURES.deviations(w.paper, w.fid),
        scale=SCALE,
        pdf="figures/{paper}/{fid}.pdf",
    shell:
        "cp {input:q} {output:q} 2> {log:q}"


rule paper_manifest:
    """One line per figure of a paper: path, sha256, scale, labelled deviations and claim status."""
    input:
        figures=lambda w: [
            f"figures/{w.paper}/{fid}.pdf" for fid in FIGURES.figures(w.paper)
        ],
        claims="results/{paper}/claims.csv",
        report_items=lambda w: [
            f"results/report/{w.paper}/{fid}.png" for fid in FIGURES.figures(w.paper)
        ],
    output:
        "figures/{paper}/all",
    log:
        "logs/{paper}/manifest.log",
    wildcard_constraints:
        paper="|".join(PAPERS),
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        figures=lambda w: FIGURES.figures(w.paper),
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
    localrule: True
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
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        figures=None,
        scale=SCALE,
    script:
        "../scripts/manifest.py"
