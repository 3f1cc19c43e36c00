"""uniform_accuracy: Berner, Grohs, Voigtlaender, "Learning ReLU networks to high uniform accuracy is
intractable" (ICLR 2023). Snakemake wildcards replace the original's Ray Tune grid."""

from relurepro.uniform_accuracy import grid as ua_grid

UA = SC["uniform_accuracy"]
UA_TRAIN = ua_grid.TRAIN
UA_TRAIN_CSVS = ua_grid.train_csvs(UA)
UA_FIGURES = {
    "illustration": UA["deviations"],
    **{f"minmax_d{d}": UA["deviations"] for d in UA["dims"]},
    "summary_tables": UA["deviations"],
    "best_models": UA["deviations"],
    "teachers": (
        [f"{UA['teachers']} teachers per dimension (paper: 40)"]
        if UA["teachers"] != 40
        else []
    ),
}
for _fid, _deviations in UA_FIGURES.items():
    register_figure("uniform_accuracy", _fid, _deviations)
UA_METRICS = ["L1", "L2", "Linfinity"]


wildcard_constraints:
    d="1|3",
    exp="[a-z0-9_]+",
    m=r"\d+",
    width=r"\d+",
    part=r"\d+",
    parts=r"\d+",


rule ua_teachers:
    """The 40 (or K) "5x32" teachers of one input dimension in the original's construction order, with their
    fingerprints (first weights, value at 0) checked against the published ones."""
    output:
        weights="results/uniform_accuracy/teachers/d~{d}/teachers.pt",
        fingerprint="results/uniform_accuracy/teachers/d~{d}/teachers.json",
    log:
        "logs/uniform_accuracy/teachers/d~{d}.log",
    benchmark:
        "benchmarks/uniform_accuracy/teachers/d~{d}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        teachers=UA["teachers"],
    script:
        "../scripts/uniform_accuracy/teachers.py"


rule ua_train:
    """One batched training job: the students (teacher x seed) of one part of a (d, experiment, m, width) cell,
    trained together (stacked weights, batched matmuls), evaluated and checkpointed after every iteration.
    """
    input:
        teachers="results/uniform_accuracy/teachers/d~{d}/teachers.pt",
    output:
        metrics=f"{UA_TRAIN}/metrics.csv",
        plots=f"{UA_TRAIN}/plots.npz",
    log:
        UA_TRAIN.replace("results/", "logs/") + ".log",
    benchmark:
        UA_TRAIN.replace("results/", "benchmarks/") + ".tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=720,
        gpu=GPU,
    params:
        ua=UA,
        # names how test points are seeded (docs/uniform_accuracy.md): a changed value reruns jobs and renames
        # their resume checkpoints, so no result or checkpoint from the old seeding is kept
        test_seeding="test seed = SeedSequence child of the trial seed (issue 19)",
    script:
        "../scripts/uniform_accuracy/train.py"


rule ua_sine:
    """The sine run behind the illustration: one deep narrow student on log(sin(50x)+2)+sin(5x), m samples."""
    output:
        metrics="results/uniform_accuracy/sine/metrics.csv",
        plots="results/uniform_accuracy/sine/plots.npz",
    log:
        "logs/uniform_accuracy/sine.log",
    benchmark:
        "benchmarks/uniform_accuracy/sine.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
        gpu=GPU,
    params:
        sine=UA["sine"],
    script:
        "../scripts/uniform_accuracy/sine.py"


rule ua_aggregate:
    """Mean over seeds, max/avg over teachers, min over algorithms (width x experiment x checkpoint) per (d, m,
    metric), with argmins and the reference rates; all runs gathered in one CSV."""
    input:
        UA_TRAIN_CSVS,
    output:
        table="results/uniform_accuracy/aggregated.csv",
        runs="results/uniform_accuracy/runs.csv",
    log:
        "logs/uniform_accuracy/aggregate.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        oracle=UA["oracle_early_stopping"],
        ua=UA,
    script:
        "../scripts/uniform_accuracy/aggregate.py"


