"""Work of one job, per rule, as named quantities (relurepro.cost.estimate prices them with config/cost_model.yaml).

Quantities (a job may have several; a device prices those it has a coefficient for):
- ``gmac@<bits>``: 10^9 multiply-accumulates in forward-pass equivalents at that precision (a training image
  costs 3: forward, backward for activations and for weights; an evaluated image 1; a ReLU'(0) gradient pair 6).
- ``steps``: optimiser steps or minibatches, for the per-step overhead that dominates small nets on a GPU.
- ``cpu_steps``: steps weighted by a measured relative CPU cost (leaf: §5.1 per-step table).
- ``gpu_ref_s``: seconds measured on one H100 for this work (resnet_ode §5.1: per-step timings).
- ``corr_layer_epochs``: constnet's per-epoch weight correlations (CPU corrcoef, spec: about 1 s per layer).
- ``jobs``: 1 for rules whose cost hardly depends on the scale's sizes.

Sizes come from the job's wildcards and params and from the model's `datasets` table. Multiply-accumulate
counts are exact for the MLPs and ConstNet and fitted to the library's VGG11 / ResNet18 (hook counts at widths 1
and 1/16: a w^2 + b w). Monte-Carlo cells stop at the first bifurcating batch: `pass_fraction` (a prior per
precision) is the expected share of the pass a run takes.
"""

from __future__ import annotations

import math
import re

import numpy as np

from relurepro.relu_prime.grid import JobSpec
from relurepro.uniform_accuracy import grid as ua_grid

# Forward MACs per 32x32x3 image of the library's CIFAR nets at width multiplier w: a w^2 + b w (b: first conv).
CNN_MACS = {"vgg11": (151.0e6, 1.77e6), "resnet18": (138.4e6, 1.77e6)}
RESNET50_IMAGENET_MACS = 4.09e9  # relurepro.models.resnet.resnet50_imagenet at 224x224 (hook count)
INTRO_MACS = 784 * 2000 + 2000 * 128 + 128 * 10  # the intro's 784-2000-128-10 net (three nets trained)
RELU6_MACS = 784 * 4000 + 4000 * 256 + 256 * 10  # the ReLU6 intro net 784-4000-256-10
INTRO_NETS, INTRO_BATCH = 3, 128
SIGPROP_INITS, SIGPROP_PIXELS = 5, 64  # relurepro.constnet.sigprop.INITS; its 8x8 digits inputs
TRAIN_FWD, EVAL_FWD, PAIR_FWD = 3, 1, 6


def mlp_macs(inputs: int, width: int, layers: int, classes: int = 10) -> int:
    """Forward MACs per sample of an MLP with `layers` hidden layers of `width`."""
    return inputs * width + (layers - 1) * width * width + width * classes


def cnn_macs(net: str, width: float) -> float:
    a, b = CNN_MACS[net]
    return a * width * width + b * width


def constnet_macs(depth: int, widen: int, size: int, in_channels: int) -> int:
    """Forward MACs per image of ConstNet / LeakyNet (relurepro.constnet.models): 3x3 single-conv blocks, a 1x1
    shortcut conv where a group widens or strides (the final linear layer is negligible and left out)."""
    n = (depth - 4) // 3
    widths = [16, 16 * widen, 32 * widen, 64 * widen]
    total = 9 * in_channels * widths[0] * size * size
    for g, stride in enumerate((1, 2, 2)):
        size //= stride
        cin, cout = widths[g], widths[g + 1]
        shortcut = cin != cout or stride != 1
        total += (9 + shortcut) * cin * cout * size * size + (n - 1) * 9 * cout * cout * size * size
    return total


def dataset_size(ctx: dict, dataset: str, split: str) -> int:
    try:
        return int(ctx["datasets"][dataset][split])
    except KeyError as e:
        raise KeyError(f"cost model: no size for dataset {dataset!r} split {split!r} (config/cost_model.yaml "
                       "datasets)") from e


