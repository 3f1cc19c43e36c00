"""resnet_ode training pieces: batch norm in the adjoint's recomputations, tied tiny nets and their untying, the
fine-tuning recipe, the aggregation and the claims."""

import copy
import re

import pandas as pd
import pytest
import torch

from relurepro.resnet_ode import claims
from relurepro.resnet_ode.aggregate import SHARED_STATS, read_runs, summarize, validate_summary
from relurepro.resnet_ode.models import TinyODENet, untie_tiny
from relurepro.resnet_ode.training import (TinyRecipe, accuracy, build, digits, recalibrate_bn, split_grad,
                                                untie_and_finetune)
from relurepro.training import TrainConfig, train

RECIPE = TinyRecipe(dataset="digits", epochs=2, batch=64, lr=0.1, momentum=0.9, weight_decay=5e-4, milestones=(1,),
                    test_batch=397, channels=8)


def running_means(net):
    return torch.cat([m.running_mean for f in net.residuals for m in f.modules()
                      if isinstance(m, torch.nn.BatchNorm2d)])


def one_step(bn_recompute, method="euler"):
    torch.manual_seed(0)
    net = TinyODENet(4, method, adjoint=True, stem="digits", zero_init=False, channels=8, bn_recompute=bn_recompute)
    reference = copy.deepcopy(net)
    reference.adjoint = False
    x = torch.randn(32, 1, 8, 8)
    for n in (net, reference):
        n(x).square().sum().backward()
    return net, reference


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_bn_recompute_restore_matches_backprop_and_update_counts_the_recomputations(method):
    restored, backprop = one_step("restore", method)
    assert torch.allclose(running_means(restored), running_means(backprop), atol=1e-6)
    updated, backprop = one_step("update", method)
    # The reverse steps and the recomputations ran the functions again in train mode, on reconstructed states.
    assert not torch.allclose(running_means(updated), running_means(backprop), atol=1e-4)
    assert all(f.training for f in updated.residuals)


def test_bn_recompute_eval_reproduces_the_original_mode_flip():
    flipped, _ = one_step("eval")
    assert not any(f.training for f in flipped.residuals)
    with pytest.raises(ValueError, match="bn_recompute"):
        TinyODENet(2, adjoint=True, stem="digits", bn_recompute="sometimes")(torch.randn(2, 1, 8, 8))


def test_grad_wildcards_name_mode_and_batch_norm_handling():
    assert split_grad("backprop") == ("backprop", "none")
    assert split_grad("adjoint_update") == ("adjoint", "update")
    for bad in ("adjoint", "backprop_update", "adjoint_sometimes", "memcnn"):
        with pytest.raises(ValueError, match="gradient mode"):
            split_grad(bad)


def test_digits_split_and_standardisation():
    train_data, test_data = digits()
    assert (len(train_data), len(test_data)) == (1400, 397)
    assert abs(float(train_data.x.mean())) < 1e-5 and abs(float(train_data.x.std()) - 1) < 1e-4


@pytest.mark.parametrize("depth", [8, 16])
def test_untying_a_tied_tiny_net_is_exact_at_any_unrolling(depth):
    torch.manual_seed(0)
    tied = TinyODENet(8, stem="digits", zero_init=False, tied=True)
    assert len(tied.residuals) == 1 and len(tied.steps()) == 8
    with torch.no_grad():  # give the running statistics non-trivial values
        tied.train()(torch.randn(64, 1, 8, 8))
    tied.depth = depth
    untied = untie_tiny(tied, depth)
    assert len(untied.residuals) == depth and untied.residuals[0] is not untied.residuals[1]
    x = torch.randn(16, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(tied.eval()(x), untied.eval()(x))


def test_batch_statistics_accuracy_leaves_the_model_untouched():
    _, test_data = digits()
    net = build(RECIPE, 2, "euler", "backprop", seed=1)
    before = copy.deepcopy(net.state_dict())
    accuracy(net, test_data, 100, batch_stats=True)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()) and net.training


def test_recalibrated_statistics_are_the_plain_average_over_the_data():
    train_data, _ = digits()
    net = build(RECIPE, 2, "euler", "backprop", seed=1)
    recalibrate_bn(net, train_data, 1400)  # one batch: the cumulative average is that batch's statistics
    with torch.no_grad():
        stem = net.conv(train_data.x)
    assert torch.allclose(net.bn.running_mean, stem.mean(dim=(0, 2, 3)), atol=1e-5)
    assert net.bn.momentum == 0.1


