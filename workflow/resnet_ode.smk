"""resnet_ode: Sander, Ablin, Peyre, "Do Residual Neural Networks discretize Neural Ordinary Differential
Equations?" (NeurIPS 2022). Small scales train tiny nets on digits; the paper scale adds CIFAR-10 and ImageNet.
"""

from relurepro.resnet_ode import grid as ro_grid

RO = SC["resnet_ode"]
RO_TINY = ro_grid.TINY
RO_TINY_RUNS = ro_grid.tiny_runs(RO)
RO_TINY_PACKS = ro_grid.tiny_packs(RO)
RO_PAPER = ro_grid.is_paper(RO)
RO_FAILURE_RUNS = ro_grid.failure_runs(RO)
RO_TIED_CIFAR = ro_grid.tied_cifar(RO)
RO_FINETUNES = ro_grid.finetunes(RO)
RO_GRADIENT_MODELS = ro_grid.gradient_models(RO)
# tied_imagenet below paper scale: a page saying it is not computed (rule not_computed, workflow/common.smk)
for _fid in (
    "linear_weights",
    "tied_cifar",
    "tied_imagenet",
    "adjoint_failure_imagenet",
    "cifar_depth_error",
    "gradient_errors",
    "finetune_table",
    "memory",
    "reconstruction_error",
):
    register_figure("resnet_ode", _fid, RO["deviations"])
RO_NOTE = deviations_note(SCALE, RO["deviations"])


wildcard_constraints:
    depth=r"\d+",
    method="euler|heun",
    grad="backprop|adjoint_(restore|update|eval)",
    ro_run="tied|resnet101_backprop|resnet101_adjoint",


rule ro_linear:
    """Figure 2's linear residual net trained by SGD from zero; weights at every step, roughness per N."""
    output:
        weights="results/resnet_ode/linear/weights.csv",
        summary="results/resnet_ode/linear/summary.csv",
    log:
        "logs/resnet_ode/linear.log",
    benchmark:
        "benchmarks/resnet_ode/linear.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        linear=RO["linear"],
    script:
        "../scripts/resnet_ode/linear.py"


rule ro_linear_figure:
    """Figure 2: weight curves vs depth at the chosen steps, and the roughness of the weights vs N."""
    input:
        weights="results/resnet_ode/linear/weights.csv",
        summary="results/resnet_ode/linear/summary.csv",
    output:
        pdf="figures/resnet_ode/linear_weights.pdf",
        png="figures/resnet_ode/linear_weights.png",
    log:
        "logs/resnet_ode/linear_weights.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        linear=RO["linear"],
        note=RO_NOTE,
    script:
        "../scripts/resnet_ode/linear_figure.py"


rule ro_memory:
    """Peak memory of one forward + backward vs depth, backprop and adjoint, a fresh process per point (S8)."""
    output:
        "results/resnet_ode/memory.csv",
    log:
        "logs/resnet_ode/memory.log",
    benchmark:
        "benchmarks/resnet_ode/memory.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
        gpu=GPU,
    params:
        memory=RO["memory"],
    script:
        "../scripts/resnet_ode/memory.py"


rule ro_reconstruction:
    """Relative error of the input rebuilt by the reverse pass vs depth (random residual functions)."""
    input:
        data=dataset_ready(RO["tiny"]["recipe"]["dataset"]),
    output:
        "results/resnet_ode/reconstruction.csv",
    log:
        "logs/resnet_ode/reconstruction.log",
    benchmark:
        "benchmarks/resnet_ode/reconstruction.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        reconstruction=RO["reconstruction"],
        dataset=RO["tiny"]["recipe"]["dataset"],
    script:
        "../scripts/resnet_ode/reconstruction.py"


rule ro_simple_figure:
    """Memory vs depth, reconstruction error vs depth, or gradient errors vs depth, from one CSV."""
    input:
        lambda w: {
            "memory": "results/resnet_ode/memory.csv",
            "reconstruction_error": "results/resnet_ode/reconstruction.csv",
            "gradient_errors": "results/resnet_ode/gradient_errors.csv",
        }[w.ro_simple],
    output:
        pdf="figures/resnet_ode/{ro_simple}.pdf",
        png="figures/resnet_ode/{ro_simple}.png",
    log:
        "logs/resnet_ode/{ro_simple}.log",
    wildcard_constraints:
        ro_simple="memory|reconstruction_error|gradient_errors",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        figure=lambda w: {"reconstruction_error": "reconstruction"}.get(
            w.ro_simple, w.ro_simple
        ),
        note=RO_NOTE,
    script:
        "../scripts/resnet_ode/simple_figure.py"