def _pass_fraction(ctx: dict, rule: str, bits: int | str) -> float:
    return float(ctx["options"].get(rule, {}).get("pass_fraction", {}).get(str(bits), 1.0))


# ------------------------------------------------------------------------------------------------ relu_prime

def relu_prime_train(job, ctx):
    spec = JobSpec.from_path(job.wildcards["job"] + "/metrics.csv")
    n_train = spec.train_samples or dataset_size(ctx, spec.dataset, spec.train_split)
    n_test = spec.test_samples or dataset_size(ctx, spec.dataset, spec.test_split)
    shape = spec.mlp_shape
    macs = mlp_macs(784, shape[0], shape[1]) if shape else cnn_macs(spec.net, spec.width)
    runs = len(spec.runs())
    return {"gmac@32": runs * spec.epochs * (TRAIN_FWD * n_train + EVAL_FWD * n_test) * macs / 1e9,
            "steps": runs * spec.epochs * math.ceil(n_train / spec.batch)}


def _each_cell(cell_work):
    """The work of one Monte-Carlo cell (its wildcards), or of a pack of cells (params `cells`): the sum."""
    def work(job, ctx):
        total = {}
        for w in job.params.get("cells") or [job.wildcards]:
            for quantity, value in cell_work(w, job.rule, ctx).items():
                total[quantity] = total.get(quantity, 0.0) + value
        return total
    return work


@_each_cell
def volume_mlp_cell(w, rule, ctx):
    layers = max(int(x) for x in str(w["layers"]).split("-"))
    samples, batch, runs = int(w["samples"]), int(w["batch"]), int(w["runs"])
    share = runs * _pass_fraction(ctx, rule, w["bits"])
    # exact: one forward per batch; the pair on batches with a zero is left out (rare where runs are long)
    fwd = PAIR_FWD if w["detector"] == "pair" else EVAL_FWD
    return {f"gmac@{w['bits']}": share * samples * fwd * mlp_macs(784, int(w["neurons"]), layers) / 1e9,
            "steps": share * math.ceil(samples / batch)}


@_each_cell
def volume_stats_runs(w, rule, ctx):
    """Every batch of one pass, gradient pair, no_first_relu N=256 L=3 batch 256 (relu_prime §3.6)."""
    samples, runs = int(w["samples"]), int(w["runs"])
    return {f"gmac@{w['bits']}": runs * samples * PAIR_FWD * mlp_macs(784, 256, 3) / 1e9,
            "steps": runs * math.ceil(samples / 256)}


def zeros_count(job, ctx):
    w, cfg = job.wildcards, job.params["zeros"]
    samples, runs, epochs = int(w["samples"]), int(w["runs"]), int(w["epochs"])
    cells = [(int(L), int(N)) for L in w["layer_list"].split("-") for N in w["neuron_list"].split("-")]
    fwd = TRAIN_FWD if w["protocol"] == "train" else EVAL_FWD
    passes = runs * epochs
    return {f"gmac@{w['bits']}": passes * sum(samples * fwd * mlp_macs(784, N, L) for L, N in cells) / 1e9,
            "steps": passes * len(cells) * math.ceil(samples / int(cfg["batch"]))}


def _imagenet_images(ctx, split: str, cfg: dict) -> int:
    """Images one epoch reads from an ImageNet split: all, or max_batches batches (the rehearsal)."""
    n = dataset_size(ctx, "imagenet", split)
    return n if cfg.get("max_batches") is None else min(n, cfg["max_batches"] * cfg["batch"])


def imagenet_train(job, ctx):
    cfg = job.params["imagenet"]
    n_train, n_val = _imagenet_images(ctx, "train", cfg), _imagenet_images(ctx, "val", cfg)
    return {"gmac@32": cfg["epochs"] * (TRAIN_FWD * n_train + EVAL_FWD * n_val) * RESNET50_IMAGENET_MACS / 1e9,
            "steps": cfg["epochs"] * math.ceil(n_train / cfg["batch"])}


