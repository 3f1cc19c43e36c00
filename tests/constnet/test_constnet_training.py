"""ConstNet, its symmetry breakers and training diagnostics."""

import pandas as pd
import pytest
import torch

from relurepro.constnet import claims, figures
from relurepro.constnet.correlations import symmetry_deviation
from relurepro.constnet.data import digits
from relurepro.constnet.models import ConstNet
from relurepro.constnet.symmetry import configure, reordered_sum
from relurepro.constnet.tensorboard import write_events
from relurepro.constnet.training import ConstRecipe, lr_at, train


@pytest.fixture
def cpu_symmetric():
    """The det arm's CPU settings, restored afterwards for the other tests."""
    state = (torch.backends.mkldnn.enabled, torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    configure("det", torch.device("cpu"))
    yield
    torch.backends.mkldnn.enabled = state[0]
    torch.set_num_threads(state[1])
    torch.use_deterministic_algorithms(state[2])


def test_constnet_matches_the_original_sizes_and_starts_as_one_feature():
    assert sum(p.numel() for p in ConstNet().parameters()) == 17_115_354  # + 36 unused Fixup scalars = 17,115,390
    net = ConstNet(10, 2, 3, pool="global")
    x = torch.randn(4, 3, 8, 8)
    feats = net.features(x)
    assert torch.equal(feats, feats[:, :1].expand_as(feats)) and torch.equal(net(x), torch.zeros(4, 10))
    assert symmetry_deviation(net) == 0
    with pytest.raises(ValueError, match="3n \\+ 4"):
        ConstNet(depth=12)


def test_camera_ready_schedule_and_its_proportional_version():
    paper = ConstRecipe(epochs=300)
    assert [lr_at(e, paper) for e in (159, 160, 220, 260)] == pytest.approx([0.03, 0.006, 0.0012, 0.00024])
    short = ConstRecipe(epochs=40, schedule="proportional")
    assert [lr_at(e, short) for e in (20, 21, 29, 35)] == pytest.approx([0.03, 0.006, 0.0012, 0.00024])


def test_reordered_sum_is_a_sum_in_another_order():
    g = torch.Generator().manual_seed(0)
    chunks = torch.randn(8, 1000)
    total = reordered_sum(chunks, g)
    assert torch.allclose(total, chunks.sum(0), atol=1e-5)
    assert not torch.equal(total, reordered_sum(chunks, g)) or not torch.equal(total, chunks.sum(0))


@pytest.mark.parametrize("breaker,symmetric", [("det", True), ("ulp", False), ("reorder", False)])
def test_only_a_symmetry_breaker_leaves_the_symmetric_manifold(cpu_symmetric, breaker, symmetric):
    train_data, test_data = digits()
    torch.manual_seed(0)
    net = ConstNet(7, 1, 1, pool="global")
    recipe = ConstRecipe(epochs=2, batch=64, schedule="proportional", breaker=breaker, chunks=4,
                         expect_symmetric=symmetric)
    rows, corr = train(net, train_data.subset(512), test_data, recipe, progress=False)
    assert [r["epoch"] for r in rows] == [0, 1, 2] and rows[0]["symmetry_deviation"] == 0
    assert (rows[-1]["symmetry_deviation"] == 0) == symmetric
    if symmetric:  # (after 2 short epochs a broken net's final features may still round to one value)
        assert all(r["distinct_channels"] == 1 for r in rows)
    assert set(pd.DataFrame(corr).kind_corr) == {"correlations", "forward", "backward"}


def test_an_arm_expected_symmetric_records_a_break_and_keeps_training(cpu_symmetric, capsys):
    train_data, test_data = digits()
    net = ConstNet(7, 1, 1, pool="global", droprate=0.5)  # dropout breaks symmetry: a mislabelled "det" arm
    recipe = ConstRecipe(epochs=2, batch=64, breaker="det", expect_symmetric=True)
    rows, _ = train(net, train_data.subset(256), test_data, recipe, progress=False)
    assert [r["epoch"] for r in rows] == [0, 1, 2] and rows[0]["symmetry_deviation"] == 0
    assert all(r["symmetry_deviation"] > 0 for r in rows[1:]) and rows[-1]["distinct_channels"] > 1
    assert capsys.readouterr().err.count("left the symmetric manifold at epoch 1") == 1  # warned once


def test_tensorboard_events_carry_the_original_tags_once_per_epoch(cpu_symmetric, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train_data, test_data = digits()
    net = ConstNet(7, 1, 1, pool="global")
    rows, corr = train(net, train_data.subset(128), test_data, ConstRecipe(epochs=1, batch=64), progress=False)
    for _ in range(2):  # a rerun replaces the events, it does not append a second copy
        write_events(tmp_path, net, rows, corr)
    events = EventAccumulator(str(tmp_path)).Reload()
    tags = events.Tags()["scalars"]
    assert {"Train/Loss", "Train/Prec@1", "AvgTest/Loss", "AvgTest/Prec@1", "Diversity"} <= set(tags)
    assert "0)Conv2d(1,16,kernel_size=(3,3))/forward" in tags  # "0)" + repr, cut to 31 characters, then ")"
    assert "9)Conv2d(32,64,kernel_size=(1,1)/forward" in tags  # depth 7: group 3's shortcut, at 4 + 3n + 2
    test = events.Scalars("AvgTest/Prec@1")
    assert [e.step for e in test] == [0, 1]
    assert [e.value for e in test] == pytest.approx([100 * r["test_acc"] for r in rows])
    constant = [e.value for t in tags if t.endswith("/backward") for e in events.Scalars(t)]
    assert len(constant) == 2 * sum(t.endswith("/backward") for t in tags) and max(constant) < 1e-12  # |c| = 1 kept


def test_resume_gives_the_same_run(cpu_symmetric, tmp_path):
    train_data, test_data = digits()
    train_data = train_data.subset(256)
    recipe = ConstRecipe(epochs=2, batch=64, breaker="ulp", seed=3)
    torch.manual_seed(0)
    full, _ = train(ConstNet(7, 1, 1, pool="global"), train_data, test_data, recipe, progress=False)
    torch.manual_seed(0)
    net = ConstNet(7, 1, 1, pool="global")
    train(net, train_data, test_data, ConstRecipe(**{**recipe.__dict__, "epochs": 1}), checkpoint=tmp_path / "c.pt",
          progress=False)
    torch.manual_seed(0)
    resumed, _ = train(ConstNet(7, 1, 1, pool="global"), train_data, test_data, recipe, checkpoint=tmp_path / "c.pt",
                       progress=False)
    assert [r["test_acc"] for r in resumed] == [r["test_acc"] for r in full]
    assert [r["symmetry_deviation"] for r in resumed] == [r["symmetry_deviation"] for r in full]


def test_time_to_break_and_claims():
    rows = []
    for name, accs, dev, breaker in (("constnet_deterministic", [0.1, 0.2, 0.25, 0.25, 0.26, 0.26], 0.0, "det"),
                                     ("constnet", [0.1, 0.2, 0.6, 0.7, 0.8, 0.9], 1.0, "ulp")):
        for epoch, acc in enumerate(accs):
            rows.append(dict(kind="constnet", name=name, seed=0, data="digits", epoch=epoch, test_acc=acc,
                             symmetry_deviation=dev, distinct_channels=1 if dev == 0 else 16, arm_init="const",
                             arm_breaker=breaker, arm_droprate=0.0))
    metrics = pd.DataFrame(rows)
    t = figures.time_to_break(metrics)
    assert list(t.epoch_cumulative) == [-1, 5] and list(t.epoch_streak_start) == [-1, 2]
    corr = pd.DataFrame([dict(kind="constnet", name=n, epoch=5, layer="conv", kind_corr="forward", c=c)
                         for n, c in (("constnet_deterministic", 1.0), ("constnet", 0.3))])
    ref = pd.DataFrame(columns=["quantity", "value", "source"])
    out = {r["id"]: r for r in claims.claims(metrics, corr, ref, "quick")}
    assert {i: r["status"] for i, r in out.items()} == {
        "cn.C2_symmetric": "pass", "cn.C3_breaks": "pass",
        "cn.C6_similar": "not_checked"}  # no He arm to compare the correlations with
    assert out["cn.C3_breaks"]["case"] == "constnet (ulp noise (emulated))"
    # smoke: the breaking arm is shown without a verdict; the exact symmetry is checked at every scale
    smoke = {r["id"]: r["status"] for r in claims.claims(metrics, corr, ref, "smoke")}
    assert smoke["cn.C2_symmetric"] == "pass" and smoke["cn.C3_breaks"] == "not_checked"


@pytest.mark.parametrize("accs,cumulative,streak", [
    ([0.1, 0.6, 0.4, 0.6, 0.4, 0.6, 0.6, 0.3, 0.3], 6, -1),  # 4 epochs above 50 %, never 4 in a row
    ([0.1, 0.6, 0.6, 0.6, 0.4, 0.6, 0.6, 0.6, 0.6], 5, 5),  # the 4th epoch above is also a streak's first
    ([0.1, 0.6, 0.6, 0.4, 0.6, 0.6, 0.6, 0.6, 0.4], 5, 4),
    ([0.9, 0.5, 0.6, 0.6, 0.6, 0.4, 0.2, 0.2, 0.2], -1, -1),  # epoch 0 is not counted; exactly 50 % is not above
    ([0.1, 0.6, 0.6, 0.6, 0.6, 0.2, 0.2, 0.2, 0.2], 4, 1),
])
def test_time_to_break_rules_on_hand_built_sequences(accs, cumulative, streak):
    epochs = list(range(len(accs)))
    assert figures.break_epoch(epochs, accs) == cumulative
    assert figures.break_epoch(epochs, accs, "streak_start") == streak
    metrics = pd.DataFrame(dict(kind="constnet", name="a", seed=0, epoch=epochs[::-1], test_acc=accs[::-1],
                                arm_init="const", arm_breaker="reorder", arm_droprate=0.0))
    t = figures.time_to_break(metrics)  # rows in any order
    assert (t.epoch_cumulative[0], t.epoch_streak_start[0]) == (cumulative, streak)


@pytest.mark.parametrize("init,blocks", [("h_hh_hh_hh", False), ("1_ii_ii_ii", False), ("1_ii_1i_ii", False),
                                         ("1_ii_11_ii", True), ("1_i1_i1_i1", True), ("1_11_11_11", True)])
def test_which_init_strings_block_symmetry_breaking(init, blocks):
    assert claims._blocks_breaking(init) is blocks


def test_figures_name_arms_by_what_ran_and_say_what_broke_symmetry():
    arms = {"constnet": ("ulp", 0.0, [0, 0, 1e-7]), "constnet_reorder": ("reorder", 0.0, [0, 1e-7, 1e-3]),
            "constnet_deterministic": ("det", 0.0, [0, 0, 0]), "constnet_cuda_dropout": ("ulp", 0.01, [0, 0.1, 1]),
            "constnet_dropout": ("det", 0.01, [0.3, 0.5, 1])}
    metrics = pd.DataFrame([dict(kind="constnet", name=n, seed=0, epoch=e, test_acc=0.5, symmetry_deviation=d,
                                 distinct_channels=1, arm_init="const", arm_breaker=b, arm_droprate=p)
                            for n, (b, p, devs) in arms.items() for e, d in enumerate(devs)])
    names = figures.labels(metrics)
    assert names["constnet_cuda_dropout"] == ("const init, non-deterministic (emulated: ulp noise), dropout 0.01 "
                                              "[constnet_cuda_dropout]")
    assert names["constnet_reorder"].startswith("const init, non-deterministic (emulated: reordered float32 sums)")
    assert names["constnet_deterministic"] == "const init, deterministic [constnet_deterministic]"
    note = figures.breaking_note(metrics)
    assert "ulp noise (emulated): constnet (from epoch 2)" in note
    assert "reordered float32 sums (emulated): constnet_reorder (from epoch 1)" in note
    assert "nothing (deterministic): constnet_deterministic (exactly symmetric at every epoch)" in note
    assert "dropout 0.01 + ulp noise (emulated): constnet_cuda_dropout (from epoch 1)" in note
    assert "dropout 0.01: constnet_dropout (asymmetric from init)" in note
    assert "(1 + 2^-24 xi)" in note and "random order per element" in note
    assert "reorder" not in figures.breaking_note(metrics[metrics.arm_breaker != "reorder"]).split("Emulations")[1]
    table = figures.final_table(metrics)
    assert list(table.mechanism) == ["ulp noise (emulated)", "reordered float32 sums (emulated)",
                                     "nothing (deterministic)", "dropout 0.01 + ulp noise (emulated)", "dropout 0.01"]


@pytest.mark.parametrize("init,expected", [
    ("h_hh_hh_hh", "random init + ulp noise (emulated)"),
    ("1_ii_ii_ii", "identity layers' rounding + ulp noise (emulated)"),
    ("1_11_11_11", "ulp noise (emulated)"),
])
def test_leakynet_mechanisms(init, expected):
    from relurepro.constnet.grid import mechanism

    assert mechanism("leakynet", init, "ulp", 0.0) == expected
