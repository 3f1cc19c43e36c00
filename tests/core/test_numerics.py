import pytest
import torch
from torch import nn

from relurepro import numerics


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