def _intro(macs):
    def work(job, ctx):
        w = job.wildcards
        iterations = int(w["iterations"])
        return {f"gmac@{w['bits']}": iterations * INTRO_NETS * INTRO_BATCH * TRAIN_FWD * macs / 1e9,
                "steps": iterations * INTRO_NETS}
    return work


def intro_bifurcation_zone_grid(job, ctx):
    """Retraining to the first exact zero (at most max_iterations, float32) dominates; the grid is cheap."""
    iterations = int(job.wildcards["iterations"])
    return {"gmac@32": iterations * INTRO_BATCH * TRAIN_FWD * INTRO_MACS / 1e9, "steps": iterations}


@_each_cell
def volume_cnn_cell(w, rule, ctx):
    parts = w["net"].split("-")
    if parts[0] == "mlp":
        layers, width = (int(x) for x in re.fullmatch(r"(\d+)x(\d+)", parts[2]).groups())  # mlp-<variant>-<L>x<N>
        macs = mlp_macs(784, width, layers)
    else:
        macs = cnn_macs(parts[0], float(parts[1][1:]))
    share = int(w["runs"]) * _pass_fraction(ctx, rule, w["bits"])
    batches = int(w["max_batches"])
    fwd = PAIR_FWD if w["detector"] == "pair" else EVAL_FWD
    return {f"gmac@{w['bits']}": share * batches * int(w["batch"]) * fwd * macs / 1e9, "steps": share * batches}


# ------------------------------------------------------------------------------------------ uniform_accuracy

def _ua_steps(exp: dict, m: int) -> tuple[int, int]:
    """(steps, batch) of one student (relurepro.uniform_accuracy.training.Experiment, without importing torch)."""
    (kind, value), = exp["batch"].items()
    size = math.ceil(value * m) if kind == "fraction" else value if kind == "fixed" else min(m, value)
    batch = max(1, min(m, int(size)))
    per_iteration = exp["per_iteration"] if exp["minibatches"] == "with_replacement" else \
        exp["per_iteration"] * math.ceil(m / batch)
    return exp["iterations"] * per_iteration, batch


def _ua_work(students, d, width, depth, m, exp, test_n, bits):
    steps, batch = _ua_steps(exp, m)
    macs = mlp_macs(d, width, depth, classes=1)
    evaluations = exp["iterations"]  # errors on fresh test points after every iteration
    gmac = students * (steps * batch * TRAIN_FWD + evaluations * test_n) * macs / 1e9
    return {f"gmac@{bits}": gmac, "steps": steps}


def ua_train(job, ctx):
    w, ua = job.wildcards, job.params["ua"]
    d = int(w["d"])
    students = len(ua_grid.students_of(list(range(ua["teachers"])), ua["seeds"], int(w["part"]), int(w["parts"])))
    return _ua_work(students, d, int(w["width"]), ua["depth"], int(w["m"]), ua["experiments"][w["exp"]],
                    ua["test_points"][str(d)]["n"], ua["bits"])


def ua_sine(job, ctx):
    s = job.params["sine"]
    return _ua_work(1, 1, s["width"], s["depth"], s["m"], s["experiment"], s["test_points"]["n"], s["bits"])


# ------------------------------------------------------------------------------------------------ resnet_ode

def _interp_ms(table: dict, depth: int) -> float:
    depths = sorted(int(k) for k in table)
    return float(np.interp(depth, depths, [table[str(k)] if str(k) in table else table[k] for k in depths]))


