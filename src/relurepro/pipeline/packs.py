"""Packs: runs trained one after another in one job, where a run is mostly process start-up (a scale's
`runs_per_job` > 1). Each run keeps its own folder, outputs and checkpoint; only the process is shared, so a run
must set everything it depends on itself (each paper's tests show a packed run gives the same bytes as alone).

Snakemake's outputs are fixed patterns of a rule's wildcards, and a pack is a set of runs, so each pack is a rule
of its own, `<rule>__<pack name>`; relurepro.pipeline.rules.base_rule counts it as `<rule>`. With `runs_per_job`
1 there are no packs: one job per run, the paper's layout, where a cluster trains runs side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Hashable, Sequence


@dataclass(frozen=True)
class Pack:
    name: str  # identifier-safe: the pack's rule is <rule>__<name>
    runs: tuple


def packs(runs: Sequence, per_job: int, group: Callable[[object], Hashable], label: Callable[[Hashable], str],
          what: str = "runs_per_job") -> list[Pack]:
    """`runs` cut into packs of at most `per_job` runs of one group (`group(run)`: runs that load the same data),
    as even as can be, named `<label(group)>_<k>of<n>`; none when `per_job` is 1. `what` names the setting in
    the error for a bad `per_job`."""
    if not isinstance(per_job, int) or isinstance(per_job, bool) or per_job < 1:
        raise ValueError(f"{what} must be an integer of at least 1, got {per_job!r}")
    if per_job == 1:
        return []
    out = []
    for key in sorted({group(r) for r in runs}):
        members = sorted(r for r in runs if group(r) == key)
        count = math.ceil(len(members) / per_job)
        bounds = [round(i * len(members) / count) for i in range(count + 1)]
        for i in range(count):
            name = f"{label(key)}_{i + 1}of{count}"
            if not name.isidentifier():
                raise ValueError(f"pack name {name!r} is not identifier-safe")
            out.append(Pack(name, tuple(members[bounds[i]:bounds[i + 1]])))
    return out


def cell_packs(cells: Sequence[dict], per_job: int, group: Callable[[dict], Hashable], what: str,
               label: Callable[[Hashable], str] = str) -> list[Pack]:
    """Monte-Carlo cells (their wildcards as dicts, which do not sort) in packs of at most `per_job` of one group:
    packs of positions in `cells`, cut as `packs` cuts runs."""
    return packs(range(len(cells)), per_job, group=lambda i: group(cells[i]), label=label, what=what)
