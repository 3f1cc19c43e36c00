"""Precision, determinism and seeding: every experiment states these explicitly."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

_DTYPES = {
    16: torch.float16,
    32: torch.float32,
    64: torch.float64,
    "bf16": torch.bfloat16,
}


def dtype_for_bits(bits: int | str) -> torch.dtype:
    """The floating dtype of a bit width: 16, 32, 64 or "bf16" (bfloat16)."""
    key = int(bits) if str(bits).isdigit() else str(bits)
    if key not in _DTYPES:
        raise ValueError(f"unknown precision {bits!r}; choose one of {sorted(map(str, _DTYPES))}")
    return _DTYPES[key]


def strict_fp32() -> None:
    """Float32 means float32: no TF32 in matmuls or cuDNN convolutions, no reduced fp16 reductions."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
    torch.set_float32_matmul_precision("highest")


def set_determinism(enabled: bool = True) -> None:
    """Deterministic kernels, so two identical computations give identical bits (0-vs-0 controls)."""
    if enabled:
        # cuBLAS needs a fixed workspace to be deterministic; harmless on CPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = not enabled
    torch.backends.cudnn.deterministic = enabled
    deterministic_kernels(enabled)


def deterministic_kernels(enabled: bool, *, warn_only: bool = False) -> None:
    """`torch.use_deterministic_algorithms`, without importing the compiler to set its own flag.

    The torch call imports `torch._inductor` (about 1 s, in every job) only to set `inductor.config.deterministic`,
    which governs compiled graphs; nothing here compiles. Where the compiler is already loaded its flag is set too.
    """
    torch._C._set_deterministic_algorithms(enabled, warn_only=warn_only)
    inductor_config = sys.modules.get("torch._inductor.config")
    if inductor_config is not None:
        inductor_config.deterministic = enabled


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def setup(*, strict: bool = True, deterministic: bool = True, threads: int | None = None) -> dict:
    """The numerics mode of one job; returns what was set so scripts can record it."""
    if strict:
        strict_fp32()
    set_determinism(deterministic)
    if threads:
        torch.set_num_threads(int(threads))
    return {
        "strict_fp32": strict,
        "deterministic": deterministic,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


def count_exact_zeros(t: torch.Tensor) -> int:
    """Number of entries equal to zero (+0.0 and -0.0 both count)."""
    return int(t.numel() - torch.count_nonzero(t))


class ExactZeroCounter:
    """Counts exact zeros in the inputs of chosen modules (pre-activations) during forward passes.

    Use as a context manager around forward passes; `zeros` and `entries` accumulate per module name. The zeros
    add up on the inputs' device and are read once, when `zeros` is asked for: a host sync per ReLU call would
    stall a GPU's queue at every activation.
    """

    def __init__(self, modules: dict[str, torch.nn.Module]):
        self.modules = modules
        self._zeros = {name: 0 for name in modules}  # ints, then 0-dim tensors on the device of the inputs
        self.entries = {name: 0 for name in modules}
        self._handles = []

    def _hook(self, name):
        def hook(_module, inputs):
            x = inputs[0]
            self._zeros[name] = self._zeros[name] + (x.numel() - torch.count_nonzero(x))
            self.entries[name] += x.numel()

        return hook

    def __enter__(self):
        self._handles = [m.register_forward_pre_hook(self._hook(n)) for n, m in self.modules.items()]
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles = []

    @property
    def zeros(self) -> dict[str, int]:
        return {name: int(z) for name, z in self._zeros.items()}

    @property
    def total_zeros(self) -> int:
        return sum(self.zeros.values())

    @property
    def total_entries(self) -> int:
        return sum(self.entries.values())


def resolve_device(preference: str = "auto") -> torch.device:
    """The device of `auto | cpu | cuda`; asking for cuda without one is an error, not a silent fallback."""
    if preference not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown device {preference!r}; choose auto, cpu or cuda")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was asked for but torch sees no CUDA device")
    if preference == "auto":
        preference = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(preference)
