"""leaf runs, training procedures and tables (the claims: tests/leaf/test_leaf_claims.py)."""

import copy

import pandas as pd
import pytest
import torch

from relurepro.leaf.analysis import shape_samples, summarize
from relurepro.leaf.data import digits28
from relurepro.leaf.grid import Run, runs
from relurepro.leaf.models import build_net
from relurepro.leaf.tables import latex_rows, seeds_table
from relurepro.leaf.training import LeafRecipe, make_optimizers, shift_flip, train, train_step

PAPER = dict(nets=["lenet5", "kerasnet"], datasets={"f-mnist": "fashion_mnist", "cifar10": "cifar10"},
             fill_all_charts=False, stability={"nets": ["kerasnet"], "datasets": ["cifar10"], "acts": ["ReLU"]},
             seed_runs={"datasets": ["cifar10"], "acts": ["ReLU", "SiLU"], "seeds": [42, 100, 128, 1999, 7823]})


def test_paper_grid_is_the_readme_runs_and_the_filled_charts():
    readme = runs(PAPER)
    assert len(readme) == 148 and sum(r.dspt for r in readme) == 56
    assert not any(r.type == "ahaf" and r.af in ("Tanh", "Sigmoid") for r in readme)  # the crashing commands
    assert len(runs({**PAPER, "fill_all_charts": True})) == 184
    assert Run("lenet5", "cifar10", "Tanh", "leaf", "adam", 1, 1, 7).path() == (
        "results/leaf/train/net~lenet5/ds~cifar10/af~Tanh/type~leaf/opt~adam/dspt~1/p24sl~1/seed~7/stat.csv")


def test_optimizer_groups_of_each_procedure():
    net = build_net("lenet5", "leaf", "Tanh", (1, 28, 28))
    (standard,) = make_optimizers(net, LeafRecipe(opt="adam"))
    assert [g["lr"] for g in standard.param_groups] == [1e-3, 1e-3]
    (p24,) = make_optimizers(net, LeafRecipe(opt="adam", p24sl=True))
    assert [g["lr"] for g in p24.param_groups] == [1e-3, 1e-3, 1e-6]
    aaf, weights = make_optimizers(net, LeafRecipe(opt="rmsprop", p24sl=True, dspt=True))
    assert [g["lr"] for g in aaf.param_groups] == [1e-4, 1e-5] and [g["lr"] for g in weights.param_groups] == [1e-4]
    # P24Sl is ignored for AHAF (no p2/p4), as the original silently does.
    (ahaf,) = make_optimizers(build_net("lenet5", "ahaf", "ReLU", (1, 28, 28)), LeafRecipe(p24sl=True))
    assert len(ahaf.param_groups) == 2


def test_dspt_updates_activations_then_weights_with_the_updated_activations():
    torch.manual_seed(0)
    net = build_net("lenet5", "leaf", "Sigmoid", (1, 28, 28))
    before = copy.deepcopy(net.state_dict())
    x, y = torch.rand(16, 1, 28, 28), torch.randint(0, 10, (16,))
    optimizers = make_optimizers(net, LeafRecipe(dspt=True))
    loss = train_step(net, x, y, optimizers, dspt=True)
    changed = {k for k, v in net.state_dict().items() if not torch.equal(v, before[k])}
    assert {"act3.p1", "act3.p2", "conv1.weight", "fc4.weight"} <= changed
    assert all(p.requires_grad for p in net.parameters())
    # The recorded loss is the stage-2 loss: the activations already updated, the weights not yet.
    stage2 = copy.deepcopy(net)
    stage2.load_state_dict({k: (v if k.startswith("act") else before[k]) for k, v in net.state_dict().items()})
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(stage2(x), y).item(), rel=1e-6)


def test_shift_flip_shifts_by_at_most_three_pixels_with_zero_fill():
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(2000, 1, 28, 28)
    x[:, :, 14, 14] = 1.0
    out = shift_flip(x, g)
    rows, cols = (out[:, 0] == 1).nonzero()[:, 1], (out[:, 0] == 1).nonzero()[:, 2]
    assert len(rows) == 2000 and out.sum() == 2000  # nothing lost, nothing duplicated
    assert set((rows - 14).tolist()) == set(range(-3, 4))
    # flips move column 14 to 13, so the column offsets span -4..3
    assert (cols - 14).min() >= -4 and (cols - 14).max() <= 3


