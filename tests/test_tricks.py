"""Options that compose with any loss: EMA of G, DiffAugment, PacGAN packing, minibatch std, unrolled D."""

import dataclasses
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import ganforge
import ganforge.run
from ganforge.config import Config, ModelConfig, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.gans import augment, make_gan
from ganforge.gans.pack import pack_samples
from ganforge.gans.unrolled import unrolled_weights
from ganforge.health import HealthProbe
from ganforge.models import build_models
from ganforge.models.layers import MinibatchStd
from ganforge.resolve import resolve
from ganforge.train import build_session, render, train_step

RING = {
    "data.name": "ring", "model.z_dim": 2, "model.g_hidden": [32], "model.d_hidden": [32],
    "train.batch_size": 32, "train.log_every": 10, "train.sample_every": 1000, "train.checkpoint_every": 20,
}  # fmt: skip
MNIST = {
    "data.limit": 256, "model.z_dim": 16, "model.g_hidden": [32], "model.d_hidden": [32], "train.batch_size": 16,
    "train.log_every": 10, "train.sample_every": 1000, "train.checkpoint_every": 10, "train.health_every": 0,
}  # fmt: skip


def config(base: dict, **overrides) -> Config:
    return resolve(apply_overrides(Config(), {**base, **overrides}))


def images(n: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# -- invalid combinations: one clear line each ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"preset": "wgan-gp", "train.weight_clip": 0.01}, "gradient penalty"),
        ({"train.loss": "wgan-gp", "model.name": "dcgan", "model.d_norm": "batch"}, "batch norm"),
        ({"train.pack": 3, "train.batch_size": 64}, "not a multiple of train.pack=3"),
        ({"train.pack": 0}, "train.pack=0"),
        ({"data.name": "ring", "train.augment": "translation"}, "2-D points"),
        ({"train.augment": "translation,rotate"}, "unknown augmentation policy 'rotate'"),
        ({"train.ema": 1.0}, "train.ema=1.0"),
        ({"train.unroll": -1}, "train.unroll=-1"),
        ({"train.unroll": 2, "train.unroll_lr": 0.0}, "train.unroll_lr=0.0"),
    ],
)
def test_nonsense_combinations_are_one_clear_error(overrides, message):
    with pytest.raises(GanforgeError) as error:
        resolve(apply_overrides(Config(), overrides))
    assert message in str(error.value)
    assert error.value.hint


def test_options_resolve_to_their_defaults():
    cfg = config({}, **{"train.unroll": 3, "optim.lr_d": 3e-4, "train.augment": "cutout, color"})
    assert cfg.train.unroll_lr == 3e-4  # D's learning rate unless set
    assert cfg.train.augment == "color,cutout"  # the paper's order
    assert config({}).train.ema is None and config({}).train.pack == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--pack", "3", "--batch-size", "64"], "train.pack=3"),
        (["--augment", "color"], "2-D points"),
        (["--preset", "wgan-gp", "--set", "train.weight_clip=0.01"], "train.weight_clip=0.01"),
        (["--ema", "1.5"], "train.ema=1.5"),
    ],
)
def test_the_command_line_reports_bad_options_in_one_line(capsys, args, words):
    from ganforge.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["train", "--dataset", "ring", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and words in err and "Traceback" not in err


# -- DiffAugment -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["color", "translation", "cutout"])
def test_each_policy_keeps_the_shape_changes_the_images_and_is_reproducible(policy):
    x = images()
    once = augment.POLICIES[policy](x, torch.Generator().manual_seed(3))
    again = augment.POLICIES[policy](x, torch.Generator().manual_seed(3))
    assert once.shape == x.shape
    assert torch.equal(once, again)
    assert not torch.allclose(once, x)
    other = augment.POLICIES[policy](x, torch.Generator().manual_seed(4))
    assert not torch.equal(once, other)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout"])
def test_each_policy_passes_gradients_back_to_the_images(policy):
    x = images().requires_grad_(True)
    augment.POLICIES[policy](x, torch.Generator().manual_seed(0)).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_shifts_whole_images_by_at_most_an_eighth_and_fills_zeros():
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 14, 14] = 1.0  # one bright pixel in the middle
    moved = augment.translation(x, torch.Generator().manual_seed(0))
    _, rows, cols = (moved[:, 0] == 1).nonzero().T  # (image, row, column) of each bright pixel
    assert (moved.sum(dim=(1, 2, 3)) == 1).all()  # moved, never duplicated or lost
    assert (rows - 14).abs().max() <= 4 and (cols - 14).abs().max() <= 4  # int(28 / 8 + 0.5) = 4 pixels
    assert len(set((rows - 14).tolist())) > 3  # shifts vary between images
    edge = torch.ones(64, 1, 28, 28)
    shifted = augment.translation(edge, torch.Generator().manual_seed(0))
    assert (shifted == 0).any() and set(shifted.unique().tolist()) == {0.0, 1.0}  # zero-filled, not wrapped


