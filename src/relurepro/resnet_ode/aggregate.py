"""Gathering the resnet_ode training runs: one CSV of every epoch, a per-run summary (Figure 3c's metric), and
the per-epoch lines of the training-curve figures."""

from __future__ import annotations

import re

import pandas as pd

RUN_KEYS = ["depth", "method", "grad", "bn_recompute", "seed"]
# A tiny run's metrics.csv (scripts/resnet_ode/tiny_train.py): relurepro.training's rows, then the run and recipe.
TRAINING = ["epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "exact_zeros",
            "relu_inputs", "diverged", "seconds"]
TINY = [*TRAINING, *RUN_KEYS, "dataset", "init", "zero_init", "adjoint_variant", "channels", "device"]
SUMMARY = [*RUN_KEYS, "error_best", "error_last", "final_train_loss", "diverged", "epochs"]
# results/resnet_ode/tiny/depth~N/method~M/grad~G/seed~S/metrics.csv (workflow/resnet_ode.smk RO_TINY)
_TINY_PATH = re.compile(r"depth~(?P<depth>\d+)/method~(?P<method>[^/]+)/grad~(?P<grad>[^/]+)/seed~(?P<seed>\d+)/"
                        r"metrics\.csv$")


def _training_columns(pa, epochs: int | None) -> dict:
    """relurepro.training's per-epoch columns: NaN metrics in the rows of a diverged run (diverged training is
    data)."""
    nan_ok = {"coerce": True, "nullable": True}
    epoch = [pa.Check.ge(1)] + ([pa.Check.le(epochs)] if epochs is not None else [])
    return {"epoch": pa.Column(int, epoch), "train_loss": pa.Column(float, pa.Check.ge(0), **nan_ok),
            "train_accuracy": pa.Column(float, pa.Check.in_range(0, 1), **nan_ok),
            "test_loss": pa.Column(float, pa.Check.ge(0), **nan_ok),
            "test_accuracy": pa.Column(float, pa.Check.in_range(0, 1), **nan_ok),
            "lr": pa.Column(float, pa.Check.ge(0), **nan_ok),
            "exact_zeros": pa.Column(float, pa.Check.ge(0), **nan_ok),
            "relu_inputs": pa.Column(float, pa.Check.ge(0), **nan_ok), "diverged": pa.Column(bool),
            "seconds": pa.Column(float, pa.Check.ge(0), **nan_ok)}


def _training_checks(pa, run: list[str]) -> list:
    def stays(d):  # once diverged, a run stays diverged
        flag = d["diverged"].astype(int)
        return d.assign(flag=flag).sort_values("epoch").groupby(run)["flag"].cummax().reindex(d.index) == flag

    return [pa.Check(lambda d: d["diverged"] == d["train_loss"].isna(), error="NaN loss exactly in diverged rows"),
            pa.Check(lambda d: d["diverged"] | d["test_accuracy"].notna(), error="a test accuracy unless diverged"),
            pa.Check(stays, error="a run stays diverged from its first diverged epoch on")]


def tiny_schema(epochs: int | None = None):
    """A tiny run's metrics.csv and tiny_runs.csv: one row per (run, epoch 1..epochs)."""
    import pandera.pandas as pa  # here: pandera only when a table is checked

    return pa.DataFrameSchema({
        **_training_columns(pa, epochs), "depth": pa.Column(int, pa.Check.ge(1)),
        "method": pa.Column(str, pa.Check.isin(["euler", "heun"])),
        "grad": pa.Column(str, pa.Check.isin(["backprop", "adjoint"])),
        "bn_recompute": pa.Column(str, pa.Check.isin(["none", "restore", "update", "eval"])),
        "seed": pa.Column(int), "dataset": pa.Column(str, pa.Check.isin(["digits", "cifar10"])),
        "init": pa.Column(str, pa.Check.isin(["iid", "piecewise_constant"])), "zero_init": pa.Column(bool),
        "adjoint_variant": pa.Column(str, pa.Check.isin(["chained", "local", "none"])),
        "channels": pa.Column(int, pa.Check.ge(1)), "device": pa.Column(str),
    }, strict=True, ordered=True, unique=[*RUN_KEYS, "epoch"], checks=[
        *_training_checks(pa, RUN_KEYS),
        pa.Check(lambda d: (d["grad"] == "adjoint") == (d["bn_recompute"] != "none"),
                 error="a batch-norm handling exactly for the adjoint"),
        pa.Check(lambda d: (d["grad"] == "adjoint") == (d["adjoint_variant"] != "none"),
                 error="an adjoint variant exactly for the adjoint"),
    ])


