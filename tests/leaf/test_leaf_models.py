"""leaf: AHAF/LEAF functions, their hand-written gradients, the networks' sizes and the same-seed property."""

import pytest
import torch

from relurepro.activations import make_activation
from relurepro.leaf.activations import (AHAF, BASE_ACTIVATIONS, LEAF, AHAFFunction, LEAFFunction, ahaf_autograd,
                                        leaf_autograd, make_leaf_activation, split_parameters)
from relurepro.leaf.models import KerasNet, LeNet5, build_net

# float32 linspace as in §3.13: its middle point is -7.1e-7, not 0, where u*sigmoid(65536u) misses ReLU by
# 1.21e-13 squared (§2.2's "1.2e-13", rounded); hence the bound 1.25e-13.
AS_BASE = [(AHAF, "ReLU"), (AHAF, "SiLU"), (LEAF, "ReLU"), (LEAF, "SiLU"), (LEAF, "Tanh"), (LEAF, "Sigmoid")]
BOUND = {"ReLU": 1.25e-13, "SiLU": 1e-12, "Tanh": 1.25e-13, "Sigmoid": 1e-12}


@pytest.mark.parametrize("cls,init_as", AS_BASE)
def test_initialisation_reproduces_base_function(cls, init_as):
    x = torch.linspace(-15, 15, 100_001).reshape(-1, 1)
    with torch.no_grad():
        err = (cls((1,), init_as)(x) - BASE_ACTIVATIONS[init_as](x)).square().max().item()
    assert err <= BOUND[init_as]


@pytest.mark.parametrize("init_as", ["Tanh", "Sigmoid", "relu"])
def test_ahaf_rejects_other_inits(init_as):
    with pytest.raises(ValueError, match="Invalid initialization mode"):
        AHAF((3,), init_as)


def _random_params(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return module


def test_gradcheck_float64():
    u = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    ahaf, leaf = _random_params(AHAF((2, 3), "SiLU")), _random_params(LEAF((2, 3), "Tanh"))
    assert torch.autograd.gradcheck(AHAFFunction.apply, (u, ahaf.gamma, ahaf.beta))
    assert torch.autograd.gradcheck(LEAFFunction.apply, (u, *leaf.parameters()))


@pytest.mark.parametrize("cls,plain", [(AHAF, ahaf_autograd), (LEAF, leaf_autograd)])
def test_hand_written_gradients_equal_autograd(cls, plain):
    module = _random_params(cls((5, 4), "SiLU"), seed=1)
    u = torch.randn(8, 5, 4, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(8, 5, 4, dtype=torch.float64)
    inputs = (u, *module.parameters())
    hand = torch.autograd.grad((module(u) * weights).sum(), inputs)
    auto = torch.autograd.grad((plain(*inputs) * weights).sum(), inputs)
    for h, a in zip(hand, auto):
        torch.testing.assert_close(h, a)
    module.plain_autograd = True
    torch.testing.assert_close(module(u), plain(*inputs))


def test_frozen_parameters_still_backpropagate():
    """DSPT freezes the AAF parameters in stage 2: the input gradient must still flow."""
    leaf = LEAF((3,), "Sigmoid").requires_grad_(False)
    u = torch.randn(2, 3, requires_grad=True)
    leaf(u).sum().backward()
    assert u.grad is not None and leaf.p1.grad is None


# (net, in_shape) -> (non-AAF params, AHAF params, LEAF params), the table of §2.3.
SIZES = {
    ("lenet5", (1, 28, 28)): (431_000, 30_440, 60_880),
    ("lenet5", (3, 32, 32)): (657_000, 42_360, 84_720),
    ("kerasnet", (1, 28, 28)): (889_834, 131_584, 263_168),
    ("kerasnet", (3, 32, 32)): (1_250_858, 174_592, 349_184),
}


def _count(params):
    return sum(p.numel() for p in params)


@pytest.mark.parametrize("net,in_shape", list(SIZES))
def test_parameter_counts_and_output_shape(net, in_shape):
    other, n_ahaf, n_leaf = SIZES[(net, in_shape)]
    base = build_net(net, "base", "ReLU", in_shape)
    assert _count(base.parameters()) == other
    for kind, expected in (("ahaf", n_ahaf), ("leaf", n_leaf)):
        model = build_net(net, kind, "SiLU", in_shape)
        aaf, p24, rest = split_parameters(model)
        assert (_count(aaf) + _count(p24), _count(rest)) == (expected, other)
        assert _count(p24) == (expected // 2 if kind == "leaf" else 0)
        assert model(torch.zeros(2, *in_shape)).shape == (2, 10)
    assert [name for name, _ in base.activation_layers()] == list(type(base).ACT_NAMES)


def test_split_parameters_groups_leaf_p2_p4():
    model = LeNet5("leaf", "Tanh", (1, 28, 28))
    aaf, p24, _ = split_parameters(model)
    def ids(params):
        return {id(p) for p in params}

    acts = [m for _, m in model.activation_layers()]
    assert ids(p24) == ids(p for m in acts for p in (m.p2, m.p4))
    assert ids(aaf) == ids(p for m in acts for p in (m.p1, m.p3))


@pytest.mark.parametrize("cls", [LeNet5, KerasNet])
def test_same_seed_same_synaptic_weights(cls):
    states = []
    for kind, init_as in (("base", "ReLU"), ("ahaf", "ReLU"), ("leaf", "Tanh")):
        torch.manual_seed(42)
        model = cls(kind, init_as, (3, 32, 32))
        states.append({k: v for k, v in model.state_dict().items() if "act" not in k})
        states[-1]["_next_draw"] = torch.rand(1)  # the AAFs drew no random numbers either
    for state in states[1:]:
        assert state.keys() == states[0].keys()
        assert all(torch.equal(state[k], states[0][k]) for k in state)


def test_factories():
    assert isinstance(make_activation("leaf", in_dims=(4,), init_as="Tanh"), LEAF)
    assert isinstance(make_activation("ahaf", in_dims=(4,)), AHAF)
    assert sum(p.numel() for p in make_leaf_activation("base", "SiLU", (4,)).parameters()) == 0
    with pytest.raises(ValueError):
        make_leaf_activation("fuzzy", "ReLU", (4,))
    with pytest.raises(ValueError):
        build_net("vgg", "base", "ReLU", (1, 8, 8))
    assert LEAF((2, 3), "ReLU").p3.dtype == torch.float32 and LEAF((2, 3), "ReLU").p3[0, 0].item() == 2.0**16
