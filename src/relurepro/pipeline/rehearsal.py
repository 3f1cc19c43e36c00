"""The rehearsal scale: the paper scale with only its counts made small, so every paper-scale job runs once on a
CPU in minutes before anyone spends GPU-hours on it.

config/scales/rehearsal.yaml holds no grid of its own. It names the scale it derives from (``derive_from: paper``)
and a tree of ``counts`` that mirrors that scale's file; :func:`derive` lays them over it. Everything it does not
name (models at paper width, datasets, switches, learning rates, schedules, precisions) is the paper's, so the
rehearsal cannot drift from paper.yaml. What an override may change, checked leaf by leaf:

- a number under a count name (:data:`COUNT_NAMES`: runs, seeds, epochs, samples, batches, test points, ...),
  never above the paper's value; a count name the paper leaves unset (``train_samples``, ``max_batches``) may be
  set when the scale's schema knows it;
- a list: a shorter grid, each kept value the paper's and in the paper's order (under a count name: smaller
  numbers, e.g. sample-size steps);
- a list of rows (a training grid): the first rows, each overridden as above.

- a job layout (:data:`LAYOUT_NAMES`: how many runs share one job), any positive integer: it changes which runs
  share a process, never a number (tests/leaf/test_job.py, tests/resnet_ode/test_resnet_ode_job.py), and lets the rehearsal
  pack runs whose work is a fraction of a second.

Anything else (a string, a switch, a width, a learning rate, a new key that is not a count) is an error naming its
path. Every ``deviations`` list gets :data:`LABEL`, so every figure, manifest and report says what the numbers are.

One exception, only where a switch cannot run on a CPU at all: ``cpu_stand_ins`` names such a switch, the value a
run without a GPU uses instead, and why (:func:`stand_in`); every deviations list of that paper says so. On a GPU
the paper's switch runs.
"""

from __future__ import annotations

import copy

LABEL = "rehearsal: paper code paths with counts cut to a few steps; numbers mean nothing"

# Names whose numbers count things (runs, samples, steps, points), the only numbers a rehearsal may lower. Batch
# sizes are among them: a paper-width ImageNet or WRN step at the paper's batch does not fit a CPU rehearsal.
COUNT_NAMES = frozenset({
    "runs", "control_runs", "seeds", "epochs", "samples", "train_samples", "test_samples", "sizes", "max_batches",
    "iterations", "max_iterations", "per_iteration", "points", "plot_points", "n", "teachers", "students_per_job",
    "m", "batch", "batch_size", "test_batch", "test_batch_size", "max_steps",
})  # not data-loader workers: fewer would skip the worker processes the paper's ImageNet jobs run
LAYOUT_NAMES = frozenset({"runs_per_job", "cells_per_job"})


def derive(base: dict, counts: dict, path: str = "") -> dict:
    """`base` (a scale's grids) with `counts` laid over it; see the module docstring for what may change."""
    out = copy.deepcopy(base)
    for key, value in counts.items():
        where = f"{path}.{key}" if path else key
        if key not in base:
            if key not in COUNT_NAMES or not isinstance(value, int | float):
                raise ValueError(f"rehearsal override {where}: the paper scale has no {key!r}, and only a count "
                                 f"({', '.join(sorted(COUNT_NAMES))}) may be added")
            out[key] = value
            continue
        if key in LAYOUT_NAMES:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"rehearsal override {where}: a job layout is a positive integer, not {value!r}")
            out[key] = value
            continue
        out[key] = _override(base[key], value, where, key in COUNT_NAMES)
    return out


def _override(paper, value, where: str, is_count: bool):
    if isinstance(paper, dict) and isinstance(value, dict):
        if is_count:  # a map of counts, e.g. runs per precision: same keys, smaller numbers
            unknown = set(value) - set(paper)
            if unknown:
                raise ValueError(f"rehearsal override {where}: keys {sorted(unknown)} are not the paper's")
            return {k: _override(paper[k], value[k], f"{where}.{k}", True) if k in value else v
                    for k, v in paper.items()}
        return derive(paper, value, where)
    if isinstance(paper, list) and isinstance(value, list):
        if not value:
            raise ValueError(f"rehearsal override {where}: an empty grid would drop the rules it feeds")
        if all(isinstance(v, dict) for v in value):  # the first rows of a list of grid rows
            if len(value) > len(paper) or not all(isinstance(p, dict) for p in paper[:len(value)]):
                raise ValueError(f"rehearsal override {where}: more rows than the paper's {len(paper)}")
            return [derive(p, v, f"{where}[{i}]") for i, (p, v) in enumerate(zip(paper, value))]
        if is_count and all(_number(v) for v in [*paper, *value]) and max(value) <= max(paper):
            return value
        positions = [paper.index(v) if v in paper else -1 for v in value]
        if -1 in positions or positions != sorted(set(positions)):
            raise ValueError(f"rehearsal override {where}: {value} is not a sub-grid of the paper's {paper}")
        return value
    if is_count and paper is None and _number(value):  # a count the paper leaves open (all samples)
        return value
    if is_count and _number(paper) and _number(value):
        if value > paper:
            raise ValueError(f"rehearsal override {where}: {value} is above the paper's {paper}")
        return value
    raise ValueError(f"rehearsal override {where}: {value!r} would change the paper's {paper!r}; a rehearsal "
                     "changes counts only")


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def stand_in(grids: dict, stand_ins: dict) -> dict:
    """`grids` with each CPU stand-in applied: {paper: {key: {value, why}}} (a top-level key of the paper's grids),
    each labelled in every deviations list of that paper."""
    out = copy.deepcopy(grids)
    for paper, switches in stand_ins.items():
        notes = []
        for key, spec in switches.items():
            if key not in out.get(paper, {}):
                raise ValueError(f"rehearsal cpu_stand_ins {paper}.{key}: the paper scale has no such switch")
            notes.append(f"CPU rehearsal: {key} {spec['value']} stands in for the paper's {out[paper][key]} "
                         f"({spec['why']})")
            out[paper][key] = spec["value"]
        out[paper] = _append_deviations(out[paper], notes)
    return out


def _append_deviations(grids, notes: list[str]):
    if isinstance(grids, dict):
        return {k: ([*v, *notes] if k == "deviations" and isinstance(v, list) else _append_deviations(v, notes))
                for k, v in grids.items()}
    if isinstance(grids, list):
        return [_append_deviations(v, notes) for v in grids]
    return grids


def label(grids):
    """`grids` with :data:`LABEL` added to every ``deviations`` list."""
    return _append_deviations(grids, [LABEL])
