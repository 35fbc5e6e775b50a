"""R3GAN (Huang, Gokaslan, Kuleshov and Tompkin 2024): the R2 penalty beside R1, the normalisation-free ResNet
networks, and the preset (its learning check on the 25-Gaussian grid: tests/test_family_learning.py)."""

import math

import pytest
import torch
from torch import nn

from ganforge import losses, stats
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.gans.base import Step
from ganforge.models import MODELS, build_models
from ganforge.models.r3gan import R3GANDiscriminator, R3GANGenerator, ResidualBlock
from ganforge.resolve import resolve
from ganforge.tasks import TASKS
from ganforge.train import build_session


class QuadraticCritic(nn.Module):
    """D(x) = a/2 ||x||^2: grad_x D = a x, so a zero-centred penalty at x is a^2 ||x||^2 and tells real from fake."""

    def __init__(self, a: float = 1.5) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a / 2 * x.flatten(1).pow(2).sum(1)


def _ring_session(**overrides):
    cfg = {"data.name": "ring", "model.z_dim": 2, "train.loss": "rpgan", "train.health_every": 0,
           "out": "/tmp/unused-r3gan-test", **overrides}  # fmt: skip
    return build_session(resolve(apply_overrides(Config(), cfg)))


def test_r2_penalty_sends_its_gradient_into_D_weights_and_never_into_G():
    # For D(x) = w.x + b, R2 = ||w||^2 wherever the fakes are, so D's optimiser must see 2w (create_graph=True).
    critic = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    with torch.no_grad():
        critic[0].weight.copy_(torch.tensor([[3.0, 4.0]]))
    G = nn.Linear(2, 2)
    fake = G(torch.randn(32, 2))  # fakes that still carry G's graph
    penalty = losses.r2_penalty(critic, fake)
    penalty.backward()
    assert math.isclose(penalty.item(), 25.0, rel_tol=1e-6)
    assert torch.allclose(critic[0].weight.grad, torch.tensor([[6.0, 8.0]]))
    assert G.weight.grad is None  # the penalty shapes D alone


def test_r1_and_r2_are_zero_centred_on_real_and_fake_respectively():
    # With D(x) = a/2 ||x||^2: R1 = a^2 E||x_real||^2 and R2 = a^2 E||G(z)||^2. Distinct gammas and data of distinct
    # norms catch a swap of real and fake; (||grad|| - 1)^2 (WGAN-GP's centring) would give other values.
    s = _ring_session(**{"train.r1_gamma": 1.0, "train.r2_gamma": 3.0})
    critic = QuadraticCritic(1.5)
    s.gan.D = critic
    real = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)) * 2.0
    fake = torch.randn(64, 2, generator=torch.Generator().manual_seed(1)) * 0.5
    step = Step(real, torch.zeros(64, 2), None, fake)
    stats.reset()
    total = s.gan.d_objective(step)
    reported = stats.collect()
    real_norm, fake_norm = real.pow(2).sum(1).mean().item(), fake.pow(2).sum(1).mean().item()
    assert math.isclose(reported["loss/D/r1"], 1.0 / 2 * 1.5**2 * real_norm, rel_tol=1e-5)
    assert math.isclose(reported["loss/D/r2"], 3.0 / 2 * 1.5**2 * fake_norm, rel_tol=1e-5)
    # and both penalties train D: d/da of gamma/2 a^2 E||x||^2 is gamma a E||x||^2, on top of the loss's own gradient
    (grad_total,) = torch.autograd.grad(total, critic.a)
    (grad_loss,) = torch.autograd.grad(s.gan.d_loss(step), critic.a)
    expected = 1.0 * 1.5 * real_norm + 3.0 * 1.5 * fake_norm
    assert math.isclose(grad_total.item() - grad_loss.item(), expected, rel_tol=1e-4)
    # A fake at the origin, where this D is flat, has no R2: the penalty is centred at zero gradient.
    stats.reset()
    s.gan.d_objective(Step(real, torch.zeros(64, 2), None, torch.zeros(64, 2)))
    assert stats.collect()["loss/D/r2"] == 0.0


def test_r2_composes_with_any_loss_and_with_tasks():
    for loss in ("non-saturating", "hinge", "wgan-gp"):
        assert _ring_session(**{"train.loss": loss, "train.r2_gamma": 2.0}).gan.r2_gamma == 2.0
    assert _ring_session().gan.r2_gamma == 0.0  # off unless asked
    cfg = resolve(apply_overrides(Config(), {"task.name": "pix2pix", "train.r2_gamma": 0.5}))
    gan = TASKS["pix2pix"].make_gan(cfg, nn.Identity(), nn.Identity())
    assert gan.r2_gamma == 0.5