rule ua_minmax_figure:
    """Min-max (solid) and min-avg (dotted) L1, L2 and L-infinity errors vs samples, log-log, with power-law
    fits in the legend and the reference rates (dash-dot)."""
    input:
        "results/uniform_accuracy/aggregated.csv",
    output:
        pdf="figures/uniform_accuracy/minmax_d{d}.pdf",
        png="figures/uniform_accuracy/minmax_d{d}.png",
    log:
        "logs/uniform_accuracy/minmax_d{d}.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=deviations_note(SCALE, UA["deviations"]),
    script:
        "../scripts/uniform_accuracy/minmax.py"


rule ua_summary_tables:
    """The notebook's summary tables: algorithms x teachers of seed-averaged errors per (d, m, metric), with
    the max over teachers and the min over algorithms; CSV, LaTeX and an overview figure.
    """
    input:
        runs="results/uniform_accuracy/runs.csv",
    output:
        pdf="figures/uniform_accuracy/summary_tables.pdf",
        png="figures/uniform_accuracy/summary_tables.png",
        tables=[
            f"figures/uniform_accuracy/summary_tables/d~{d}_m~{m}_{metric}.{ext}"
            for d in UA["dims"]
            for m in UA["m"][str(d)]
            for metric in UA_METRICS
            for ext in ("csv", "tex")
        ],
    log:
        "logs/uniform_accuracy/summary_tables.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        dims=UA["dims"],
        m=UA["m"],
        oracle=UA["oracle_early_stopping"],
        note=deviations_note(SCALE, UA["deviations"]),
    script:
        "../scripts/uniform_accuracy/summary_tables.py"


rule ua_best_models:
    """Target vs student of each min-max winner (argmin algorithm, argmax teacher), one page per (d, m,
    metric), seeds side by side, training samples as markers (d = 1; d = 3 along the diagonal).
    """
    input:
        table="results/uniform_accuracy/aggregated.csv",
        plots=[p.replace("metrics.csv", "plots.npz") for p in UA_TRAIN_CSVS],
    output:
        pdf="figures/uniform_accuracy/best_models.pdf",
        png="figures/uniform_accuracy/best_models.png",
    log:
        "logs/uniform_accuracy/best_models.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=deviations_note(SCALE, UA["deviations"]),
    script:
        "../scripts/uniform_accuracy/best_models.py"


rule ua_teachers_figure:
    """All teachers of each dimension overlaid (d = 3 along the diagonal) and their fingerprint table."""
    input:
        weights=expand(
            "results/uniform_accuracy/teachers/d~{d}/teachers.pt", d=UA["dims"]
        ),
        fingerprints=expand(
            "results/uniform_accuracy/teachers/d~{d}/teachers.json", d=UA["dims"]
        ),
    output:
        pdf="figures/uniform_accuracy/teachers.pdf",
        png="figures/uniform_accuracy/teachers.png",
        fingerprint="figures/uniform_accuracy/teachers_fingerprint.csv",
    log:
        "logs/uniform_accuracy/teachers_figure.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        dims=UA["dims"],
        note=deviations_note(SCALE, UA_FIGURES["teachers"]),
    script:
        "../scripts/uniform_accuracy/teachers_figure.py"


rule ua_illustration:
    """The illustration: sine target, trained net and samples on the whole domain and in two zoom windows
    around the largest interior pointwise errors (chosen from the data)."""
    input:
        metrics="results/uniform_accuracy/sine/metrics.csv",
        plots="results/uniform_accuracy/sine/plots.npz",
    output:
        pdf="figures/uniform_accuracy/illustration.pdf",
        png="figures/uniform_accuracy/illustration.png",
        windows="results/uniform_accuracy/illustration_windows.csv",
    log:
        "logs/uniform_accuracy/illustration.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=deviations_note(SCALE, UA["deviations"]),
    script:
        "../scripts/uniform_accuracy/illustration.py"


rule ua_claims:
    """The paper's claims C1-C5 checked on this run (§5.1.6 at paper scale, §5.2.4 otherwise)."""
    input:
        table="results/uniform_accuracy/aggregated.csv",
        windows="results/uniform_accuracy/illustration_windows.csv",
        reference="config/reference/uniform_accuracy.csv",
    output:
        "results/uniform_accuracy/claims.csv",
    log:
        "logs/uniform_accuracy/claims.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        scale=SCALE,
    script:
        "../scripts/uniform_accuracy/claims.py"
