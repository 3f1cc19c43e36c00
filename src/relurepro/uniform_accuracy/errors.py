"""L1, L2 and L-infinity errors of stacked students against their targets on many points, in bounded chunks
(§2.5): the uniform error is a Monte-Carlo maximum over the test points, not a supremum."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MODES = ("fresh", "fixed", "grid")
TEST_STREAM = 1  # spawn key of the test points' child stream in a trial seed's SeedSequence tree


def seed_for_test_points(trial_seed: int) -> int:
    """The seed of trial `trial_seed`'s test points (fixed set or fresh stream).

    Training draws (samples, initialisation, minibatches) are seeded with the trial seed itself. Seeding the test
    points with it too repeats the samples: same generator, same first numbers. The test seed is a child of the
    trial seed instead (NumPy SeedSequence, spawn key TEST_STREAM) with its top bit set: every test seed is
    >= 2^63 and every trial seed below, so no test seed is a training seed.
    """
    if not 0 <= trial_seed < 1 << 63:
        raise ValueError(f"trial seeds must lie in [0, 2^63), got {trial_seed}")
    child = np.random.SeedSequence(trial_seed, spawn_key=(TEST_STREAM,)).generate_state(1, np.uint64)[0]
    return int(child) | 1 << 63


@dataclass(frozen=True)
class TestPoints:
    """Where the errors are measured.

    - ``fresh``: `n` i.i.d. uniform points of [-0.5, 0.5]^d re-drawn at every evaluation from the trial's test
      stream (the original: 2^24 points);
    - ``fixed``: one set of `n` uniform points per trial seed, drawn from `seed_for_test_points(trial seed)`, the
      same at every evaluation;
    - ``grid``: `n` equispaced points of [-0.5, 0.5] (d = 1 only).
    """

    __test__ = False  # not a pytest test class

    mode: str
    n: int
    d: int

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown test point mode {self.mode!r}; choose one of {MODES}")
        if self.mode == "grid" and self.d != 1:
            raise ValueError("grid test points exist for d = 1 only")
        if self.n < 1:
            raise ValueError(f"need at least one test point, got {self.n}")

    def chunks(self, generator: torch.Generator, chunk: int, dtype, device):
        """The points in chunks of at most `chunk` rows; `generator` is used (advanced) only in ``fresh`` mode,
        and for ``fixed`` must be a generator freshly seeded with the set's seed (a new `test_generator`)."""
        if self.mode == "grid":
            x = torch.linspace(-0.5, 0.5, self.n, dtype=torch.float64).to(dtype=dtype, device=device)[:, None]
            yield from x.split(chunk)
            return
        for start in range(0, self.n, chunk):
            n = min(chunk, self.n - start)
            x = torch.rand(n, self.d, generator=generator, dtype=torch.float64, device=generator.device) - 0.5
            yield x.to(dtype=dtype, device=device)


def test_generator(trial_seed: int, device) -> torch.Generator:
    """A generator at the start of trial `trial_seed`'s test stream. Fresh points continue one such generator from
    evaluation to evaluation; a ``fixed`` set is drawn from a new one at every evaluation, so it never changes."""
    return torch.Generator(device=device).manual_seed(seed_for_test_points(trial_seed))


def chunk_rows(nets: int, width: int, itemsize: int, budget_bytes: int = 1 << 28) -> int:
    """Points per chunk so that the hidden activations of all `nets` stay within `budget_bytes`."""
    return max(1024, budget_bytes // (3 * nets * width * itemsize))


@torch.no_grad()
def errors(student, target, points) -> dict[str, torch.Tensor]:
    """Per net: L1 = mean |e|, L2 = sqrt(mean e^2), Linfinity = max |e| over all points, e = student - target."""
    total, abs_sum, sq_sum, linf = 0, 0.0, 0.0, None
    for x in points:
        e = student(x) - target(x)
        a = e.abs()
        abs_sum, sq_sum = abs_sum + a.sum(1), sq_sum + (e * e).sum(1)
        linf = a.amax(1) if linf is None else torch.maximum(linf, a.amax(1))
        total += x.shape[0]
    return {"L1": abs_sum / total, "L2": (sq_sum / total).sqrt(), "Linfinity": linf}