def test_cutout_zeros_one_square_of_half_the_side():
    x = torch.ones(64, 1, 28, 28)
    cut = augment.cutout(x, torch.Generator().manual_seed(0))
    zeros = (cut == 0).sum(dim=(1, 2, 3))
    assert zeros.max() == 14 * 14  # a whole square where it lies inside
    assert (zeros > 0).all() and (zeros < 14 * 14).any()  # clipped at the border elsewhere


def test_color_changes_brightness_per_image():
    x = torch.zeros(64, 3, 8, 8)
    shifted = augment.color(x, torch.Generator().manual_seed(0))
    means = shifted.mean(dim=(1, 2, 3))
    assert means.abs().max() <= 0.5 + 1e-6 and means.std() > 0.1  # brightness in [-0.5, 0.5), per image


def test_discriminate_augments_real_and_fake_alike_from_a_seeded_stream():
    cfg = config(MNIST, **{"train.augment": "translation,cutout,color"})
    seen: list[torch.Tensor] = []
    D = Recorder(seen)
    gan = make_gan(cfg, nn.Identity(), D)
    x = images()
    gan.discriminate(x)
    gan.discriminate(x)
    assert not torch.allclose(seen[0], x)  # D sees augmented images
    assert not torch.allclose(seen[0], seen[1])  # a fresh transform each time it looks
    replay = make_gan(cfg, nn.Identity(), Recorder(seen))
    replay.discriminate(x)
    assert torch.equal(seen[2], seen[0])  # the stream is seeded by train.seed
    assert "augment" in gan.random_streams()


def _inputs_of_D_in_one_step(**overrides) -> list[torch.Tensor]:
    session = build_session(config(MNIST, **overrides))
    seen: list[torch.Tensor] = []
    session.gan.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    train_step(session)
    return seen


def test_a_training_step_augments_real_and_fake_images_alike():
    # Augmenting the real images alone teaches G to draw augmented images (Zhao et al. 2020, sec. 3.1). Cutout
    # leaves exact zeros in every image, a value that neither a real image in [-1, 1] nor G's tanh output takes.
    def cut(x: torch.Tensor) -> torch.Tensor:  # (N,) per image: holds an exact zero
        return (x == 0).flatten(1).any(1)

    seen = _inputs_of_D_in_one_step(**{"train.augment": "cutout"})
    assert len(seen) == 3  # real and fake in D's step, fake in G's
    assert all(cut(x).all() for x in seen)
    plain = _inputs_of_D_in_one_step()
    assert len(plain) == 3 and not any(cut(x).any() for x in plain)


class Recorder(nn.Module):
    """A D that remembers its inputs and scores everything zero."""

    def __init__(self, seen: list[torch.Tensor]) -> None:
        super().__init__()
        self.seen = seen
        self.weight = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        return x.flatten(1).sum(1) * self.weight


# -- PacGAN packing --------------------------------------------------------------------------------------


def test_packing_concatenates_consecutive_samples():
    x = torch.arange(12.0).view(6, 2)  # six 2-D points
    packed = pack_samples(x, 3)
    assert packed.tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    stacked = pack_samples(images(4), 2)  # (4, 1, 28, 28) -> (2, 2, 28, 28): stacked channels
    assert stacked.shape == (2, 2, 28, 28)
    assert torch.equal(stacked[1, 0], images(4)[2, 0]) and torch.equal(stacked[1, 1], images(4)[3, 0])


@pytest.mark.parametrize(("model", "shape"), [("mlp", (2,)), ("mlp", (1, 28, 28)), ("dcgan", (1, 28, 28))])
def test_a_packed_D_takes_m_samples_and_gives_one_logit_per_pack(model, shape):
    _, D = build_models(ModelConfig(name=model, d_norm="none"), shape, pack=4)
    first = next(p for p in D.parameters() if p.dim() > 1)
    expected_inputs = 4 * (2 if shape == (2,) else (784 if model == "mlp" else 1))
    assert first.shape[1] == expected_inputs  # the first layer is m times as wide
    cfg = config(RING if shape == (2,) else MNIST, **{"model.name": model, "train.pack": 4})
    gan = make_gan(cfg, nn.Identity(), D)
    assert gan.discriminate(torch.randn(32, *shape)).shape == (8,)


def test_a_packed_run_trains_and_loads(tmp_path):
    run = ganforge.train(apply_overrides(Config(), {**RING, "train.steps": 5, "train.pack": 4, "out": str(tmp_path)}))
    assert ganforge.load(run).sample(10).shape == (10, 2)


# -- minibatch standard deviation ------------------------------------------------------------------------


