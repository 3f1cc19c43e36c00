import math
import re

import numpy as np
import pandas as pd
import pytest
import torch

from interruptions import dies_at_call
from relurepro.uniform_accuracy import aggregate, teachers
from relurepro.uniform_accuracy.cell import CELL_COLUMNS, read_cell, run_cell
from relurepro.uniform_accuracy.grid import students_of
from relurepro.uniform_accuracy.errors import TestPoints, errors, seed_for_test_points
from relurepro.uniform_accuracy.illustration import zoom_windows
from relurepro.uniform_accuracy.single_trial import train_trial
from relurepro.uniform_accuracy.models import StackedMLP, linear_stack, seeded_students
from relurepro.uniform_accuracy.teachers import SineTarget
from relurepro.uniform_accuracy import training as ua_training
from relurepro.uniform_accuracy.training import Experiment, draw_samples, train_students

PAPER = {
    "exp_0": Experiment("exp_0", {"fraction": 0.2}, "epoch_shuffle", 1000, 5, (1e-4, 1e-6)),
    "exp_1": Experiment("exp_1", {"fraction": 0.02}, "epoch_shuffle", 1000, 5, (1e-4, 1e-6)),
    "exp_2": Experiment("exp_2", {"fixed": 100}, "epoch_shuffle", 200, 5, (1e-4, 1e-6)),
}


def test_teachers_match_the_published_fingerprints(tmp_path):
    prints = teachers.save_teachers(1, [0, 1, 2, 39], tmp_path / "t1.pt")
    prints += teachers.save_teachers(3, [0], tmp_path / "t3.pt")
    assert [p["matches"] for p in prints] == [True] * 5
    assert (tmp_path / "t1.json").exists()


def test_a_changed_construction_is_detected(tmp_path, monkeypatch):
    def float64_first(d, seed):  # generating in float64 directly gives other weights
        torch.manual_seed(seed)
        layers = [lin.double() for lin in linear_stack(d, 32, 5)]
        for lin in layers:
            torch.nn.init.uniform_(lin.weight, -0.5, 0.5)
            torch.nn.init.uniform_(lin.bias, -0.5, 0.5)
        return layers

    monkeypatch.setattr(teachers, "build_teacher", float64_first)
    with pytest.raises(RuntimeError, match="teacher construction changed"):
        teachers.save_teachers(1, [0], tmp_path / "t.pt")
    assert not (tmp_path / "t.pt").exists()


def test_stacked_nets_equal_separate_nets():
    torch.manual_seed(0)
    nets = [linear_stack(3, 8, 4) for _ in range(3)]
    stack = StackedMLP.from_nets(nets, standardize=True)
    x = torch.rand(5, 3, dtype=torch.float64) - 0.5
    alone = []
    for net in nets:
        seq = torch.nn.Sequential(*[m for lin in net for m in (lin.double(), torch.nn.ReLU())][:-1])
        alone.append(seq(x * math.sqrt(12)).squeeze(-1))
    expected = torch.stack(alone)
    assert torch.allclose(stack(x), expected, atol=1e-12)
    assert torch.allclose(stack(x.expand(3, -1, -1)), expected, atol=1e-12)


def test_summed_loss_gives_each_student_its_own_gradient():
    stack = seeded_students([10000, 10001], 1, 8, 3, torch.float64, "cpu")
    x = torch.rand(2, 7, 1, dtype=torch.float64) - 0.5
    y = torch.rand(2, 7, dtype=torch.float64)
    (stack(x) - y).pow(2).mean(1).sum().backward()
    for k in range(2):
        single = seeded_students([[10000, 10001][k]], 1, 8, 3, torch.float64, "cpu")
        (single(x[k:k + 1]) - y[k:k + 1]).pow(2).mean().backward()
        for w_stack, w_single in zip(stack.weights, single.weights):
            assert torch.allclose(w_stack.grad[k], w_single.grad[0], atol=1e-14)


@pytest.mark.parametrize("name,batches,steps", [
    ("exp_0", [20, 200, 2000, 20000], [25_000] * 4),
    ("exp_1", [2, 20, 200, 2000], [250_000] * 4),
    ("exp_2", [100] * 4, [1000, 10_000, 100_000, 1_000_000]),
])
def test_paper_batch_settings(name, batches, steps):
    exp = PAPER[name]
    ms = [100, 1000, 10_000, 100_000]
    assert [exp.batch_size(m) for m in ms] == batches
    assert [exp.iterations * exp.steps_per_iteration(m) for m in ms] == steps
    assert exp.gamma() == pytest.approx(0.99540542 if name == "exp_2" else 0.99907939, abs=1e-8)


