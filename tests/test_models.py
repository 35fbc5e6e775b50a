import pytest
import torch

from ganforge.config import ModelConfig
from ganforge.errors import GanforgeError
from ganforge.models import build_models
from ganforge.train import module_count


def test_default_mlp_is_the_tutorial_network():
    G, D = build_models(ModelConfig(), (1, 28, 28))
    # G: Dense(100 -> 128) + Dense(128 -> 784); D: Dense(784 -> 128) + Dense(128 -> 1)
    assert module_count(G) == (100 * 128 + 128) + (128 * 784 + 784)
    assert module_count(D) == (784 * 128 + 128) + (128 + 1)
    activations = [m for m in G.modules() if isinstance(m, torch.nn.LeakyReLU)]
    assert [a.negative_slope for a in activations] == [0.01]
    images = G(torch.randn(5, 100))
    assert images.shape == (5, 1, 28, 28)
    assert images.abs().max() <= 1  # tanh output
    assert D(images).shape == (5,)


def test_mlp_for_points_has_an_unbounded_output():
    G, D = build_models(ModelConfig(z_dim=2, g_hidden=[64, 64]), (2,))
    points = G(torch.randn(7, 2) * 100)
    assert points.shape == (7, 2)
    assert not any(isinstance(m, torch.nn.Tanh) for m in G.modules())
    assert D(points).shape == (7,)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 64, 64), (3, 64, 64)])
def test_dcgan_generates_and_scores_each_supported_size(shape):
    G, D = build_models(ModelConfig(name="dcgan", width=8), shape)
    images = G(torch.randn(4, 100))
    assert images.shape == (4, *shape)
    assert D(images).shape == (4,)
    # Radford et al.: no pooling and no hidden fully connected layers
    assert not any(isinstance(m, (torch.nn.Linear, torch.nn.MaxPool2d, torch.nn.AvgPool2d)) for m in D.modules())
    convs = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert abs(convs[1].weight.std().item() - 0.02) < 0.005  # N(0, 0.02) init


@pytest.mark.parametrize("shape", [(2,), (1, 18, 18), (1, 64, 12), (4, 32, 32)])
def test_dcgan_rejects_shapes_it_cannot_build(shape):
    with pytest.raises(GanforgeError, match="dcgan"):
        build_models(ModelConfig(name="dcgan"), shape)


def _largest_singular_values(D: torch.nn.Module) -> list[float]:
    layers = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    return [torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2).item() for m in layers]


@pytest.mark.parametrize(
    ("name", "shape"), [("dcgan", (1, 28, 28)), ("dcgan", (3, 32, 32)), ("mlp", (2,)), ("mlp", (1, 28, 28))]
)
def test_spectral_norm_gives_D_layers_with_largest_singular_value_1(name, shape):
    G, D = build_models(ModelConfig(name=name, width=8, d_norm="spectral"), shape)
    D.train()
    for _ in range(5):  # each training forward pass runs one power iteration
        D(G(torch.randn(4, 100)))
    sigmas = _largest_singular_values(D)
    assert len(sigmas) >= 2
    assert all(abs(sigma - 1) < 0.05 for sigma in sigmas), sigmas
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())


def test_d_norm_keeps_todays_networks_by_default_and_can_drop_batch_norm():
    _, D = build_models(ModelConfig(name="dcgan", width=8), (1, 28, 28))
    _, D_batch = build_models(ModelConfig(name="dcgan", width=8, d_norm="batch"), (1, 28, 28))
    _, D_none = build_models(ModelConfig(name="dcgan", width=8, d_norm="none"), (1, 28, 28))
    assert list(D.state_dict()) == list(D_batch.state_dict())  # the same parameter names as before d_norm existed
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D_none.modules())
    assert max(_largest_singular_values(D_none)) < 0.9  # unnormalised: N(0, 0.02) weights, far from 1


def test_maxout_is_the_2014_papers_mnist_network():
    G, D = build_models(ModelConfig(name="maxout"), (1, 28, 28))
    # G: 100 -> 1200 -> 1200 -> 784 (ReLU, ReLU, sigmoid); D: 784 -> 240 x 5 -> 240 x 5 -> 1 (maxout, maxout)
    assert module_count(G) == (100 * 1200 + 1200) + (1200 * 1200 + 1200) + (1200 * 784 + 784)
    assert module_count(D) == (784 * 1200 + 1200) + (240 * 1200 + 1200) + (240 + 1)
    assert [m.p for m in D.modules() if isinstance(m, torch.nn.Dropout)] == pytest.approx([0.2, 0.5, 0.5])
    z = torch.randn(6, 100)
    images = G(z)
    assert images.shape == (6, 1, 28, 28)
    # 2 sigmoid(a) - 1: the paper's [0, 1] pixels in ganforge's [-1, 1]
    assert torch.allclose(images.flatten(1), 2 * torch.sigmoid(G.net(z)) - 1)
    assert D(images).shape == (6,)
    D.eval()  # dropout off: the same logits twice; on while training: different ones
    assert torch.equal(D(images), D(images))
    D.train()
    assert not torch.equal(D(images), D(images))


def test_a_maxout_unit_is_the_largest_of_its_pieces():
    from ganforge.models.maxout import Maxout

    layer = Maxout(3, units=2, pieces=4)
    x = torch.randn(5, 3)
    pieces = layer.linear(x).view(5, 2, 4)
    assert torch.equal(layer(x), pieces.max(dim=2).values)


def test_maxout_refuses_points_and_resolves_to_the_papers_sgd():
    from ganforge.config import Config
    from ganforge.resolve import resolve

    with pytest.raises(GanforgeError, match="model 'maxout' is the 2014 paper's network for images"):
        build_models(ModelConfig(name="maxout"), (2,))
    cfg = resolve(Config(preset="gan-2014"))
    assert (cfg.model.name, cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d) == ("maxout", "sgd", 0.1, 0.1)
    assert (cfg.optim.momentum, cfg.train.batch_size, cfg.model.d_norm) == (0.5, 100, "none")
    G, D = build_models(ModelConfig(name="maxout", condition="projection"), (1, 28, 28), num_classes=10)
    assert D(G(torch.randn(3, 100), torch.arange(3)), torch.arange(3)).shape == (3,)
