"""resnet_ode's linear summary, reconstruction, gradient-error and tiny summary tables, as the claims and figures
re-read them, follow their declared schemas: a valid file passes; a duplicated row, a mistyped value, an extra
column, a header-only file or a broken cross-column rule fails naming the file."""

from __future__ import annotations

import pandas as pd
import pytest

from csv_corruptions import assert_rejected, corruptions
from relurepro.resnet_ode import aggregate, experiments, gradient_errors, linear, peak_memory


def linear_summary() -> pd.DataFrame:
    return pd.DataFrame({"N": [25, 100], "lr": [25.0, 100.0], "loss_step0": 1.376, "final_loss": [1e-7, 1e-7],
                         "converged": True, "stop_step": [300, 100], "recorded": [301, 101],
                         "roughness": [0.5, 0.1]})


def reconstruction() -> pd.DataFrame:
    return pd.DataFrame({"depth": [4, 8, 16], "method": "euler", "error": [1e-3, 5e-4, 2.5e-4]})


def gradient_table() -> pd.DataFrame:
    return pd.DataFrame({"depth": [4, 4, 8], "method": ["euler", "heun", "euler"], "parameter": "conv.weight",
                         "relative": [1e-3, 1e-5, 5e-4], "cosine": [0.99, 1.0, 0.995], "mse": [1e-6, 1e-8, 5e-7],
                         "base": "random", "base_depth": 32, "batch": 64, "seed": 0, "adjoint_variant": "chained"})


def tiny_summary() -> pd.DataFrame:
    return pd.DataFrame({"depth": 4, "method": "euler", "grad": ["backprop", "adjoint"],
                         "bn_recompute": ["none", "restore"], "seed": 1, "error_best": [10.0, 12.0],
                         "error_last": [11.0, 12.5], "final_train_loss": [0.3, 0.4], "diverged": False, "epochs": 3})


def finetune(layout: str) -> pd.DataFrame:
    t = pd.DataFrame({"dataset": "digits", "stage": ["before", "before", "after"],
                      "model": ["tied N=4", "untied N=8", "untied N=8 + adjoint fine-tuning"],
                      "bn_mode": ["eval (shared running statistics)", "batch statistics", "eval (running statistics)"],
                      "top1": [90.0, 85.0, 93.5], "max_abs_output_gap_untie": 0.0, "epochs": 2, "lr": 0.01,
                      "device": "cpu"})
    return t[aggregate.FINETUNE_TINY] if layout == "tiny" else t.assign(dataset="cifar10")[aggregate.FINETUNE_RESNET]


def memory() -> pd.DataFrame:
    return pd.DataFrame({"depth": [1, 1, 8, 8], "mode": ["backprop", "adjoint"] * 2, "method": "euler",
                         "device": "cpu", "metric": "peak RSS (VmHWM)", "peak_mib": [1.0, 1.0, 8.0, 1.5],
                         "baseline_mib": 300.0, "saved_for_backward_mib": [0.9, 0.1, 7.5, 0.1], "d": 500,
                         "batch": 500, "hidden": 8})


def imagenet_run() -> pd.DataFrame:
    from imagenet_rows import imagenet_run as relu_prime_run

    t = relu_prime_run(0.0, 0, diverge=True)  # scripts/resnet_ode/imagenet_run.py: the epochs, run, device, cfg_*
    cfg = [c for c in t.columns if c.startswith("cfg_") and c != "cfg_max_batches"]
    # ImageNetConfig's field order: ..., workers, seed, (device, left out), max_batches
    return pd.concat([t[list(t.columns[:11])].assign(run="tied", device="cuda"), t[cfg].assign(cfg_seed=0),
                      t[["cfg_max_batches"]]], axis=1)


def weights(n: int = 3, d: int = 2, steps: int = 2) -> pd.DataFrame:
    return pd.DataFrame([(n, k, layer, i, j, 0.1 * (k + layer + i - j)) for k in range(steps) for layer in range(n)
                         for i in range(d) for j in range(d)], columns=["N", "step", "layer", "i", "j", "value"])


CASES = {  # reader, valid table, column to mistype, a table breaking a cross-column rule, its message
    "linear": (linear.read_summary, linear_summary(), "N", linear_summary().assign(recorded=5), "recorded - 1"),
    "reconstruction": (experiments.read_reconstruction, reconstruction(), "error",
                       reconstruction().assign(method="rk4"), "isin"),
    "gradient": (gradient_errors.read_gradient_errors, gradient_table(), "mse",
                 gradient_table().assign(seed=[0, 1, 0]), "one base, batch, seed"),
    "tiny": (aggregate.read_summary, tiny_summary(), "epochs", tiny_summary().assign(error_best=20.0),
             "error_best <= error_last"),
    "weights": (linear.read_weights, weights(), "value", weights().iloc[:-1], "every entry"),
    "memory": (peak_memory.read_memory, memory(), "depth", memory().assign(device="cuda"), "CUDA metric"),
    "imagenet": (aggregate.read_imagenet_run, imagenet_run(), "val_top5",
                 imagenet_run().assign(diverged=False), "NaN loss exactly in diverged rows"),
    "finetune_tiny": (aggregate.read_finetune, finetune("tiny"), "top1",
                      finetune("tiny").assign(stage="before"), "before and after"),
    "finetune_resnet": (aggregate.read_finetune, finetune("resnet"), "epochs",
                        finetune("resnet").assign(lr=[0.01, 0.01, 0.1]), "one dataset and recipe"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tables_are_read_through_their_schema(tmp_path, name):
    read, table, column, broken, message = CASES[name]
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, index=False)
    assert read(path).equals(pd.read_csv(path))
    for case, bad in corruptions(path.read_text(), column).items():
        assert_rejected(path, bad, read)
    assert_rejected(path, broken.to_csv(index=False), read, message)
    assert_rejected(path, "", read, "empty file")


def test_imagenet_cfg_columns_follow_the_config_fields():
    """scripts/resnet_ode/imagenet_run.py writes cfg_<field> for every ImageNetConfig field but the device, in field
    order; the declared schema must list the same columns in that order (the rehearsal found a field missing)."""
    import dataclasses

    import pandera.pandas as pa

    from relurepro.imagenet import ImageNetConfig
    from relurepro.imagenet_runs import cfg_columns

    fields = [f"cfg_{f.name}" for f in dataclasses.fields(ImageNetConfig) if f.name != "device"]
    assert list(cfg_columns(pa, seed=True)) == fields
    assert list(cfg_columns(pa)) == [f for f in fields if f != "cfg_seed"]