def test_minibatch_std_appends_the_mean_standard_deviation_of_each_group():
    x = torch.randn(8, 5)
    out = MinibatchStd(group_size=4)(x)
    assert out.shape == (8, 6) and torch.equal(out[:, :5], x)
    # sample i is in group i mod 2: {0, 2, 4, 6} and {1, 3, 5, 7}
    for members in ([0, 2, 4, 6], [1, 3, 5, 7]):
        expected = x[members].std(dim=0, unbiased=False).mean()
        assert torch.allclose(out[members, 5], expected.expand(4), atol=1e-5)
    maps = MinibatchStd()(torch.randn(8, 3, 4, 4))
    assert maps.shape == (8, 4, 4, 4) and maps[:, 3].flatten(1).std(1).max() == 0  # constant over pixels
    assert MinibatchStd()(torch.ones(6, 5))[:, 5].max() < 1e-3  # no spread (6 is one group of 6)


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_with_minibatch_std_D_scores_a_sample_by_its_company(model):
    _, D = build_models(ModelConfig(name=model, d_norm="none", minibatch_std=True), (1, 28, 28))
    assert any(isinstance(layer, MinibatchStd) for layer in D.modules())
    x = images(8)
    alone = D(x)
    assert alone.shape == (8,)
    company = x.clone()
    company[4:] = x[0]  # change the other members of sample 0's group (i mod 4 == 0: samples 0 and 4)
    assert not torch.allclose(D(company)[0], alone[0])
    _, plain = build_models(ModelConfig(name=model, d_norm="none"), (1, 28, 28))
    assert torch.allclose(plain(company)[0], plain(x)[0])  # without it, a sample's score is its own


# -- unrolled D ------------------------------------------------------------------------------------------


def unrolled_gan(unroll: int, loss: str = "non-saturating") -> tuple:
    cfg = config(RING, **{"train.unroll": unroll, "train.unroll_lr": 0.5, "train.loss": loss})
    torch.manual_seed(0)
    G, D = build_models(cfg.model, (2,))
    gan = make_gan(cfg, G.double(), D.double())
    real = torch.randn(16, 2, dtype=torch.float64)
    z = torch.randn(16, 2, dtype=torch.float64)
    return gan, real, z


def test_unrolled_g_loss_leaves_D_and_matches_a_finite_difference_through_the_unrolling():
    gan, real, z = unrolled_gan(2)
    before = {name: p.clone() for name, p in gan.D.named_parameters()}
    loss = gan.g_objective(gan.make_step(real, z, None, with_graph=True))
    weight = gan.G.net[0].weight
    (grad,) = torch.autograd.grad(loss, weight)
    assert all(torch.equal(before[name], p) for name, p in gan.D.named_parameters())  # D itself untouched
    assert "generate" not in vars(gan)  # nothing patched onto the variant: the step carries D's weights

    # The total derivative of f_K(theta_G): theta_D^K depends on G through the fakes of the unrolled steps.
    h, index = 1e-6, (0, 1)
    values = []
    for sign in (1, -1):
        with torch.no_grad():
            weight[index] += sign * h
        values.append(gan.g_objective(gan.make_step(real, z, None, with_graph=True)).detach())
        with torch.no_grad():
            weight[index] -= sign * h
    numeric = (values[0] - values[1]) / (2 * h)
    assert torch.allclose(grad[index], numeric, rtol=1e-4, atol=1e-8)
    plain_gan, _, _ = unrolled_gan(0)
    plain_step = plain_gan.make_step(real, z, None, with_graph=True)
    (plain,) = torch.autograd.grad(plain_gan.g_objective(plain_step), plain_gan.G.net[0].weight)
    assert not torch.allclose(grad[index], plain[index], rtol=1e-3)  # unrolling changed G's gradient


def test_unroll_zero_is_the_plain_generator_loss():
    gan, real, z = unrolled_gan(0)
    step = gan.make_step(real, z, None, with_graph=True)
    assert torch.equal(gan.g_objective(step), gan.g_loss(step))


def test_a_step_carrying_D_weights_plays_against_those_weights():
    gan, real, z = unrolled_gan(2)
    step = gan.make_step(real, z, None, with_graph=True)
    own = dict(gan.D.named_parameters())
    assert torch.equal(gan.g_loss(dataclasses.replace(step, D_weights=own)), gan.g_loss(step))
    unrolled = dataclasses.replace(step, D_weights=unrolled_weights(gan, step))
    assert not torch.equal(gan.g_loss(unrolled), gan.g_loss(step))