if not RO_TINY_PACKS:

    rule ro_tiny_train:
        """One tiny ODE-ResNet run (Figure 3c grid): depth x integrator x gradient mode x seed, resumable."""
        input:
            data=dataset_ready(RO["tiny"]["recipe"]["dataset"]),
        output:
            metrics=f"{RO_TINY}/metrics.csv",
            model=f"{RO_TINY}/model.pt",
        log:
            RO_TINY.replace("results/", "logs/") + ".log",
        benchmark:
            RO_TINY.replace("results/", "benchmarks/") + ".tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=240,
            gpu=GPU,
        params:
            recipe=RO["tiny"]["recipe"],
        script:
            "../scripts/resnet_ode/tiny_train.py"


# tiny.runs_per_job > 1: a rule per pack of runs of one depth (relurepro.resnet_ode.grid.tiny_packs), each run's
# outputs at its usual path; relurepro.pipeline.packs says why packs are rules of their own.
for _pack in RO_TINY_PACKS:

    rule:
        """A pack of tiny runs, one after another in one job (tiny.runs_per_job), resumable run by run."""
        name:
            f"ro_tiny_train__{_pack.name}"
        input:
            data=dataset_ready(RO["tiny"]["recipe"]["dataset"]),
        output:
            metrics=[r.path() for r in _pack.runs],
            model=[r.path("model.pt") for r in _pack.runs],
        log:
            f"logs/resnet_ode/tiny/pack_{_pack.name}.log",
        benchmark:
            f"benchmarks/resnet_ode/tiny/pack_{_pack.name}.tsv"
        conda:
            "../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=240 * len(_pack.runs),
            gpu=GPU,
        params:
            recipe=RO["tiny"]["recipe"],
            runs=[vars(r) for r in _pack.runs],
        script:
            "../scripts/resnet_ode/tiny_train.py"


rule ro_tiny_collect:
    """Every tiny run's epochs in one CSV, and best/last-epoch test error per run."""
    input:
        RO_TINY_RUNS,
    output:
        runs="results/resnet_ode/tiny_runs.csv",
        summary="results/resnet_ode/tiny_summary.csv",
    log:
        "logs/resnet_ode/tiny_collect.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        epochs=RO["tiny"]["recipe"]["epochs"],
    script:
        "../scripts/resnet_ode/tiny_collect.py"


rule ro_cifar_depth_error:
    """Figure 3c: test error vs depth, ResNet/HeunNet x backprop/adjoint, mean and quartiles over seeds."""
    input:
        "results/resnet_ode/tiny_summary.csv",
    output:
        pdf="figures/resnet_ode/cifar_depth_error.pdf",
        png="figures/resnet_ode/cifar_depth_error.png",
    log:
        "logs/resnet_ode/cifar_depth_error.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        metric="best",
        note=RO_NOTE,
    script:
        "../scripts/resnet_ode/cifar_depth_error.py"


rule ro_gradient_errors:
    """Figure 4's per-parameter gradient errors of the adjoint vs backprop, per depth and integrator."""
    input:
        data=dataset_ready(RO["tiny"]["recipe"]["dataset"]),
        models=RO_GRADIENT_MODELS,
    output:
        "results/resnet_ode/gradient_errors.csv",
    log:
        "logs/resnet_ode/gradient_errors.log",
    benchmark:
        "benchmarks/resnet_ode/gradient_errors.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPU,
    params:
        gradient_errors=RO["gradient_errors"],
        recipe=RO["tiny"]["recipe"],
        methods=RO["tiny"]["methods"],
    script:
        "../scripts/resnet_ode/gradient_errors.py"


rule ro_tied:
    """Tied tiny net pretraining (one shared residual function), eval and batch-statistics test accuracy."""
    input:
        data=dataset_ready(RO["tiny"]["recipe"]["dataset"]),
    output:
        metrics="results/resnet_ode/tied/metrics.csv",
        model="results/resnet_ode/tied/model.pt",
    log:
        "logs/resnet_ode/tied.log",
    benchmark:
        "benchmarks/resnet_ode/tied.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        tied=RO["tied"],
        recipe=RO["tiny"]["recipe"],
    script:
        "../scripts/resnet_ode/tied.py"


