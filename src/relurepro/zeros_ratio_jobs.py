"""The zeros_ratio count jobs of a scale, and how their path segments list layers and neurons. Without torch: the
workflow reads them while planning, which must stay fast."""

from __future__ import annotations


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
