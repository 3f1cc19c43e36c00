"""Table 2 (fine-tuning the untied ResNets): the rows the CIFAR-10 and ImageNet jobs write, compared with the layout
written out by hand, and read back through the table's schema."""

import pandas as pd

from relurepro.resnet_ode.aggregate import SHARED_STATS, finetune_table, read_finetune


def test_cifar_rows_match_the_layout_written_out(tmp_path):
    before = {("tied", SHARED_STATS): 0.9, ("unrolled", SHARED_STATS): 0.5, ("unrolled", "batch statistics"): 0.8,
              ("untied", SHARED_STATS): 0.4, ("untied", "eval (per-copy recalibrated statistics)"): 0.7}
    after = {"eval (running statistics)": 0.93, "batch statistics": 0.94}
    got = finetune_table("cifar10", 4, [4, 4, 32, 4], "layer3", before, after, epochs=3, lr=0.01, device="cpu")
    m = "untied 4/4/32/4 + adjoint fine-tuning (layer3)"
    expected = pd.DataFrame({
        "stage": ["before"] * 5 + ["after"] * 2,
        "model": ["tied n_layers=4", "tied unrolled at 4/4/32/4", "tied unrolled at 4/4/32/4", "untied 4/4/32/4",
                  "untied 4/4/32/4", m, m],
        "bn_mode": ["eval (shared running statistics)", "eval (shared running statistics)", "batch statistics",
                    "eval (shared running statistics)", "eval (per-copy recalibrated statistics)",
                    "eval (running statistics)", "batch statistics"],
        "dataset": "cifar10", "top1": [90.0, 50.0, 80.0, 40.0, 70.0, 93.0, 94.0], "epochs": 3, "lr": 0.01,
        "device": "cpu"})
    assert got.to_csv(index=False) == expected.to_csv(index=False)
    path = tmp_path / "table.csv"
    got.to_csv(path, index=False)
    assert read_finetune(path).to_csv(index=False) == path.read_text()


def test_imagenet_rows():
    got = finetune_table("imagenet", 8, [64, 64, 64, 64], "all parameters",
                         {("tied", SHARED_STATS): 0.75, ("unrolled", SHARED_STATS): 0.25},
                         {"eval (running statistics)": 0.76}, epochs=2, lr=0.001, device="cuda")
    assert list(got.columns) == ["stage", "model", "bn_mode", "dataset", "top1", "epochs", "lr", "device"]
    assert list(got.model) == ["tied n_layers=8", "tied unrolled at 64/64/64/64",
                               "untied 64/64/64/64 + adjoint fine-tuning (all parameters)"]
    assert list(got.top1) == [75.0, 25.0, 76.0] and set(got.stage) == {"before", "after"}