def test_step_schedule_and_extra_metrics_survive_resume(tmp_path):
    train_data, test_data = digits()
    cfg = TrainConfig(epochs=3, batch_size=200, lr=0.1, schedule="step", milestones=(1, 2), gamma=0.5, seed=0)
    extra = lambda model, test: {"calls": float(len(test))}  # noqa: E731
    net = build(RECIPE, 2, "euler", "backprop", seed=1)
    full = train(copy.deepcopy(net), train_data, test_data, cfg, progress=False, extra_metrics=extra)
    assert [r["lr"] for r in full] == [0.1, 0.05, 0.025] and all(r["calls"] == 397 for r in full)
    short = TrainConfig(**{**cfg.__dict__, "epochs": 2})
    ckpt, csv = tmp_path / "ckpt.pt", tmp_path / "m.csv"
    train(copy.deepcopy(net), train_data, test_data, short, checkpoint=ckpt, progress=False, extra_metrics=extra)
    resumed = train(copy.deepcopy(net), train_data, test_data, cfg, checkpoint=ckpt, metrics_csv=csv,
                    progress=False, extra_metrics=extra)
    assert [r["train_loss"] for r in resumed] == [r["train_loss"] for r in full]
    assert list(pd.read_csv(csv).calls) == [397.0] * 3


def test_untie_and_finetune_trains_only_the_residual_functions():
    data = (*digits(), None)
    tied = build(RECIPE, 4, "euler", "backprop", seed=1, tied=True)
    stem_before = copy.deepcopy(tied.conv.state_dict())
    cfg = RECIPE.train_config(1, "cpu", epochs=1, lr=0.01, milestones=())
    before, rows, untied = untie_and_finetune(tied, 8, RECIPE, cfg, data)
    assert before["max_abs_output_gap"] == 0 and before["tied_eval"] == before["untied_eval"]
    assert set(before) >= {"tied_eval_trained_depth", "tied_batch_stats", "untied_recalibrated"}
    assert torch.equal(untied.conv.weight, stem_before["weight"]) and len(untied.residuals) == 8
    assert not torch.equal(untied.residuals[0].conv1.weight, untied.residuals[7].conv1.weight)
    assert len(rows) == 1 and "test_accuracy_batch_stats" in rows[0]


def fake_memory(backprop, adjoint, depths=(1, 11, 151, 301)):
    rows = [{"depth": n, "mode": mode, "metric": "peak RSS (VmHWM)", "peak_mib": v, "d": 500, "batch": 500,
             "hidden": 8} for mode, values in (("backprop", backprop), ("adjoint", adjoint))
            for n, v in zip(depths, values)]
    return pd.DataFrame(rows)


NO_REFERENCE = pd.DataFrame(columns=["quantity", "value", "source"])


def test_memory_claim_checks_the_peak_and_fails_when_the_adjoint_keeps_every_state():
    # one state is 500 x 500 x 4 B = 0.954 MiB; the values of a fixed adjoint and of the list-keeping one (#19)
    fixed = claims.memory_claims(fake_memory([4.6, 14.4, 152.8, 301.1], [5.7, 8.1, 15.4, 23.9]), NO_REFERENCE,
                                 "smoke")
    leaky = claims.memory_claims(fake_memory([4.6, 14.4, 152.8, 301.1], [5.7, 14.5, 148.0, 290.0]), NO_REFERENCE,
                                 "smoke")
    flat_backprop = claims.memory_claims(fake_memory([4.6, 5.0, 6.0, 7.0], [5.7, 8.1, 15.4, 23.9]), NO_REFERENCE,
                                         "smoke")
    assert [r["status"] for r in fixed + leaky + flat_backprop] == ["pass", "fail", "fail"]
    assert "peak" in fixed[0]["measured"] and "301.1" in fixed[0]["measured"]


def test_trained_net_claims_are_not_checked_at_smoke_and_stand_ins_not_below_paper_scale():
    rows = [*case_rows("ro.C3_adjoint_fails", "smoke"), *claims.tied_claims(
        pd.DataFrame({"epoch": [1], "test_accuracy": [0.37], "test_accuracy_batch_stats": [0.94],
                      "dataset": "digits"}), None, "quick")]
    status = {(r["id"], r["case"][:6]): (r["status"], r["reason"]) for r in rows}
    assert all(s == "not_checked" and reason for (i, _), (s, reason) in status.items() if i != "ro.P1_shared_bn")
    assert status["ro.C6_tied", "digits"][1].startswith("below paper scale only the digits stand-in")
    assert status["ro.P1_shared_bn", "digits"] == ("pass", "")


def case_rows(claim_id, scale):
    from claim_cases.resnet_ode import ERRORS

    rows = [{"depth": d, "method": m, "grad": "backprop" if bn == "backprop" else "adjoint",
             "bn_recompute": "none" if bn == "backprop" else bn, "seed": 1, "error_best": e}
            for (m, bn), errors in ERRORS.items() for d, e in zip((2, 4, 8), errors)]
    return [r for r in claims.depth_error_claims(pd.DataFrame(rows), scale, NO_REFERENCE, "best", "update", "digits")
            if r["id"] == claim_id]


