"""The zeros_ratio count jobs of a scale, and how their path segments list layers and neurons. Without torch: the
workflow reads them while planning, which must stay fast."""

from __future__ import annotations

import re


def _joined(values) -> str:
    return "-".join(str(int(v)) for v in values)


def parse_list(text: str) -> list[int]:
    """'1-3-6' -> [1, 3, 6] (the layer_list / neuron_list path segments)."""
    return [int(v) for v in str(text).split("-")]


def jobs(cfg: dict) -> list[dict]:
    """The count jobs of a scale's zeros_ratio config: one per (precision, L, N) with one_job_per_cell (long
    training runs), else one per precision holding every (L, N) cell (cheap passes; saves process start-ups).
    Each job: bits, layer_list, neuron_list ('-'-joined), runs."""
    missing = [b for b in cfg["bits"] if str(b) not in cfg["runs"]]
    if missing:
        raise ValueError(f"zeros_ratio: runs has no entry for precision(s) {missing}")
    out = []
    for bits in cfg["bits"]:
        runs = cfg["runs"][str(bits)]
        if cfg["one_job_per_cell"]:
            out += [{"bits": bits, "layer_list": str(L), "neuron_list": str(N), "runs": runs}
                    for L in cfg["layers"] for N in cfg["neurons"]]
        else:
            out.append({"bits": bits, "layer_list": _joined(cfg["layers"]), "neuron_list": _joined(cfg["neurons"]),
                        "runs": runs})
    return out


_COUNTS = re.compile(r"zeros_ratio/(?P<protocol>init|train)/[^/]+/bits~(?P<bits>\d+)/layers~(?P<layers>\d+(?:-\d+)*)/"
                     r"neurons~(?P<neurons>\d+(?:-\d+)*)/runs~(?P<runs>\d+)/epochs~(?P<epochs>\d+)/counts\.csv$")


def from_path(path) -> dict | None:
    """What a count job's self-describing path promises (protocol, bits, layers, neurons, runs, passes per run),
    or None for a path that is not one."""
    m = _COUNTS.search(str(path))
    if m is None:
        return None
    return {"protocol": m["protocol"], "bits": int(m["bits"]), "layers": parse_list(m["layers"]),
            "neurons": parse_list(m["neurons"]), "runs": int(m["runs"]),
            "passes": int(m["epochs"]) if m["protocol"] == "train" else 1}
