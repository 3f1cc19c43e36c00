"""The relu_prime introduction experiment (§3.1, §3.2): lr, the 0-vs-0 control, 64-bit identity and the
timing of the 1-vs-0 divergence relative to the first exact zero."""

import pytest
import torch

from relurepro.data import load_dataset
from relurepro.relu_prime.intro import first_divergence_iteration, first_zero_iteration, intro_lr, weight_diff_trace

# Torch seeds whose fp32 run hits an exact first-layer zero early on mnist5k (single thread, measured:
# seed 11 at iteration 5, seed 6 at iteration 16; the default seed 123 only at iteration 212). Float rounding
# depends on the BLAS kernels, so the test takes the first seed that hits one in its window.
EARLY_ZERO_SEEDS = (11, 6)
WINDOW = 20


@pytest.fixture(scope="module")
def mnist5k():
    return load_dataset("mnist5k", "all")


pytestmark = pytest.mark.usefixtures("one_thread")


def test_lr_from_numpy_seed():
    assert intro_lr(12345) == pytest.approx(0.011859232, abs=1e-9)
    assert intro_lr(1234) == pytest.approx(0.010383039, abs=1e-9)  # the ReLU6 variant (relu_prime §3.4)


def test_repeated_passes_walk_the_data_in_order(mnist5k):
    data = mnist5k.subset(300)  # 3 batches of 128, 128, 44
    trace = weight_diff_trace(data, 32, 7, hidden=(16, 8))
    assert trace["epoch"].tolist() == [0, 0, 0, 1, 1, 1, 2]
    assert trace["batch"].tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert trace["iteration"].tolist() == list(range(7))


def test_default_dtype_is_restored(mnist5k):
    weight_diff_trace(mnist5k.subset(128), 64, 1, hidden=(16, 8))
    assert torch.get_default_dtype() == torch.float32


@pytest.mark.parametrize("bits", [32, 64])
def test_zero_vs_zero_stays_exactly_zero(mnist5k, bits):
    trace = weight_diff_trace(mnist5k, bits, WINDOW, torch_seed=EARLY_ZERO_SEEDS[0])
    assert (trace["difference23"] == 0).all()


def test_64_bit_nets_stay_identical(mnist5k):
    trace = weight_diff_trace(mnist5k, 64, WINDOW, torch_seed=EARLY_ZERO_SEEDS[0])
    assert (trace["difference12"] == 0).all()
    assert (trace["active1"] > 0).all()
    assert (trace["zeros1"] == 0).all() and (trace["zeros2"] == 0).all()


def test_one_vs_zero_departs_right_after_the_first_exact_zero(mnist5k):
    for seed in EARLY_ZERO_SEEDS:
        trace = weight_diff_trace(mnist5k, 32, WINDOW, torch_seed=seed)
        k = first_zero_iteration(trace)
        if k is not None:
            break
    else:
        pytest.fail(f"no exact zero within {WINDOW} fp32 iterations for torch seeds {EARLY_ZERO_SEEDS}")
    # No earlier zero in layer 2 either, so k is the first iteration whose gradients differ.
    assert first_zero_iteration(trace, "zeros2") in (None, *range(k, WINDOW))
    assert trace.loc[k, "active1"] == 0
    assert (trace.loc[:k, "active1"].iloc[:-1] > 0).all()
    # Differences are recorded before the SGD step: the gradients differ at k, the weights from k + 1 on.
    assert (trace.loc[:k, "difference12"] == 0).all()
    assert k + 1 < WINDOW and (trace.loc[k + 1:, "difference12"] > 0).all()
    assert first_divergence_iteration(trace) == k + 1
    assert (trace["difference23"] == 0).all()
