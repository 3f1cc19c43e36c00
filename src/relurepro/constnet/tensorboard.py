"""TensorBoard event files of a constnet run, with the original's tags, so its readers work on ours.

Written once from the recorded rows after the run, not live: a resumed run then logs every epoch exactly once.
Tags: `Train/Loss`, `Train/Prec@1`, `AvgTest/Prec@1` (percent), `AvgTest/Loss`, `Diversity`, and per measured
layer `<tag>/<kind>` holding -ln|c|, built as the original builds it: "<k>) <module repr>" with every space removed,
cut to 31 characters, then ")" appended (so the cut counts the position prefix). k is the layer's place in the
original's fixed list: 0 the stem conv, 1 the classifier, 2-3 unused, then the 3n block convs from 4 on, then one
slot per group for its projection shortcut (4 + 3n + group; a group without one leaves its slot empty; LeakyNet has
none). WRN-16-10: convs 4-15, shortcuts 16-18. One deviation: `Train/Loss` is the mean over batches, where the
original divides the sum by the number of batches - 1.
"""

from __future__ import annotations

import re
from pathlib import Path

from torch import nn

FIRST_BLOCK = 4  # the original's list starts [stem, classifier, None, None]


def original_positions(model: nn.Module) -> dict[str, int]:
    """Module name -> the original's list position, for every conv and linear it measures."""
    names = [name for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    convs = [n for n in names if re.fullmatch(r"(groups\.\d+\.\d+|blocks\.\d+)\.conv", n)]
    positions = {"conv1": 0, "fc": 1, **{n: FIRST_BLOCK + i for i, n in enumerate(convs)}}
    for n in names:
        hit = re.fullmatch(r"groups\.(\d+)\.0\.shortcut", n)
        if hit:
            positions[n] = FIRST_BLOCK + len(convs) + int(hit.group(1))
    unknown = set(names) - set(positions)
    if unknown:
        raise ValueError(f"layers outside the original's list: {sorted(unknown)}")
    return positions


def layer_tag(position: int, module: nn.Module, kind: str) -> str:
    """`5)Conv2d(160,160,kernel_size=(3)/forward`, `16)Conv2d(16,160,kernel_size=(1)/forward`."""
    return f"{position}) {module!r}".replace(" ", "")[:31] + f")/{kind}"


def write_events(directory: str | Path, model: nn.Module, rows: list[dict], corr: list[dict]) -> Path:
    """Scalars per epoch (epoch 0 = initialisation) into `directory`; returns it."""
    from torch.utils.tensorboard import SummaryWriter

    directory = Path(directory)
    for old in directory.glob("events.out.tfevents.*"):  # a rerun replaces, never appends
        old.unlink()
    modules = dict(model.named_modules())
    position = original_positions(model)
    with SummaryWriter(log_dir=str(directory)) as writer:
        for row in rows:
            e = row["epoch"]
            writer.add_scalar("Train/Loss", row["train_loss"], e)
            writer.add_scalar("Train/Prec@1", 100 * row["train_acc"], e)
            writer.add_scalar("AvgTest/Loss", row["test_loss"], e)
            writer.add_scalar("AvgTest/Prec@1", 100 * row["test_acc"], e)
            writer.add_scalar("Diversity", row["diversity"], e)
        for c in corr:
            name = c["layer"]
            writer.add_scalar(layer_tag(position[name], modules[name], c["kind_corr"]), c["neg_log_abs_c"],
                              c["epoch"])
    return directory