def test_bad_experiments_are_rejected():
    with pytest.raises(ValueError, match="minibatches"):
        Experiment("x", {"cap": 4}, "sometimes", 1, 1, (1e-3, 1e-5))
    with pytest.raises(ValueError, match="batch must be"):
        Experiment("x", {"huge": 4}, "with_replacement", 1, 1, (1e-3, 1e-5))


def test_errors_of_a_constant_offset():
    class Shift(torch.nn.Module):
        def forward(self, x):
            return x[..., 0].expand(2, -1) + torch.tensor([[0.25], [-0.5]], dtype=x.dtype)

    class Zero(torch.nn.Module):
        def forward(self, x):
            return x[..., 0].expand(2, -1)

    points = TestPoints("grid", 11, 1).chunks(None, 4, torch.float64, "cpu")
    errs = errors(Shift(), Zero(), points)
    for name in ("L1", "L2", "Linfinity"):
        assert errs[name].tolist() == pytest.approx([0.25, 0.5])


def test_students_are_split_into_parts_without_loss_or_overlap():
    parts = [students_of(list(range(40)), [10000, 10001, 10002], p, 6) for p in range(6)]
    flat = [s for part in parts for s in part]
    assert len(flat) == 120 and len(set(flat)) == 120 and {len(p) for p in parts} == {20}
    with pytest.raises(ValueError):
        students_of([0], [1], 2, 2)


def _tiny_run(tmp_path, stop_after=None, monkeypatch=None):
    t = teachers.load_teachers(tmp_path / "t.pt", [0, 1], dtype=torch.float32)
    students = seeded_students([10000, 10000], 1, 16, 3, torch.float32, "cpu")
    exp = Experiment("q", {"cap": 8}, "with_replacement", 20, 3, (1e-2, 1e-4))
    samples = {10000: draw_samples(10000, 30, 1)}
    return train_students(students, t, [10000, 10000], samples, exp, TestPoints("grid", 257, 1),
                          checkpoint=tmp_path / "ck.pt", progress=False)


def test_training_resumes_from_its_checkpoint_with_the_same_result(tmp_path, monkeypatch):
    teachers.save_teachers(1, [0, 1], tmp_path / "t.pt")
    full_rows, full_values = _tiny_run(tmp_path)
    assert not (tmp_path / "ck.pt").exists()
    assert full_rows[-1]["L2"] < full_rows[0]["L2"] or full_rows[-1]["train_L2"] < full_rows[0]["train_L2"]
    real = ua_training._evaluate
    monkeypatch.setattr(ua_training, "_evaluate", dies_at_call(real, 2))  # the job dies while evaluating iteration 2
    with pytest.raises(KeyboardInterrupt):
        _tiny_run(tmp_path)
    assert (tmp_path / "ck.pt").exists()
    monkeypatch.setattr(ua_training, "_evaluate", real)
    rows, values = _tiny_run(tmp_path)
    drop = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
    assert [drop(r) for r in rows] == [drop(r) for r in full_rows]
    assert torch.equal(values, full_values)


def _runs():
    """Two teachers, two seeds, two algorithms (width 8 / 16, one checkpoint each... and two checkpoints)."""
    rows = []
    for width, scale in ((8, 2.0), (16, 1.0)):
        for iteration, it_scale in ((1, 1.5), (2, 1.0)):
            for teacher, t_scale in (("0", 1.0), ("1", 3.0)):
                for seed, s_scale in ((1, 0.9), (2, 1.1)):
                    e = 0.01 * scale * it_scale * t_scale * s_scale
                    rows.append({"d": 3, "exp": "q", "m": 100, "width": width, "teacher": teacher, "seed": seed,
                                 "iteration": iteration, "L1": e, "L2": 2 * e, "Linfinity": 20 * e})
    return pd.DataFrame(rows)