def test_a_negative_r2_gamma_is_one_clear_error():
    with pytest.raises(GanforgeError, match="train.r2_gamma=-1.0 must be 0"):
        resolve(apply_overrides(Config(), {"train.r2_gamma": -1.0}))


@pytest.mark.parametrize("side", [28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_networks_map_latents_to_images_and_images_to_one_logit(side, channels):
    cfg = apply_overrides(Config(), {"model.name": "r3gan", "model.width": 32, "model.z_dim": 16}).model
    G, D = build_models(cfg, (channels, side, side))
    z = torch.randn(5, 16)
    images = G(z)
    assert images.shape == (5, channels, side, side)
    assert D(images).shape == (5,)
    _, D_packed = build_models(cfg, (channels, side, side), pack=2)  # PacGAN: two images' channels stacked
    assert D_packed(torch.randn(3, 2 * channels, side, side)).shape == (3,)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)) for m in [*G.modules(), *D.modules()])


@pytest.mark.parametrize("condition", ["concat", "projection", "acgan"])
def test_networks_take_class_labels(condition):
    cfg = apply_overrides(Config(), {"model.name": "r3gan", "model.width": 32, "model.z_dim": 16,
                                     "model.condition": condition}).model  # fmt: skip
    G, D = build_models(cfg, (3, 32, 32), num_classes=10)
    labels = torch.tensor([0, 3, 9])
    images = G(torch.randn(3, 16), labels)
    assert images.shape == (3, 3, 32, 32)
    assert D(images, labels).shape == (3,)
    if condition == "acgan":
        assert D.classify(images).shape == (3, 10)
    if condition == "concat":  # the label maps reach r3gan's own D, not a DCGAN stand-in
        assert any(isinstance(m, ResidualBlock) for m in D.body.modules())


def test_every_residual_block_starts_as_the_identity_with_fixup_scaled_branches():
    G = R3GANGenerator(z_dim=8, channels=1, side=28, width=64)
    D = R3GANDiscriminator(channels=1, side=28, width=64)
    for network in (G, D):
        blocks = [m for m in network.modules() if isinstance(m, ResidualBlock)]
        assert blocks
        for block in blocks:
            x = torch.randn(2, block.expand.in_channels, 7, 7)
            assert torch.equal(block(x), x)  # the branch's last conv is zero
            assert not block.project.weight.any()
            # He init with LeakyReLU(0.2)'s gain, times L^(-1/4) for L blocks (R3GAN sec. 3.2, m = 3 layers)
            expected = math.sqrt(2 / 1.04) * len(blocks) ** -0.25 / math.sqrt(block.expand.in_channels)
            assert abs(block.expand.weight.std().item() / expected - 1) < 0.15
            groups = block.grouped.groups
            assert groups > 1 or block.grouped.in_channels <= 16  # grouped 3x3 convs (ResNeXt cardinality)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"model.name": "r3gan", "data.name": "ring"}, ["r3gan", "images", "--model mlp"]),
        ({"model.name": "r3gan", "data.image_size": 64}, ["r3gan", "28 or 32 px", "64"]),
        ({"model.name": "r3gan", "model.d_norm": "batch"}, ["D normalisation", "r3gan", "'batch'"]),
    ],
)
def test_misuse_is_one_clear_error(overrides, words, tmp_path):
    with pytest.raises(GanforgeError) as error:
        cfg = resolve(apply_overrides(Config(), {**overrides, "out": str(tmp_path / "run")}))
        MODELS[cfg.model.name].build(cfg.model, (2,) if cfg.data.name == "ring" else (1, 64, 64), 1)
    for word in words:
        assert word in str(error.value)


def test_the_preset_trains_the_paper_recipe():
    cfg = resolve(apply_overrides(Config(), {"preset": "r3gan"}))
    assert (cfg.model.name, cfg.train.loss, cfg.model.d_norm) == ("r3gan", "rpgan", "none")
    assert cfg.train.r1_gamma == cfg.train.r2_gamma > 0  # one gamma for both penalties (R3GAN eq. 4)
    assert cfg.optim.betas[0] == 0.0