rule ro_finetune:
    """Table 2 on the tiny net: untie the tied model, fine-tune its residual functions with the adjoint."""
    input:
        data=dataset_ready(RO["tiny"]["recipe"]["dataset"]),
        model="results/resnet_ode/tied/model.pt",
    output:
        table="results/resnet_ode/finetune/digits.csv",
        curve="results/resnet_ode/finetune/digits_curve.csv",
    log:
        "logs/resnet_ode/finetune_digits.log",
    benchmark:
        "benchmarks/resnet_ode/finetune_digits.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        tied=RO["tied"],
        finetune=RO["finetune"],
        recipe=RO["tiny"]["recipe"],
    script:
        "../scripts/resnet_ode/finetune.py"


rule ro_tied_cifar_figure:
    """Figure 3a (CIFAR-10 panel; its digits stand-in at small scales): test error of the tied model per epoch."""
    input:
        RO_TIED_CIFAR,
    output:
        pdf="figures/resnet_ode/tied_cifar.pdf",
        png="figures/resnet_ode/tied_cifar.png",
    log:
        "logs/resnet_ode/tied_cifar.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        kind="tied",
        title="Tied-weight ResNet (one shared residual function)",
        note=RO_NOTE,
    script:
        "../scripts/resnet_ode/curves_figure.py"


rule ro_adjoint_failure_figure:
    """Figure 3b: backprop vs adjoint training of an ordinary ResNet (ResNet-101 on ImageNet at paper scale;
    the digits net at the failure depth otherwise)."""
    input:
        RO_FAILURE_RUNS,
    output:
        pdf="figures/resnet_ode/adjoint_failure_imagenet.pdf",
        png="figures/resnet_ode/adjoint_failure_imagenet.png",
    log:
        "logs/resnet_ode/adjoint_failure_imagenet.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        kind="imagenet" if RO_PAPER else "failure",
        title=(
            "ResNet-101 on ImageNet"
            if RO_PAPER
            else f"digits stand-in: ResNet at N = {RO['tiny']['failure_depth']}"
        ),
        note=RO_NOTE,
    script:
        "../scripts/resnet_ode/curves_figure.py"


rule ro_finetune_table:
    """Table 2: accuracy of the tied model before and after untying + adjoint fine-tuning (CSV, LaTeX, page)."""
    input:
        RO_FINETUNES,
    output:
        pdf="figures/resnet_ode/finetune_table.pdf",
        png="figures/resnet_ode/finetune_table.png",
        csv="figures/resnet_ode/finetune_table.csv",
        tex="figures/resnet_ode/finetune_table.tex",
    log:
        "logs/resnet_ode/finetune_table.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        note=RO_NOTE,
    script:
        "../scripts/resnet_ode/finetune_table.py"


rule ro_claims:
    """The paper's claims C2-C8 (resnet_ode §1; C1 is theory) and this project's diagnoses, checked on this run."""
    input:
        linear="results/resnet_ode/linear/summary.csv",
        memory="results/resnet_ode/memory.csv",
        reconstruction="results/resnet_ode/reconstruction.csv",
        gradient_errors="results/resnet_ode/gradient_errors.csv",
        tiny="results/resnet_ode/tiny_summary.csv",
        finetune=RO_FINETUNES,
        failure=RO_FAILURE_RUNS,
        tied=RO_TIED_CIFAR,
        tied_imagenet=(
            ["results/resnet_ode/imagenet/tied/metrics.csv"] if RO_PAPER else []
        ),
        reference="config/reference/resnet_ode.csv",
    output:
        "results/resnet_ode/claims.csv",
    log:
        "logs/resnet_ode/claims.log",
    localrule: True
    conda:
        "../envs/torch.yaml"
    params:
        scale=SCALE,
        metric="best",
        linear_n=RO["linear"]["n"],
        primary_bn=RO["tiny"]["bn_recompute"][0],
        dataset=RO["tiny"]["recipe"]["dataset"],
        paper=RO_PAPER,
        failure_depth=RO["tiny"]["failure_depth"],
    script:
        "../scripts/resnet_ode/claims.py"