def test_resnet_tables_check_untying_on_accuracies_and_say_when_they_cannot():
    def table(dataset, models):
        rows = [("before", m, SHARED_STATS, acc) for m, acc in models]
        rows.append(("after", "untied + adjoint fine-tuning (layer3)", "eval (running statistics)", 95.0))
        return pd.DataFrame(rows, columns=["stage", "model", "bn_mode", "top1"]).assign(dataset=dataset)

    cifar = table("cifar10", [("tied n_layers=8", 94.0), ("tied unrolled at 4/4/32/4", 93.1),
                              ("untied 4/4/32/4", 93.1)])
    imagenet = table("imagenet", [("tied n_layers=8", 70.0), ("tied unrolled at 64/64/64/64", 69.0)])
    rows = {(r["id"], r["case"]): r for r in claims.finetune_claims(pd.concat([cifar, imagenet]), NO_REFERENCE,
                                                                    "paper")}
    assert rows["ro.untie_exact", "cifar10"]["status"] == "not_checked"  # true by construction: shown only
    assert rows["ro.untie_exact", "imagenet"]["status"] == "not_checked"
    assert rows["ro.C7_finetune", "cifar10"]["status"] == "pass"  # 95.0 > the tied model's best, 94.0
    assert rows["ro.C7_finetune", "imagenet"]["status"] == "pass"


def tiny_run(root, seed, accuracies=(0.5, 0.9, 0.8), grad="backprop"):
    """A tiny run's metrics.csv as scripts/resnet_ode/tiny_train.py writes it, at its self-describing path."""
    path = root / f"tiny/depth~2/method~euler/grad~{grad}/seed~{seed}/metrics.csv"
    path.parent.mkdir(parents=True)
    n = len(accuracies)
    adjoint, _, bn = grad.partition("_")
    pd.DataFrame({"epoch": range(1, n + 1), "train_loss": [1, 0.5, 0.4][:n], "train_accuracy": 0.7,
                  "test_loss": 0.3, "test_accuracy": accuracies, "lr": 0.1, "exact_zeros": 0, "relu_inputs": 100,
                  "diverged": False, "seconds": 0.5, "depth": 2, "method": "euler", "grad": adjoint,
                  "bn_recompute": bn or "none", "seed": seed, "dataset": "digits", "init": "iid", "zero_init": False,
                  "adjoint_variant": "chained" if bn else "none", "channels": 8, "device": "cpu"}).to_csv(path,
                                                                                                        index=False)
    return path


def test_summary_reads_runs_and_takes_best_and_last_epochs(tmp_path):
    paths = [tiny_run(tmp_path, seed) for seed in (1, 2)]
    s = summarize(read_runs(paths, epochs=3))
    validate_summary(s, "tiny_summary.csv", runs=2)
    assert list(s.error_best.round(6)) == [10.0, 10.0] and list(s.error_last.round(6)) == [20.0, 20.0]
    (tmp_path / "bad.csv").write_text("epoch,test_accuracy\n1,0.5\n")
    with pytest.raises(ValueError, match="bad.csv: expected columns"):
        read_runs([tmp_path / "bad.csv"])
    with pytest.raises(ValueError, match="tiny_summary.csv: 2 rows, the job wrote 3"):
        validate_summary(s, "tiny_summary.csv", runs=3)


@pytest.mark.parametrize("case, message", [
    ("duplicated", "4 rows, the job wrote 3"), ("replaced", "file lines 3, 4.*uniqueness"),
    ("type", "file lines 3\\).*bool"), ("number", "file lines 4\\)"), ("extra", "expected columns"),
    ("header", "no rows"), ("accuracy", "file lines 2\\).*in_range"), ("other_run", "rows of another run"),
    ("undiverged", "file lines 4\\).*NaN loss")])
def test_a_malformed_tiny_run_is_named(tmp_path, case, message):
    path = tiny_run(tmp_path, 1)
    lines = path.read_text().splitlines()
    text = {"duplicated": [*lines, lines[-1]], "replaced": [*lines[:-1], lines[-2]],
            "type": [lines[0], lines[1], lines[2].replace("False", "nope"), lines[3]],
            "number": [*lines[:-1], lines[-1].replace(",0.5,", ",half,")],
            "extra": [lines[0] + ",x", *(line + ",1" for line in lines[1:])], "header": lines[:1],
            "accuracy": [lines[0], lines[1].replace(",0.5,", ",50,", 1), *lines[2:]],
            "other_run": [lines[0], *(line.replace(",euler,", ",heun,") for line in lines[1:])],
            "undiverged": [*lines[:-1], lines[-1].replace("False", "True")]}[case]
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
        read_runs([path], epochs=3)


def test_tied_metrics_follow_their_schema(tmp_path):
    from relurepro.resnet_ode.aggregate import read_tied

    path = tiny_run(tmp_path, 1)
    table = pd.read_csv(path)[list(pd.read_csv(path).columns[:10])].assign(
        test_accuracy_batch_stats=0.6, depth=4, seed=1, dataset="digits", bn="shared", device="cpu")
    tied = tmp_path / "tied.csv"
    table.to_csv(tied, index=False)
    assert len(read_tied(tied, 3)) == 3
    lines = tied.read_text().splitlines()
    for text, message in (([*lines, lines[-1]], "4 rows, the job wrote 3"), (lines[:1], "no rows"),
                          ([*lines[:-1], lines[-1].replace(",shared,", ",own,")], "file lines 4\\).*isin"),
                          ([*lines[:-1], lines[-2]], "file lines 3, 4.*uniqueness")):
        tied.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(tied))}: .*{message}"):
            read_tied(tied, 3)