def test_min_over_algorithms_of_max_over_teachers():
    table = aggregate.aggregate(_runs())
    aggregate.validate(table)
    best = table.set_index(["metric", "reduction"])
    # max over teachers of the seed mean = teacher 1: 0.03 * scale * it_scale; min at width 16, iteration 2
    assert best.loc[("L1", "max"), "error"] == pytest.approx(0.03)
    assert best.loc[("L1", "max"), "teacher"] == "1" and best.loc[("L1", "max"), "width"] == 16
    assert best.loc[("L1", "avg"), "error"] == pytest.approx(0.02)
    assert best.loc[("L1", "max"), "algorithms"] == 4
    runs = _runs()
    runs.loc[(runs.width == 16) & (runs.iteration == 2), ["L1", "L2", "Linfinity"]] *= 10  # late overfitting
    oracle = aggregate.aggregate(runs).set_index(["metric", "reduction"])
    assert oracle.loc[("L1", "max"), "iteration"] == 1  # the oracle stops early
    last_only = aggregate.aggregate(runs, oracle_early_stopping=False).set_index(["metric", "reduction"])
    assert last_only.loc[("L1", "max"), "iteration"] == 2 and last_only.loc[("L1", "max"), "algorithms"] == 2


def test_power_fit_recovers_a_power_law():
    m = np.array([10, 100, 1000])
    assert aggregate.power_fit(m, 0.5 * m ** -0.75) == pytest.approx((0.5, -0.75))


def test_zoom_windows_sit_inside_the_samples():
    x = np.linspace(-0.5, 0.5, 10001)
    target = np.zeros_like(x)
    model = 0.9 * np.exp(-((x + 0.499) / 1e-3) ** 2) + 0.3 * np.exp(-((x - 0.2) / 1e-3) ** 2) \
        + 0.2 * np.exp(-((x + 0.1) / 1e-3) ** 2) + 0.5 * np.exp(-((x + 0.4495) / 1e-4) ** 2)
    samples = np.linspace(-0.45, 0.45, 100)
    windows = zoom_windows(x, model, target, samples)
    # The bump at the domain edge lies outside the samples, the one at -0.4495 too close to the hull's end.
    assert windows.x.round(3).tolist() == [0.2, -0.1]
    assert windows.interior_linf.iloc[0] == pytest.approx(0.5, abs=1e-2) and windows.global_linf.iloc[0] > 0.85
    assert ((windows.hi - windows.lo) > 0.02).all()


def _record_test_points(monkeypatch):
    """Wrap TestPoints.chunks so every evaluation's points and the seed of the generator they came from are
    kept: the test looks at what the trainers actually evaluated on, not at how they say they draw it."""
    seen = []
    real = TestPoints.chunks

    def chunks(self, generator, chunk, dtype, device):
        points = [x.clone() for x in real(self, generator, chunk, dtype, device)]
        seen.append((None if generator is None else generator.initial_seed(), torch.cat(points)))
        yield from points

    monkeypatch.setattr(TestPoints, "chunks", chunks)
    return seen


def _shared_rows(a: torch.Tensor, b: torch.Tensor) -> int:
    """How many rows of `a` occur, exactly, as rows of `b` (plain broadcasting; no library code)."""
    return int((a[:, None, :] == b[None, :, :]).all(-1).any(1).sum())


@pytest.mark.parametrize("mode", ["fixed", "fresh"])
def test_no_training_point_is_a_test_point(tmp_path, monkeypatch, mode):
    """Issue #19: the fixed test set was drawn from the trial seed itself, so its first m points were the
    training samples. Batched cells (d = 3, two trial seeds, float32 as at quick scale)."""
    teachers.save_teachers(3, [0, 1], tmp_path / "t.pt")
    seen = _record_test_points(monkeypatch)
    students = [(0, 10000), (1, 10000), (0, 10001)]
    exp = Experiment("q", {"cap": 16}, "with_replacement", 5, 2, (1e-3, 1e-4))
    run_cell(d=3, exp=exp, m=200, width=8, depth=3, students=students, teachers_path=tmp_path / "t.pt", bits=32,
             test=TestPoints(mode, 1024, 3), device="cpu", out_metrics=tmp_path / "m.csv",
             out_plots=tmp_path / "p.npz", checkpoint=tmp_path / "ck.pt", plot_n=11, progress=False)
    stored = np.load(tmp_path / "p.npz")
    train = {s: torch.from_numpy(x).float() for s, x in zip(stored["sample_seeds"], stored["samples"])}
    assert sorted(train) == [10000, 10001]
    for s, x in train.items():  # the stored samples are the ones the library draws for the trial
        assert torch.equal(x, draw_samples(int(s), 200, 3).float())
    training_seeds = {10000, 10001}  # samples, initialisation and minibatch indices are all seeded from these
    for seed, points in seen:
        assert points.shape == (1024, 3)
        assert [_shared_rows(x, points) for x in train.values()] == [0, 0]
        assert seed not in training_seeds
    assert len(seen) == 2 * 2  # two evaluations, one point set per trial seed each
    if mode == "fixed":  # a fixed set is the same at every evaluation
        assert torch.equal(seen[0][1], seen[2][1]) and torch.equal(seen[1][1], seen[3][1])
    else:  # fresh points are new at every evaluation
        assert _shared_rows(seen[0][1], seen[2][1]) == 0


