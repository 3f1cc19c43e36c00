"""Checkpoint files: what torch.save writes here loads back with ``torch.load(..., weights_only=True)``.

weights_only loading accepts tensors and plain Python data (dict, list, tuple, str, int, float, bool, None) and
refuses anything else, so a checkpoint file can never run code when it is read. Writers pass their state through
:func:`plain` first: NumPy arrays and scalars (NumPy's RNG state holds both) and dataclasses become tensors and
plain Python. Readers use :func:`load`, whose errors name the file.

What every training loop shares lives here, once:
- :func:`save` writes atomically: a kill leaves the old or the new file, never half of one;
- :func:`resume_state` reads a checkpoint back and refuses one written by another recipe;
- :func:`rng_state` / :func:`set_rng_state` carry every random stream across a resume, so a resumed run draws
  what an uninterrupted one would;
- :func:`diverged_row` is the row of an epoch that a diverged run did not train (NaN metrics, ``diverged=True``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import random
from pathlib import Path
from typing import Callable

import numpy as np
import torch


def plain(obj):
    """`obj` with NumPy arrays as tensors, NumPy scalars as Python numbers and dataclasses as dicts, recursively.

    Unsigned NumPy arrays become int64 tensors (NumPy's MT19937 key is uint32; np.random.set_state takes it back).
    """
    if isinstance(obj, np.generic):  # first: np.float64 is also a Python float, yet pickles as a NumPy scalar
        return obj.item()
    if isinstance(obj, torch.Tensor | torch.Size | str | int | float | bool | type(None)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "u":
            obj = obj.astype(np.int64)
        return torch.from_numpy(np.ascontiguousarray(obj))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {plain(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple):  # a namedtuple becomes a plain tuple
        return tuple(plain(v) for v in obj)
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    return obj  # anything else is left for load() to refuse, by name


def atomic_write(path: str | Path, write: Callable) -> None:
    """`write(f)` to a temporary file beside `path` (synced to disk), then rename: a kill leaves either the old or
    the new file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(path: str | Path, state) -> None:
    """A checkpoint: `state` made plain (see `plain`) and written atomically."""
    atomic_write(path, lambda f: torch.save(plain(state), f))


def recipe_key(recipe, may_change: tuple[str, ...] = ("epochs", "device")) -> dict:
    """A recipe (a dataclass or a dict) as saved with a checkpoint: everything but the fields a resumed run may
    change."""
    fields = recipe if isinstance(recipe, dict) else dataclasses.asdict(recipe)
    return {k: v for k, v in fields.items() if k not in may_change}


def resume_state(checkpoint: str | Path | None, recipe, may_change: tuple[str, ...] = ("epochs", "device")
                 ) -> dict | None:
    """The state saved at `checkpoint` by a run of the same recipe (see `recipe_key`), or None when there is none
    yet; a checkpoint of another recipe is an error naming the fields that differ (resuming it would splice two
    runs into one result)."""
    if checkpoint is None or not Path(checkpoint).exists():
        return None
    state = load(checkpoint, map_location="cpu")
    saved, now = state["recipe"], recipe_key(recipe, may_change)
    if saved != now:
        changed = [k for k in {**saved, **now} if saved.get(k) != now.get(k)]
        raise ValueError(f"checkpoint {checkpoint} was written with another recipe: "
                         + ", ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in changed))
    return state


def rng_state(generators: dict | None = None) -> dict:
    """Every random stream of a run, as plain data: the loop's own generators by name (torch.Generator or
    np.random.Generator) and the global streams code may draw from unasked (torch's CPU and, once in use, CUDA
    generators; NumPy's; Python's)."""
    state = {"generators": {name: g.bit_generator.state if isinstance(g, np.random.Generator) else g.get_state()
                            for name, g in (generators or {}).items()},
             "torch": torch.get_rng_state(), "numpy": numpy_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, generators: dict | None = None) -> None:
    """Restore what `rng_state` saved, into the same named `generators`."""
    for name, g in (generators or {}).items():
        if isinstance(g, np.random.Generator):
            g.bit_generator.state = state["generators"][name]
        else:
            g.set_state(state["generators"][name])
    torch.set_rng_state(state["torch"])
    set_numpy_rng_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def diverged_row(columns, epoch: int, **known) -> dict:
    """The row of an epoch that a diverged run did not train: every column NaN but `epoch`, ``diverged=True``
    and the `known` values (the epoch's learning rate, the time spent before the non-finite loss)."""
    return {**{c: math.nan for c in columns}, "epoch": epoch, "diverged": True, **known}


def load(path: str | Path, map_location=None):
    """torch.load(path, weights_only=True); a file holding more than tensors and plain data is an error naming it."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's message is long; its "WeightsUnpickler error: ..." line says what was refused
        lines = [line.strip() for line in str(err).splitlines() if "Unpickler error" in line]
        reason = lines[0].split(". Please")[0] if lines else str(err).strip()[:300]
        raise pickle.UnpicklingError(
            f"checkpoint {path} holds more than tensors and plain Python data, which weights_only loading refuses "
            f"({reason}); delete it to restart that run") from err


def numpy_rng_state() -> tuple:
    """np.random.get_state() as plain data (the key as an int64 tensor), for a checkpoint."""
    return plain(np.random.get_state())


def set_numpy_rng_state(state) -> None:
    name, key, *rest = state
    np.random.set_state((name, np.asarray(key, dtype=np.uint32), *rest))