def ro_tiny_train(job, ctx):
    """GPU: resnet_ode §3.5's H100 step times (batch 256, CIFAR), by depth; CPU: blocks x pixels x images. One
    run (its wildcards), or a pack of runs (params `runs`): the sum over its runs."""
    recipe = job.params["recipe"]
    n_train = dataset_size(ctx, recipe["dataset"], "train")
    n_test = dataset_size(ctx, recipe["dataset"], "test")
    pixels = ctx["datasets"][recipe["dataset"]]["pixels"]
    opts = ctx["options"][job.rule]
    steps = recipe["epochs"] * math.ceil(n_train / recipe["batch"])
    evals = 1 + n_test / (TRAIN_FWD * n_train)  # per-epoch test pass, in training-image equivalents
    total = {"gpu_ref_s": 0.0, "cpu_mblock_pixels": 0.0}
    for w in job.params.get("runs") or [job.wildcards]:
        depth, heun, adjoint = int(w["depth"]), w["method"] == "heun", w["grad"] != "backprop"
        key = f"{'heun' if heun else 'euler'}_{'adjoint' if adjoint else 'backprop'}"
        step_s = _interp_ms(opts["h100_step_ms_batch256"][key], depth) / 1000 * recipe["batch"] / 256
        blocks = depth * (2 if heun else 1) * (opts["cpu_adjoint_factor"] if adjoint else 1)
        total["gpu_ref_s"] += steps * step_s * evals
        total["cpu_mblock_pixels"] += recipe["epochs"] * (TRAIN_FWD * n_train + n_test) * pixels * blocks / 1e6
    return total


def ro_gradient_errors(job, ctx):
    cfg, recipe = job.params["gradient_errors"], job.params["recipe"]
    pixels = ctx["datasets"][recipe["dataset"]]["pixels"]
    # backprop + adjoint gradients of one batch per depth and integrator (Heun: two evaluations per step)
    blocks = sum(cfg["depths"]) * 3
    return {"cpu_mblock_pixels": 2 * TRAIN_FWD * cfg["batch"] * pixels * blocks / 1e6, "jobs": 1}


def _measured_steps(step_s_key):
    """Paper-scale resnet_ode runs priced by resnet_ode §5.1's H100 seconds per step (`options` of the rule)."""
    def work(job, ctx):
        opts = ctx["options"][job.rule]
        cfg, dataset = _ro_paper_cfg(job)
        n_train = (_imagenet_images(ctx, "train", cfg) if dataset == "imagenet"
                   else cfg.get("train_samples") or dataset_size(ctx, dataset, "train"))
        steps = cfg["epochs"] * math.ceil(n_train / cfg["batch"])
        return {"gpu_ref_s": steps * opts["h100_step_s"][step_s_key(job)]}
    return work


def _ro_paper_cfg(job):
    if job.rule == "ro_cifar_tied":
        return job.params["tied"], "cifar10"
    if job.rule == "ro_cifar_finetune":
        return job.params["finetune"], "cifar10"
    if job.rule == "ro_imagenet_run":
        run = job.wildcards["ro_run"]
        return job.params["imagenet"]["tied" if run == "tied" else "resnet101"], "imagenet"
    return job.params["imagenet"]["finetune"], "imagenet"


def ro_depth_sum(key):
    def work(job, ctx):
        return {"depth_sum": sum(job.params[key]["depths"])}
    return work


# ------------------------------------------------------------------------------------------- leaf, constnet

def leaf_train(job, ctx):
    """One run (its wildcards), or a pack of runs (params `runs`): the sum of their steps."""
    cfg = job.params["leaf"]
    total = {"steps": 0.0, "cpu_steps": 0.0}
    for w in job.params.get("runs") or [job.wildcards]:
        dataset = cfg["datasets"][w["ds"]]
        n_train = cfg.get("train_samples") or dataset_size(ctx, dataset, "train")
        n_test = cfg.get("test_samples") or dataset_size(ctx, dataset, "test")
        dspt = 2 if str(w["dspt"]) == "1" else 1  # DSPT: two passes per minibatch (leaf §3.0)
        steps = cfg["epochs"] * (dspt * math.ceil(n_train / cfg["batch"]) + math.ceil(n_test / cfg["batch"]) / 3)
        relative = ctx["options"][job.rule]["cpu_step_relative"][f"{w['net']}/{w['ds']}"][w["type"]]
        total["steps"] += steps
        total["cpu_steps"] += steps * relative
    return total