def test_training_resumes_to_the_same_result(tmp_path):
    train_data, test_data = digits28()
    train_data, test_data = train_data.subset(256), test_data.subset(100)
    recipe = LeafRecipe(epochs=2, batch=64, dspt=True, p24sl=True, augment=True, seed=3)
    torch.manual_seed(3)
    net = build_net("kerasnet", "leaf", "Tanh", (1, 28, 28))  # dropout: the global RNG must resume too
    start = copy.deepcopy(net.state_dict())
    torch.manual_seed(5)
    full = train(net, train_data, test_data, recipe, progress=False)
    net.load_state_dict(start)
    torch.manual_seed(5)
    train(net, train_data, test_data, LeafRecipe(**{**recipe.__dict__, "epochs": 1}), checkpoint=tmp_path / "c.pt",
          progress=False)
    net.load_state_dict(start)
    torch.manual_seed(99)  # a restarted job: the checkpoint's RNG state wins
    resumed = train(net, train_data, test_data, recipe, checkpoint=tmp_path / "c.pt", progress=False)
    assert [r["train_loss_mean"] for r in resumed] == [r["train_loss_mean"] for r in full]
    with pytest.raises(ValueError, match="another recipe"):
        train(net, train_data, test_data, LeafRecipe(**{**recipe.__dict__, "dspt": False}),
              checkpoint=tmp_path / "c.pt", progress=False)


def test_summary_takes_the_first_best_epoch_one_based():
    stat = pd.DataFrame({"epoch": [0, 1, 2], "test_acc": [0.5, 0.9, 0.9], "train_loss_mean": [1, 0.5, 0.4],
                         "duration": [1.004, 1.0, 1.0], "diverged": False})
    assert summarize(stat) == {"best_acc": 90.0, "best_epoch": 2, "it_time": 1.0, "final_loss": 0.4,
                               "diverged": False}


def fake_summary():
    rows = []
    for seed, (b, l) in zip((42, 100), ((88.0, 93.0), (86.0, 85.0))):
        rows.append(dict(net="lenet5", ds="f-mnist", af="Sigmoid", type="base", opt="adam", dspt=0, p24sl=0, seed=seed,
                         best_acc=b, best_epoch=15, it_time=1.0, final_loss=0.4))
        rows.append(dict(net="lenet5", ds="f-mnist", af="Sigmoid", type="leaf", opt="adam", dspt=0, p24sl=1, seed=seed,
                         best_acc=l, best_epoch=15, it_time=1.5, final_loss=0.3))
    return pd.DataFrame(rows)


def test_tables_mark_missing_datasets_and_aggregate_seeds():
    summary = fake_summary()
    latex = latex_rows(summary, "lenet5", "bou_fn", 42)
    sig = latex[latex["Init."].isin(["N/A", "Sigm."]) & latex["Activ."].isin(["Sigm.", "LEAF"])]
    assert list(sig["F-MNIST Acc.,%"]) == ["88.00%", "93.00%", "-1.00%"] and set(sig["CIFAR-10 Ep."]) == {-1}
    seeds = seeds_table(summary)
    assert list(seeds["mean"]) == [87.0, 89.0] and list(seeds["seed 100"]) == [86.0, 85.0]


def test_shape_samples_use_the_last_layers_and_the_learned_parameters():
    net = build_net("kerasnet", "leaf", "Sigmoid", (1, 28, 28))
    with torch.no_grad():
        net.act7.p1.fill_(0.5)
    table = pd.DataFrame(shape_samples(net, "Sigmoid"))
    assert sorted(table.layer.unique()) == ["act1", "act2", "act4", "act5", "act7"]
    last = table[table.layer == "act7"]
    x = torch.tensor(last.x.values)
    assert torch.allclose(torch.tensor(last.learned.values), (0.5 * x + 1) * torch.sigmoid(x), atol=1e-5)
    first = table[table.layer == "act1"]  # untouched: still exactly the base function
    assert (first.learned - first.base).abs().max() < 1e-6