@pytest.mark.parametrize("loss", ["hinge", "wgan-gp"])
def test_unrolling_composes_with_other_losses_and_training(loss, tmp_path):
    cfg = apply_overrides(Config(), {**RING, "train.loss": loss, "train.unroll": 2, "train.steps": 4,
                                     "train.batch_size": 16, "out": str(tmp_path)})  # fmt: skip
    session = build_session(resolve(cfg))
    D_before = [p.clone() for p in session.gan.D.parameters()]
    train_step(session)
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in session.gan.G.parameters())
    assert not all(torch.equal(a, b) for a, b in zip(D_before, session.gan.D.parameters(), strict=True))


# -- EMA of G --------------------------------------------------------------------------------------------


def test_G_ema_is_the_exact_running_average_of_G_after_each_step():
    session = build_session(config(RING, **{"train.ema": 0.9, "train.steps": 5}))
    expected = [p.detach().double().clone() for p in session.gan.G.parameters()]  # G_ema starts at G
    for _ in range(5):
        train_step(session)
        for average, p in zip(expected, session.gan.G.parameters(), strict=True):
            average.mul_(0.9).add_(p.detach().double(), alpha=0.1)
    for average, p_ema, p in zip(expected, session.gan.G_ema.parameters(), session.gan.G.parameters(), strict=True):
        assert torch.allclose(p_ema.double(), average, atol=1e-6)
        assert not torch.allclose(p_ema, p)  # an average, not a copy
    assert not any(p.requires_grad for p in session.gan.G_ema.parameters())
    z = session.fixed_z[:10]
    assert torch.equal(render(session.gan, z), session.gan.G_ema(z))  # progress pictures show G_ema


def test_sampling_a_run_with_ema_uses_G_ema(tmp_path):
    run = ganforge.train(apply_overrides(Config(), {**RING, "train.steps": 20, "train.ema": 0.9,
                                                    "out": str(tmp_path / "ema")}))  # fmt: skip
    tensors = load_file(run / "checkpoints/latest.safetensors")
    loaded = ganforge.load(run).gan.G
    assert torch.equal(loaded.net[0].weight, tensors["G_ema.net.0.weight"])
    assert not torch.equal(tensors["G_ema.net.0.weight"], tensors["G.net.0.weight"])


# -- resume is bitwise with every random stream checkpointed ----------------------------------------------


@pytest.mark.parametrize(
    ("base", "overrides"),
    [
        (RING, {"train.loss": "wgan-gp", "train.ema": 0.99}),  # WGAN-GP's interpolation weights, and G_ema
        (MNIST, {"train.augment": "translation,cutout,color", "train.pack": 2}),  # DiffAugment's transforms
    ],
)
def test_resume_is_bitwise_identical_to_an_unbroken_run(tmp_path, base, overrides):
    def run(out: Path, steps: int) -> Config:
        return apply_overrides(Config(), {**base, **overrides, "train.steps": steps, "out": str(out)})

    every = base["train.checkpoint_every"]
    first = ganforge.train(run(tmp_path / "broken", every))
    resumed = ganforge.resume(first, steps=2 * every)
    straight = ganforge.train(run(tmp_path / "straight", 2 * every))
    a, b = load_file(resumed / "checkpoints/latest.safetensors"), load_file(straight / "checkpoints/latest.safetensors")
    assert a.keys() == b.keys()
    assert any(name.startswith("rng.") and name not in ("rng.data", "rng.latent") for name in a)
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_presets_are_exported_with_a_ttur_example():
    assert "ttur" in ganforge.presets.PRESETS
    cfg = resolve(Config(preset="ttur"))
    assert (cfg.optim.lr_g, cfg.optim.lr_d) == (1e-4, 3e-4)


def test_health_probes_ask_a_packed_D_through_discriminate():
    # D's input is 4 samples wide: the overfitting signal packs the probe's images as training does.
    session = build_session(config(MNIST, **{"train.pack": 4, "train.health_every": 2}))
    train_step(session)
    probe = HealthProbe(session)
    fakes = render(session.gan, probe.latents)
    D = session.gan.D.eval()
    with torch.no_grad():
        train, held_out, fake = (D(pack_samples(x, 4)).mean() for x in (probe.real, probe.held_out, fakes))
    expected = (train - held_out) / (train - fake).abs()  # 0: D generalises; 1: held-out images look fake
    assert probe.measure()["health/d_overfit"] == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"train.pack": 2, "model.condition": "projection"}, "packs samples without their labels"),
        ({"train.pack": 2, "model.info_categorical": 10}, "packs samples without their labels"),
        ({"task.name": "srgan", "data.name": "fashion-mnist", "train.ema": 0.999}, "train.ema=0.999 apply to"),
        ({"task.name": "inpaint", "data.name": "fashion-mnist", "train.pack": 2}, "not to the inpaint task"),
    ],
)
def test_options_that_cannot_combine_with_labels_or_tasks_are_refused(overrides, message):
    with pytest.raises(GanforgeError, match=message):
        resolve(apply_overrides(Config(), overrides))