def test_the_fixed_test_set_of_a_single_trial_is_not_its_training_set(tmp_path, monkeypatch):
    """The single-trial path (the sine run) with a fixed set: seeded apart from the trial, the same every time."""
    seen = _record_test_points(monkeypatch)
    exp = Experiment("s", {"fraction": 0.2}, "epoch_shuffle", 2, 2, (1e-3, 1e-4))
    _, _, x = train_trial(SineTarget(), d=1, m=300, width=8, depth=3, seed=10000, exp=exp,
                          test=TestPoints("fixed", 2048, 1), dtype=torch.float32, device="cpu",
                          checkpoint=tmp_path / "ck.pt", progress=False)
    assert len(seen) == 2 and torch.equal(seen[0][1], seen[1][1])
    assert seen[0][0] != 10000 and _shared_rows(seen[0][1], x) == 0


def test_test_seeds_lie_above_every_trial_seed():
    assert seed_for_test_points(10000) != seed_for_test_points(10001)
    assert min(seed_for_test_points(s) for s in range(50)) >= 2**63
    with pytest.raises(ValueError, match="trial seeds"):
        seed_for_test_points(2**63)


UA_SMALL = {"teachers": 2, "seeds": [1, 2], "experiments": {"q": {"iterations": 2}}}


def _job_csv(root, part=0, parts=2):
    """A job's metrics.csv at its self-describing path: students_of's part of the cell, iterations 1..2."""
    path = root / f"train/d~3/exp~q/m~100/width~8/part~{part}of{parts}/metrics.csv"
    path.parent.mkdir(parents=True)
    students = students_of([0, 1], [1, 2], part, parts)
    rows = [{"d": 3, "exp": "q", "m": 100, "width": 8, "teacher": str(t), "seed": s, "iteration": i, "L1": 0.1,
             "L2": 0.2, "Linfinity": 0.5, "train_L2": 0.1, "lr": 1e-3, "steps": 50 * i, "epochs": 0, "seconds": 0.2}
            for t, s in students for i in (1, 2)]
    pd.DataFrame(rows, columns=CELL_COLUMNS).to_csv(path, index=False)
    return path


def test_a_job_csv_holds_the_students_its_path_promises(tmp_path):
    path = _job_csv(tmp_path)
    assert len(read_cell(path, UA_SMALL)) == 4
    lines = path.read_text().splitlines()
    cases = {"duplicated": ([*lines, lines[-1]], "5 rows, the job wrote 4"),
             "replaced": ([*lines[:-1], lines[-2]], "file lines 4, 5.*uniqueness"),
             "type": ([*lines[:-1], lines[-1].replace(",0.001,100,", ",0.001,many,")], "file lines 5\\)"),
             "extra": ([lines[0] + ",x", *(line + ",1" for line in lines[1:])], "expected columns"),
             "header": (lines[:1], "no rows"), "missing": (lines[:-1], "3 rows"),
             "norms": ([*lines[:-1], lines[-1].replace(",0.5,", ",0.15,")], "file lines 5\\).*L1 <= L2"),
             "other_cell": ([lines[0], *(line.replace("3,q,100,8", "3,q,100,16") for line in lines[1:])],
                            "another cell"),
             "other_student": ([*lines[:-2], *(line.replace(",8,1,1,", ",8,1,2,") for line in lines[-2:])], "missing")}
    for name, (text, message) in cases.items():
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: .*{message}"):
            read_cell(path, UA_SMALL)


def test_aggregated_table_follows_its_schema():
    table = aggregate.aggregate(_runs())
    aggregate.validate(table, "aggregated.csv", rows=6)
    with pytest.raises(ValueError, match="aggregated.csv: 6 rows, the job wrote 12"):
        aggregate.validate(table, "aggregated.csv", rows=12)
    with pytest.raises(ValueError, match="aggregated.csv: does not match its schema \\(file lines 3\\).*teacher"):
        aggregate.validate(table.assign(teacher=["1", "1", *table["teacher"][2:]]), "aggregated.csv")
    with pytest.raises(ValueError, match="aggregated.csv: does not match its schema \\(file lines 2, 8\\)"):
        aggregate.validate(pd.concat([table, table.iloc[:1]], ignore_index=True), "aggregated.csv")
