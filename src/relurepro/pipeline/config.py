"""Loading the per-scale grids (config/scales/<scale>.yaml)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml

# libyaml's safe loader where PyYAML has it (the same documents, several times faster: planning reads a few YAML
# files on every Snakemake call), else PyYAML's own.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(source):
    """A YAML document (a string or an open file) as plain data, with the safe loader."""
    return yaml.load(source, Loader=SAFE_LOADER)


def load_scale(path: str | Path, gpu: bool = False) -> dict:
    """The grids of one scale as plain JSON data (mapping keys become strings, e.g. runs["32"]); `gpu`: whether
    the run has a GPU (without one, the rehearsal applies its CPU stand-ins)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"scale file {path} does not exist (scale must be smoke, quick, paper or rehearsal)")
    with path.open() as f:
        try:
            data = read_yaml(f)
        except yaml.YAMLError as err:
            raise ValueError(f"scale file {path} is not valid YAML: {err}") from err
    if not isinstance(data, dict) or not data:
        raise ValueError(f"scale file {path} holds no grids (it is empty or not a mapping of paper: grids)")
    # JSON Schema only knows string keys; YAML reads `32: 1000` as an int key.
    data = json.loads(json.dumps(data))
    if "derive_from" in data:  # the rehearsal: another scale with only its counts lowered
        from relurepro.pipeline import rehearsal
        if not {"derive_from", "counts"} <= set(data) <= {"derive_from", "counts", "cpu_stand_ins"}:
            raise ValueError(f"scale file {path} derives from another scale: it holds derive_from, counts and "
                             "cpu_stand_ins only")
        grids = rehearsal.label(rehearsal.derive(load_scale(path.with_name(f"{data['derive_from']}.yaml")),
                                                 data["counts"]))
        return grids if gpu else rehearsal.stand_in(grids, data.get("cpu_stand_ins", {}))
    return data


def deviations_note(scale: str, deviations: list[str]) -> str:
    """The one-line label a figure carries: its scale and every deviation from the paper."""
    if not deviations:
        return f"scale: {scale} (paper protocol)"
    return f"scale: {scale}; deviations: " + "; ".join(deviations)


def expose_library() -> None:
    """Put this library's source folder first on PYTHONPATH, so jobs started from here (in conda envs, on
    cluster nodes) import the same code as the workflow."""
    src = str(Path(__file__).resolve().parents[2])  # src/, above the package
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != src]
    os.environ["PYTHONPATH"] = os.pathsep.join([src, *rest])


def expose_tools() -> None:
    """Append the folder of the Python running Snakemake (the project venv's bin, also when it is not activated)
    to PATH, so shell rules find its papermill and jupyter; a conda env's own, put first by --use-conda, wins.
    In the environment, not in the rules' commands: a command is part of a job's code, and a venv at another
    path would otherwise rerun every notebook."""
    tools = str(Path(sys.executable).parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    if tools not in path:
        os.environ["PATH"] = os.pathsep.join([*path, tools])
