"""Checkpoints load with torch.load(..., weights_only=True) (issue #20 item 4): every loader in src/ and scripts/
says so, what the writers store is tensors and plain data only, and a file holding more is an error naming it."""

from __future__ import annotations

import pickle
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from relurepro import checkpoints
from relurepro.data import load_embedded
from relurepro.models.mlp import mlp
from relurepro.training import TrainConfig, train

REPO = Path(__file__).resolve().parents[2]


def test_every_torch_load_is_weights_only():
    """A static guard: a new torch.load without weights_only=True (or with False) fails here, by file and line."""
    bad = []
    for path in sorted([*REPO.glob("src/**/*.py"), *REPO.glob("scripts/**/*.py")]):
        text = path.read_text()
        for m in re.finditer(r"torch\.load\(", text):
            call = text[m.start():text.find("\n\n", m.start())]  # up to the end of the statement's paragraph
            depth, end = 0, 0
            for i, ch in enumerate(call):
                depth += {"(": 1, ")": -1}.get(ch, 0)
                if depth == 0 and ch == ")":
                    end = i
                    break
            if "weights_only=True" not in call[:end + 1] and "``" not in text[m.start() - 2:m.start()]:
                bad.append(f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert bad == [], "torch.load without weights_only=True (use relurepro.checkpoints.load): " + ", ".join(bad)


@dataclass
class Recipe:
    depth: int
    widths: tuple


def test_plain_state_round_trips_under_weights_only(tmp_path):
    np.random.seed(3)
    random.seed(4)
    state = {"numpy": checkpoints.numpy_rng_state(), "python": random.getstate(),
             "pcg": np.random.default_rng(5).bit_generator.state, "torch": torch.get_rng_state(),
             "rows": [{"loss": np.float64(0.25), "n": np.int64(7), "ok": np.bool_(True)}],
             "array": np.arange(6, dtype=np.float32).reshape(2, 3), "recipe": Recipe(3, (8, 8))}
    path = tmp_path / "ckpt.pt"
    torch.save(checkpoints.plain(state), path)
    back = torch.load(path, weights_only=True)
    assert back["rows"] == [{"loss": 0.25, "n": 7, "ok": True}] and type(back["rows"][0]["n"]) is int
    assert torch.equal(back["array"], torch.arange(6, dtype=torch.float32).reshape(2, 3))
    assert back["recipe"] == {"depth": 3, "widths": (8, 8)}
    assert back["pcg"] == state["pcg"]
    # the NumPy and Python streams continue where they were saved
    want = np.random.random(3), random.random()
    checkpoints.set_numpy_rng_state(back["numpy"])
    random.setstate(back["python"])
    assert np.array_equal(np.random.random(3), want[0]) and random.random() == want[1]


class NotPlain:
    pass


@pytest.mark.parametrize("payload", [np.float64(1.0), NotPlain()], ids=["numpy-scalar", "class"])
def test_loading_more_than_plain_data_names_the_file(tmp_path, payload):
    path = tmp_path / "foreign.pt"
    torch.save({"rows": [payload]}, path)
    with pytest.raises(pickle.UnpicklingError, match=re.escape(f"checkpoint {path} holds more than")):
        checkpoints.load(path)


def test_training_checkpoint_loads_with_weights_only(tmp_path):
    """The core loop's checkpoint (model, optimizer, scheduler, torch/NumPy/Python RNG states, rows)."""
    data = load_embedded("digits", "train").subset(64)
    ckpt = tmp_path / "ckpt.pt"
    cfg = TrainConfig(epochs=1, batch_size=32, lr=0.1, schedule="cosine")
    train(mlp(64, [16], 10), data, None, cfg, checkpoint=ckpt, progress=False)
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert len(state["rows"]) == 1 and state["rng"]["numpy"][0] == "MT19937"


def test_rng_state_round_trip_continues_every_stream(tmp_path):
    """After save/load, every stream a loop may draw from (named torch and NumPy generators, torch's, NumPy's and
    Python's global streams) continues exactly where it was saved."""
    gens = {"shuffle": torch.Generator().manual_seed(1), "corr": np.random.default_rng(2)}
    torch.manual_seed(3), np.random.seed(4), random.seed(5)
    for g in gens.values():  # move every stream off its seed
        torch.rand(2, generator=g) if isinstance(g, torch.Generator) else g.random(2)
    checkpoints.save(tmp_path / "c.pt", {"rng": checkpoints.rng_state(gens)})

    def draw():
        return (torch.rand(3, generator=gens["shuffle"]).tolist(), gens["corr"].random(3).tolist(),
                torch.rand(3).tolist(), np.random.random(3).tolist(), random.random())

    want = draw()
    checkpoints.set_rng_state(checkpoints.load(tmp_path / "c.pt")["rng"], gens)
    assert draw() == want


def test_resume_state_names_the_changed_fields(tmp_path):
    path = tmp_path / "c.pt"
    checkpoints.save(path, {"recipe": checkpoints.recipe_key(Recipe(3, (8, 8))), "rows": [1]})
    assert checkpoints.resume_state(path, Recipe(3, (8, 8)))["rows"] == [1]
    assert checkpoints.resume_state(tmp_path / "none.pt", Recipe(3, (8, 8))) is None
    with pytest.raises(ValueError, match=re.escape("depth: 3 -> 4")):
        checkpoints.resume_state(path, Recipe(4, (8, 8)))
    # a dict recipe, with a field a resume may change
    checkpoints.save(path, {"recipe": checkpoints.recipe_key({"lr": 0.1, "epochs": 5})})
    assert checkpoints.resume_state(path, {"lr": 0.1, "epochs": 9}) is not None


def test_diverged_row():
    row = checkpoints.diverged_row(("epoch", "loss", "lr", "diverged"), 4, lr=0.5)
    assert list(row) == ["epoch", "loss", "lr", "diverged"]
    assert row["epoch"] == 4 and row["diverged"] is True and row["lr"] == 0.5 and np.isnan(row["loss"])
