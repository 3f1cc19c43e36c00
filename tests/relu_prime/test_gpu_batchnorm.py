"""Batch norm in a GPU's order of operations (relurepro.relu_prime.gpu_batchnorm)."""

import pytest
import torch
from torch import nn

from relurepro.relu_prime.gpu_batchnorm import GpuOrderBatchNorm, with_bn_arith
from relurepro.relu_prime.models import NetSpec


def _pair(bn: nn.Module) -> tuple[nn.Module, nn.Module]:
    reference = bn
    swapped = with_bn_arith(nn.Sequential(bn.__class__(bn.num_features)), "gpu_order")[0]
    swapped.load_state_dict(reference.state_dict())
    return reference, swapped


@pytest.mark.parametrize("bn,shape", [(nn.BatchNorm2d(5), (8, 5, 4, 4)), (nn.BatchNorm1d(7), (16, 7))])
def test_matches_torch_batch_norm_in_train_and_eval_mode(bn, shape):
    torch.manual_seed(0)
    nn.init.uniform_(bn.weight, 0.5, 2.0)
    nn.init.uniform_(bn.bias, -1.0, 1.0)
    reference, swapped = _pair(bn)
    assert isinstance(swapped, GpuOrderBatchNorm)
    for _ in range(3):  # running statistics follow nn.BatchNorm's momentum update with the unbiased variance
        x = torch.randn(shape) * 3 + 1
        torch.testing.assert_close(swapped(x), reference(x), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(swapped.running_mean, reference.running_mean)
    torch.testing.assert_close(swapped.running_var, reference.running_var)
    assert swapped.num_batches_tracked == reference.num_batches_tracked == 3
    reference.eval(), swapped.eval()
    x = torch.randn(shape)
    torch.testing.assert_close(swapped(x), reference(x), rtol=1e-5, atol=1e-5)


def test_an_input_equal_to_the_batch_mean_gives_exactly_zero():
    # Channel 0 holds 1, 2, 3 (mean 2 exactly); at initialisation (weight 1, bias 0) the middle one maps to 0.
    x = torch.tensor([[1.0, 10.0], [2.0, -4.0], [3.0, 7.5]])
    y = with_bn_arith(nn.Sequential(nn.BatchNorm1d(2)), "gpu_order")(x)
    assert y[1, 0].item() == 0.0 and torch.count_nonzero(y) == 5


def test_half_inputs_are_normalised_in_float32_and_stay_half():
    torch.manual_seed(1)
    x = (torch.randn(32, 4, 3, 3) * 2).half()
    bn = with_bn_arith(nn.Sequential(nn.BatchNorm2d(4)), "gpu_order").half()[0]
    y = bn(x)
    assert y.dtype == torch.float16
    xf = x.float()
    mean, var = xf.mean((0, 2, 3), keepdim=True), xf.var((0, 2, 3), unbiased=False, keepdim=True)
    assert torch.equal(y, ((xf - mean) * torch.rsqrt(var + bn.eps)).half())


def test_native_leaves_the_net_alone_and_gpu_order_swaps_every_batch_norm():
    spec = NetSpec("resnet18", True, 1 / 16, bn_arith="gpu_order")
    torch.manual_seed(2)
    swapped = spec.build(nn.ReLU, (3, 32, 32))
    torch.manual_seed(2)
    native = NetSpec("resnet18", True, 1 / 16).build(nn.ReLU, (3, 32, 32))
    kinds = [type(m) for m in swapped.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert kinds and set(kinds) == {GpuOrderBatchNorm}
    assert not any(isinstance(m, GpuOrderBatchNorm) for m in native.modules())
    assert len(kinds) == sum(isinstance(m, nn.BatchNorm2d) for m in native.modules())
    native_state = native.state_dict()
    assert all(torch.equal(v, native_state[k]) for k, v in swapped.state_dict().items())
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(swapped(x), native(x), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="bn_arith"):
        with_bn_arith(native, "cpu_order")
    with pytest.raises(ValueError, match="bn_arith"):
        NetSpec("vgg11", True, bn_arith="fused")