def read_run(path, epochs: int | None = None) -> pd.DataFrame:
    """A tiny run's metrics.csv checked against `tiny_schema` (a violation names the file and its lines); with
    `epochs`, exactly epochs 1..epochs, and the run its path names."""
    from relurepro import schemas

    df = schemas.read(path, tiny_schema(epochs), rows=epochs)
    m = _TINY_PATH.search(str(path))
    if m is not None:
        grad, _, bn = m["grad"].partition("_")
        want = {"depth": int(m["depth"]), "method": m["method"], "grad": grad, "bn_recompute": bn or "none",
                "seed": int(m["seed"])}
        if not (df[RUN_KEYS] == pd.Series(want)).all().all():
            raise ValueError(f"{path}: rows of another run than the path's {want}")
    return df


def read_runs(paths, epochs: int | None = None) -> pd.DataFrame:
    """Every tiny run's metrics in one table (tiny_runs.csv), each file checked (`read_run`), the table too:
    runs x epochs rows."""
    from relurepro import schemas

    paths = list(paths)
    runs = pd.concat([read_run(path, epochs) for path in paths], ignore_index=True)
    schemas.check(runs, tiny_schema(epochs), "tiny_runs.csv", rows=None if epochs is None else len(paths) * epochs)
    return runs


def read_tied(path, epochs: int | None = None, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tied pretraining's metrics.csv (the tiny net's, or the CIFAR ResNet's, which names its size n_layers):
    relurepro.training's columns, the batch-statistics test accuracy, the net, seed, dataset, bn and device; one row
    per epoch 1..epochs (NaN metrics in diverged rows). `table`: check these rows instead of reading `path`."""
    import pandera.pandas as pa

    from relurepro import schemas

    if table is None:
        try:
            table = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: empty file") from None
    size = "n_layers" if "n_layers" in table.columns else "depth"
    schema = pa.DataFrameSchema({
        **_training_columns(pa, epochs),
        "test_accuracy_batch_stats": pa.Column(float, pa.Check.in_range(0, 1), coerce=True, nullable=True),
        size: pa.Column(int, pa.Check.ge(1)), "seed": pa.Column(int),
        "dataset": pa.Column(str, pa.Check.isin(["digits", "cifar10", "imagenet"])),
        "bn": pa.Column(str, pa.Check.isin(["shared"])), "device": pa.Column(str),
    }, strict=True, ordered=True, unique=["epoch"], checks=_training_checks(pa, ["seed"]))
    schemas.check(table, schema, path, rows=epochs)
    return table


def validate_summary(summary: pd.DataFrame, path, runs: int | None = None) -> None:
    """tiny_summary.csv: one row per run, errors in percent (100 where no epoch finished)."""
    import pandera.pandas as pa

    from relurepro import schemas

    error = pa.Column(float, pa.Check.in_range(0, 100), coerce=True)
    schema = pa.DataFrameSchema({
        **{k: c for k, c in tiny_schema().columns.items() if k in RUN_KEYS}, "error_best": error,
        "error_last": error, "final_train_loss": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "diverged": pa.Column(bool), "epochs": pa.Column(int, pa.Check.ge(1)),
    }, strict=True, ordered=True, unique=RUN_KEYS, checks=[
        pa.Check(lambda d: d["error_best"] <= d["error_last"] + 1e-9, error="error_best <= error_last"),
        pa.Check(lambda d: d["diverged"] | d["final_train_loss"].notna(), error="a final loss unless diverged"),
    ])
    schemas.check(summary, schema, path, rows=runs)


def read_summary(path, runs: int | None = None) -> pd.DataFrame:
    """tiny_summary.csv as rule ro_tiny_collect wrote it, checked (`validate_summary`)."""
    from relurepro import schemas

    return schemas.read_checked(path, lambda df, p: validate_summary(df, p, runs))


# A refine-by-untying table (Table 2): scripts/resnet_ode/finetune.py (the tiny net) writes FINETUNE_TINY,
# cifar_finetune.py and imagenet_finetune.py FINETUNE_RESNET; rows before and after fine-tuning.
FINETUNE_TINY = ["dataset", "stage", "model", "bn_mode", "top1", "max_abs_output_gap_untie", "epochs", "lr", "device"]
FINETUNE_RESNET = ["stage", "model", "bn_mode", "dataset", "top1", "epochs", "lr", "device"]


def finetune_schema(columns: list[str]):
    """A finetune table.csv in either layout: one row per (stage, model, batch-norm mode), top-1 in percent, one
    dataset and recipe per file, both stages present."""
    import pandera.pandas as pa

    layout = FINETUNE_TINY if columns == FINETUNE_TINY else FINETUNE_RESNET
    shared = ["dataset", "epochs", "lr", "device"]
    spec = {
        "dataset": pa.Column(str, pa.Check.isin(["digits", "cifar10", "imagenet"])),
        "stage": pa.Column(str, pa.Check.isin(["before", "after"])), "model": pa.Column(str),
        "bn_mode": pa.Column(str, pa.Check.str_matches(r"^(eval \(.+\)|batch statistics)$")),
        "top1": pa.Column(float, pa.Check.in_range(0, 100), coerce=True),
        "max_abs_output_gap_untie": pa.Column(float, pa.Check.ge(0), coerce=True),
        "epochs": pa.Column(int, pa.Check.ge(1)), "lr": pa.Column(float, pa.Check.gt(0), coerce=True),
        "device": pa.Column(str),
    }
    return pa.DataFrameSchema({c: spec[c] for c in layout}, strict=True, ordered=True,
                              unique=["stage", "model", "bn_mode"], checks=[
        pa.Check(lambda d: (d[shared].nunique() == 1).all(), error="one dataset and recipe per table"),
        pa.Check(lambda d: set(d["stage"]) == {"before", "after"}, error="rows before and after fine-tuning"),
    ])


SHARED_STATS = "eval (shared running statistics)"


def finetune_table(dataset: str, n_layers: int, counts: list[int], trained: str, before: dict, after: dict, *,
                   epochs: int, lr: float, device: str) -> pd.DataFrame:
    """Table 2's rows of one dataset (CIFAR-10 or ImageNet; layout FINETUNE_RESNET): the tied model with
    `n_layers` and its copies unrolled and untied at `counts` blocks per stage before fine-tuning, then the untied
    model fine-tuned (`trained`: which parameters). `before`: (model, batch-norm mode) -> accuracy with model one of
    tied, unrolled, untied; `after`: batch-norm mode -> accuracy. Accuracies are fractions, top1 is in percent."""
    blocks = "/".join(map(str, counts))
    names = {"tied": f"tied n_layers={n_layers}", "unrolled": f"tied unrolled at {blocks}",
             "untied": f"untied {blocks}"}
    rows = [("before", names[model], bn_mode, acc) for (model, bn_mode), acc in before.items()]
    rows += [("after", f"untied {blocks} + adjoint fine-tuning ({trained})", bn_mode, acc)
             for bn_mode, acc in after.items()]
    table = pd.DataFrame(rows, columns=["stage", "model", "bn_mode", "accuracy"])
    return table.assign(dataset=dataset, top1=100 * table.accuracy, epochs=epochs, lr=lr, device=device).drop(
        columns="accuracy")


def read_finetune(path) -> pd.DataFrame:
    """A finetune table.csv checked against `finetune_schema` (the layout its header names)."""
    from relurepro import schemas

    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    return schemas.read(path, finetune_schema(header))


def read_imagenet_run(path, epochs: int | None = None) -> pd.DataFrame:
    """An ImageNet run's metrics.csv (rule ro_imagenet_run, paper scale): relurepro.imagenet.COLUMNS per epoch,
    then the run, device and configuration; checked against relurepro.imagenet_runs.run_schema."""
    import pandera.pandas as pa

    from relurepro import schemas
    from relurepro.imagenet_runs import cfg_columns, run_schema

    record = {"run": pa.Column(str), "device": pa.Column(str), **cfg_columns(pa, seed=True)}
    return schemas.read(path, run_schema(epochs, record), rows=epochs)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run: 100 - best-epoch test accuracy (the original's metric, S5 'best'), the last epoch's, and whether
    the run diverged (a diverged run's best is over its finite epochs; with none it is 100 % error)."""

    def one(g: pd.DataFrame) -> pd.Series:
        acc = g.sort_values("epoch").test_accuracy
        return pd.Series({"error_best": 100 - 100 * acc.max() if acc.notna().any() else 100.0,
                          "error_last": 100 - 100 * acc.iloc[-1] if pd.notna(acc.iloc[-1]) else 100.0,
                          "final_train_loss": g.sort_values("epoch").train_loss.iloc[-1],
                          "diverged": bool(g.diverged.astype(bool).any()), "epochs": len(g)})

    return runs.groupby(RUN_KEYS).apply(one, include_groups=False).reset_index()


def mean_error_table(summary: pd.DataFrame, metric: str = "best") -> pd.DataFrame:
    """Mean error over seeds: rows depth, columns '<method>+<grad>[/<bn_recompute>]'."""
    label = summary.method + "+" + summary.grad + summary.bn_recompute.where(summary.grad == "adjoint", "").map(
        lambda b: f"/{b}" if b else "")
    return summary.assign(config=label).pivot_table(index="depth", columns="config", values=f"error_{metric}",
                                                    aggfunc="mean")


def curve_lines(kind: str, tables: list[pd.DataFrame]) -> list[tuple[str, pd.DataFrame, dict]]:
    """(label, epoch/value table, line style) per line of a per-epoch test-error figure.

    kind 'tied': eval-mode and batch-statistics test error of the tied pretraining; 'failure': mean over seeds
    of Euler backprop vs adjoint at one depth (one line per batch-norm handling); 'imagenet': top-1 validation
    error of each ImageNet run."""
    lines = []
    if kind == "tied":
        (t,) = tables
        lines.append(("tied, eval mode (shared running statistics)", t.assign(value=100 - 100 * t.test_accuracy),
                      {"color": "k", "lw": 2}))
        lines.append(("tied, batch statistics", t.assign(value=100 - 100 * t.test_accuracy_batch_stats),
                      {"color": "tab:orange", "lw": 2, "ls": "--"}))
    elif kind == "failure":
        runs = pd.concat(tables, ignore_index=True)
        for (grad, bn), g in runs.groupby(["grad", "bn_recompute"]):
            mean = g.groupby("epoch").test_accuracy.mean()
            label = "ResNet + Backprop" if grad == "backprop" else f"ResNet + Adjoint Method (BN recompute: {bn})"
            style = {"color": "purple", "lw": 2} if grad == "backprop" else {"lw": 2, "ls": "--"}
            lines.append((label, pd.DataFrame({"epoch": mean.index, "value": 100 - 100 * mean.values}), style))
    elif kind == "imagenet":
        for t in tables:
            lines.append((str(t.run.iloc[0]), t.assign(value=100 - 100 * t.val_top1), {"lw": 2}))
    else:
        raise ValueError(f"unknown curve kind {kind!r}")
    return lines
