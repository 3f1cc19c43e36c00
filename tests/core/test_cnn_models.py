import pytest
import torch
from torch import nn

from relurepro.activations import ReLUAlpha
from relurepro.models.resnet import resnet18_cifar, resnet50_imagenet
from relurepro.models.vgg import vgg11


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_vgg11_matches_the_cifar_architecture():
    # 9,225,610 parameters without BN (kuangliu's CIFAR VGG11); BN adds weight and bias per channel.
    assert n_params(vgg11()) == 9_225_610
    assert n_params(vgg11(batch_norm=True)) == 9_225_610 + 2 * (64 + 128 + 2 * 256 + 4 * 512)
    net = vgg11(batch_norm=True, activation=lambda: ReLUAlpha(1.0))
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert len(convs) == 8 and all(c.bias is not None and c.kernel_size == (3, 3) and c.padding == (1, 1)
                                   for c in convs)
    assert sum(isinstance(m, ReLUAlpha) for m in net.modules()) == 8
    assert isinstance(net.features[-1], nn.AvgPool2d) and net.classifier.in_features == 512
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_vgg11_width_multiplier_and_input_channels():
    net = vgg11(width_mult=0.25, in_channels=1, num_classes=7)
    assert [m.out_channels for m in net.features if isinstance(m, nn.Conv2d)] == [16, 32, 64, 64, 128, 128, 128, 128]
    assert net.classifier.in_features == 128
    assert net(torch.randn(3, 1, 32, 32)).shape == (3, 7)
    # Parameters scale about as width^2.
    assert 0.05 < n_params(net) / n_params(vgg11()) < 0.07


def test_resnet18_cifar_with_the_maxpool_stem():
    assert n_params(resnet18_cifar()) == 11_173_962
    net = resnet18_cifar(batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert all(m.bias is None for m in net.modules() if isinstance(m, nn.Conv2d))
    x = torch.randn(2, 3, 32, 32)
    assert net.stem(x).shape == (2, 64, 16, 16)  # relu_prime S12: 32x32 -> 16x16 after the stem
    assert resnet18_cifar(maxpool_stem=False).stem(x).shape == (2, 64, 32, 32)
    assert net(x).shape == (2, 10)
    # Downsampling by 1x1 conv + norm at each widening stage.
    assert [type(m).__name__ for m in net.layer2[0].downsample] == ["Conv2d", "Identity"]


def test_resnet_initialisation():
    torch.manual_seed(0)
    net = resnet18_cifar(width_mult=0.5)
    conv = net.layer3[1].conv2  # 128 -> 128, 3x3: Kaiming normal, fan_out = 128 * 9
    assert abs(conv.weight.std().item() - (2 / (128 * 9)) ** 0.5) < 0.002
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.all(b.weight == 1) and torch.all(b.bias == 0) for b in bns)


def test_resnet_width_multiplier_and_activation_factory():
    net = resnet18_cifar(width_mult=0.25, activation=lambda: ReLUAlpha(0.5))
    assert net.conv1.out_channels == 16 and net.fc.in_features == 128
    # Stem + one instance per block (used twice), as the original.
    assert sum(isinstance(m, ReLUAlpha) for m in net.modules()) == 1 + 8
    assert 0.05 < n_params(net) / n_params(resnet18_cifar()) < 0.07


def test_resnet50_imagenet_shape_and_size():
    net = resnet50_imagenet()
    assert n_params(net) == 25_557_032  # torchvision's resnet50
    assert net.fc.out_features == 1000  # relu_prime S16: the original kept 10 classes
    assert net.conv1.kernel_size == (7, 7) and net.conv1.stride == (2, 2)
    assert [len(s) for s in (net.layer1, net.layer2, net.layer3, net.layer4)] == [3, 4, 6, 3]
    small = resnet50_imagenet(num_classes=5, width_mult=0.125)
    assert small(torch.randn(2, 3, 64, 64)).shape == (2, 5)