rule ro_cifar_tied:
    """Figure 3a CIFAR-10 (paper scale): the tied bottleneck ResNet, 200 epochs, cosine schedule (S6)."""
    input:
        data=dataset_ready("cifar10"),
    output:
        metrics="results/resnet_ode/cifar_resnet/tied/metrics.csv",
        model="results/resnet_ode/cifar_resnet/tied/model.pt",
    log:
        "logs/resnet_ode/cifar_resnet/tied.log",
    benchmark:
        "benchmarks/resnet_ode/cifar_resnet/tied.tsv"
    conda:
        "../envs/torch.yaml"
    threads: job_threads(4)
    resources:
        mem_mb=16000,
        runtime=240,
        gpu=GPU,
    params:
        tied=RO["cifar_resnets"]["tied"] if RO_PAPER else None,
    script:
        "../scripts/resnet_ode/cifar_tied.py"


rule ro_cifar_finetune:
    """Table 2 CIFAR-10 row (paper scale): unroll at [4, 4, 32, 4], untie, fine-tune layer3 with the adjoint."""
    input:
        data=dataset_ready("cifar10"),
        model="results/resnet_ode/cifar_resnet/tied/model.pt",
    output:
        table="results/resnet_ode/finetune/cifar10.csv",
        curve="results/resnet_ode/finetune/cifar10_curve.csv",
    log:
        "logs/resnet_ode/finetune_cifar10.log",
    benchmark:
        "benchmarks/resnet_ode/finetune_cifar10.tsv"
    conda:
        "../envs/torch.yaml"
    threads: job_threads(4)
    resources:
        mem_mb=16000,
        runtime=120,
        gpu=GPU,
    params:
        tied=RO["cifar_resnets"]["tied"] if RO_PAPER else None,
        finetune=RO["cifar_resnets"]["finetune"] if RO_PAPER else None,
    script:
        "../scripts/resnet_ode/cifar_finetune.py"


rule ro_imagenet_run:
    """ImageNet (paper scale): the tied model (Figure 3a) or ResNet-101 with backprop / adjoint (Figure 3b)."""
    output:
        metrics="results/resnet_ode/imagenet/{ro_run}/metrics.csv",
        model="results/resnet_ode/imagenet/{ro_run}/model.pt",
    log:
        "logs/resnet_ode/imagenet/{ro_run}.log",
    benchmark:
        "benchmarks/resnet_ode/imagenet/{ro_run}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: job_threads(10)
    resources:
        mem_mb=64000,
        runtime=4320,
        gpu=GPU,
    params:
        imagenet=RO["imagenet"],
        imagenet_dir=config["imagenet_dir"],
    script:
        "../scripts/resnet_ode/imagenet_run.py"


rule ro_imagenet_finetune:
    """Table 2 ImageNet row (paper scale): unroll the tied model at 64 blocks per stage, untie, fine-tune all
    parameters with the adjoint; validated before and after."""
    input:
        model="results/resnet_ode/imagenet/tied/model.pt",
    output:
        table="results/resnet_ode/finetune/imagenet.csv",
        curve="results/resnet_ode/finetune/imagenet_curve.csv",
    log:
        "logs/resnet_ode/finetune_imagenet.log",
    benchmark:
        "benchmarks/resnet_ode/finetune_imagenet.tsv"
    conda:
        "../envs/torch.yaml"
    threads: job_threads(10)
    resources:
        mem_mb=64000,
        runtime=4320,
        gpu=GPU,
    params:
        imagenet=RO["imagenet"],
        imagenet_dir=config["imagenet_dir"],
    script:
        "../scripts/resnet_ode/imagenet_finetune.py"


if RO_PAPER:

    rule ro_tied_imagenet_figure:
        """Figure 3a ImageNet panel (paper scale): top-1 validation error of the tied model per epoch."""
        input:
            "results/resnet_ode/imagenet/tied/metrics.csv",
        output:
            pdf="figures/resnet_ode/tied_imagenet.pdf",
            png="figures/resnet_ode/tied_imagenet.png",
        log:
            "logs/resnet_ode/tied_imagenet.log",
        localrule: True
        conda:
            "../envs/torch.yaml"
        params:
            kind="imagenet",
            title="Tied-weight ResNet on ImageNet",
            note=RO_NOTE,
        script:
            "../scripts/resnet_ode/curves_figure.py"
