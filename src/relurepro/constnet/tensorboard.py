"""TensorBoard event files of a constnet run, with the original's tags (spec 2.9), so its readers work on ours.

Written once from the recorded rows after the run, not live: a resumed run then logs every epoch exactly once.
Tags: `Train/Loss`, `Train/Prec@1`, `AvgTest/Prec@1` (percent), `AvgTest/Loss`, `Diversity`, and per layer
`<k>)<module repr cut to 31 characters, spaces removed>)/<kind>` holding −ln|c| (k: the layer's position among
the measured convs and linears). One deviation: `Train/Loss` is the mean over batches, where the original divides
the sum by the number of batches − 1.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn


def layer_tag(position: int, module: nn.Module, kind: str) -> str:
    """The repr is cut to 31 characters before its spaces go: `5)Conv2d(160,160,kernel_size=(3)/forward`."""
    return f"{position}){repr(module)[:31].replace(' ', '')})/{kind}"


def write_events(directory: str | Path, model: nn.Module, rows: list[dict], corr: list[dict]) -> Path:
    """Scalars per epoch (epoch 0 = initialisation) into `directory`; returns it."""
    from torch.utils.tensorboard import SummaryWriter

    directory = Path(directory)
    for old in directory.glob("events.out.tfevents.*"):  # a rerun replaces, never appends
        old.unlink()
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    position = {name: (k, m) for k, (name, m) in enumerate(layers)}
    with SummaryWriter(log_dir=str(directory)) as writer:
        for row in rows:
            e = row["epoch"]
            writer.add_scalar("Train/Loss", row["train_loss"], e)
            writer.add_scalar("Train/Prec@1", 100 * row["train_acc"], e)
            writer.add_scalar("AvgTest/Loss", row["test_loss"], e)
            writer.add_scalar("AvgTest/Prec@1", 100 * row["test_acc"], e)
            writer.add_scalar("Diversity", row["diversity"], e)
        for c in corr:
            k, module = position[c["layer"]]
            writer.add_scalar(layer_tag(k, module, c["kind_corr"]), c["neg_log_abs_c"], c["epoch"])
    return directory
