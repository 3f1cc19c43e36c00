import pytest
import torch
from torch import nn

from relurepro import numerics
from fresh_process import run_fresh


def test_dtype_for_bits():
    assert numerics.dtype_for_bits(16) is torch.float16
    assert numerics.dtype_for_bits("32") is torch.float32
    assert numerics.dtype_for_bits(64) is torch.float64
    assert numerics.dtype_for_bits("bf16") is torch.bfloat16
    with pytest.raises(ValueError, match="unknown precision"):
        numerics.dtype_for_bits(8)


def test_strict_fp32_turns_tf32_off():
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    numerics.strict_fp32()
    assert not torch.backends.cuda.matmul.allow_tf32
    assert not torch.backends.cudnn.allow_tf32
    assert torch.get_float32_matmul_precision() == "highest"


def test_determinism_toggle():
    numerics.set_determinism(True)
    assert torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
    numerics.set_determinism(False)
    assert not torch.are_deterministic_algorithms_enabled()
    numerics.set_determinism(True)


def test_determinism_without_the_compiler(tmp_path):
    """set_determinism turns on torch's deterministic kernels without importing torch._inductor (~1 s a job),
    and sets the compiler's own flag too once the compiler is loaded: checked in a fresh interpreter."""
    code = """
import sys, pathlib
from relurepro import numerics
numerics.set_determinism(True)
import torch
lines = [str(torch.are_deterministic_algorithms_enabled()), str("torch._inductor" in sys.modules)]
import torch._inductor.config as inductor_config
numerics.deterministic_kernels(True, warn_only=True)
lines += [str(inductor_config.deterministic), str(torch.is_deterministic_algorithms_warn_only_enabled())]
numerics.deterministic_kernels(False)
lines += [str(inductor_config.deterministic), str(torch.are_deterministic_algorithms_enabled())]
pathlib.Path(sys.argv[1], "out.txt").write_text(" ".join(lines))
"""
    run_fresh(code, tmp_path / "run")
    assert (tmp_path / "run" / "out.txt").read_text().split() == ["True", "False", "True", "True", "False", "False"]


def test_seeding_repeats_draws():
    numerics.seed_everything(7)
    a = torch.rand(3), nn.Linear(4, 4).weight.detach().clone()
    numerics.seed_everything(7)
    b = torch.rand(3), nn.Linear(4, 4).weight.detach().clone()
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_exact_zero_counts_both_signed_zeros():
    assert numerics.count_exact_zeros(torch.tensor([0.0, -0.0, 1e-45, 2.0])) == 2
    relu = nn.ReLU()
    with numerics.ExactZeroCounter({"act": relu}) as counter:
        relu(torch.tensor([0.0, 1.0, -0.0]))
        relu(torch.tensor([3.0]))
    assert counter.zeros == {"act": 2} and counter.entries == {"act": 4}
    relu(torch.tensor([0.0]))  # hooks are removed on exit
    assert counter.total_zeros == 2


def test_resolve_device():
    assert numerics.resolve_device("cpu").type == "cpu"
    with pytest.raises(ValueError):
        numerics.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            numerics.resolve_device("cuda")
        assert numerics.resolve_device("auto").type == "cpu"