def cn_run(job, ctx):
    p = job.params
    net, schedule = p["net"], p["schedule"]
    data = ctx["datasets"][p["data"]]
    n_train = p.get("train_samples") or data["train"]
    size, channels = data["size"], data["channels"]
    macs = constnet_macs(net["depth"], net["widen"], size, channels)
    double = bool(net.get("double_forward"))
    train_fwd, eval_fwd = TRAIN_FWD + double, EVAL_FWD + double  # the discarded forward costs one more
    epochs = schedule["epochs"]
    return {"gmac@32": epochs * (train_fwd * n_train + eval_fwd * data["test"]) * macs / 1e9,
            "steps": epochs * math.ceil(n_train / schedule["batch"]),
            "corr_layer_epochs": epochs * (net["depth"] - 2)}  # conv1, the blocks, fc


def cn_toy(job, ctx):
    """One-hidden-layer ReLU nets (relurepro.constnet.toy), one per (seed, k, noise), trained `epochs` on the train
    split; train and test accuracy evaluated once at the end."""
    cfg = job.params["toy"]
    data = ctx["datasets"][cfg["data"]]
    n_train, n_test = dataset_size(ctx, cfg["data"], "train"), dataset_size(ctx, cfg["data"], "test")
    nets = len(cfg["seeds"]) * len(cfg["ks"]) * len(cfg["noise"])
    macs = mlp_macs(int(data["pixels"]) * int(data.get("channels", 1)), cfg["width"], 1)
    return {"gmac@32": nets * (cfg["epochs"] * TRAIN_FWD * n_train + n_train + n_test) * macs / 1e9,
            "steps": nets * cfg["epochs"] * math.ceil(n_train / cfg["batch"])}


def cn_sigprop(job, ctx):
    """One forward and backward pass of a batch of 8x8 digits through each init's stack (relurepro.constnet.sigprop:
    3x3 convs at constant width), per depth and seed."""
    cfg = job.params["sigprop"]
    nets = SIGPROP_INITS * cfg["seeds"]
    macs = sum(cfg["depths"]) * 9 * cfg["width"] ** 2 * SIGPROP_PIXELS
    return {"gmac@32": nets * cfg["batch"] * TRAIN_FWD * macs / 1e9, "steps": nets * len(cfg["depths"])}


def one_job(job, ctx):
    return {"jobs": 1}


# Every compute rule (one without `localrule: True`) has an entry; tests/workflow/test_workflow.py checks it.
WORK = {
    "rp_train": relu_prime_train,
    "rp_volume_mlp_cell": volume_mlp_cell,
    "rp_volume_stats_runs": volume_stats_runs,
    "rp_zeros_count": zeros_count,
    "rp_imagenet_train": imagenet_train,
    "rp_intro_trace": _intro(INTRO_MACS),
    "rp_intro_relu6_trace": _intro(RELU6_MACS),
    "rp_intro_bifurcation_zone_grid": intro_bifurcation_zone_grid,
    "rp_volume_cnn_cell": volume_cnn_cell,
    "ua_train": ua_train,
    "ua_sine": ua_sine,
    "ua_teachers": one_job,
    "ro_tiny_train": ro_tiny_train,
    "ro_gradient_errors": ro_gradient_errors,
    "ro_linear": one_job,
    "ro_memory": ro_depth_sum("memory"),
    "ro_reconstruction": ro_depth_sum("reconstruction"),
    "ro_tied": one_job,
    "ro_finetune": one_job,
    "ro_cifar_tied": _measured_steps(lambda job: "tied"),
    "ro_cifar_finetune": _measured_steps(lambda job: "finetune"),
    "ro_imagenet_run": _measured_steps(lambda job: job.wildcards["ro_run"]),
    "ro_imagenet_finetune": _measured_steps(lambda job: "finetune"),
    "leaf_train": leaf_train,
    "cn_run": cn_run,
    "cn_toy": cn_toy,
    "cn_sigprop": cn_sigprop,
    "download_dataset": one_job,
}
