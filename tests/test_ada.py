"""Adaptive discriminator augmentation (Karras et al. 2020): the pipeline, the heuristic that steers p, and
how both sit in a training run (real and fake alike, checkpoints, metrics)."""

import math

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.gans import ada, make_gan
from ganforge.gans.ada import INTERVAL, AdaptiveAugment
from ganforge.resolve import resolve
from ganforge.run import RunDir
from ganforge.train import build_session, train_step

MNIST = {
    "data.limit": 256, "model.z_dim": 16, "model.g_hidden": [32], "model.d_hidden": [32], "train.batch_size": 16,
    "train.log_every": 2, "train.sample_every": 6, "train.checkpoint_every": 6, "train.health_every": 0,
}  # fmt: skip
# A target below D's early sign mean and a fast speed, so p moves within a few steps.
ADA = {"train.augment": "ada:0.05", "train.ada_images": 640}


def config(**overrides) -> Config:
    return resolve(apply_overrides(Config(), {**MNIST, **overrides}))


def images(n: int = 16, channels: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, channels, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# -- the pipeline ----------------------------------------------------------------------------------------


def test_the_pipeline_is_the_identity_at_p_0():
    x = images(channels=3)
    assert torch.equal(ada.augment(x, torch.tensor(0.0), torch.Generator().manual_seed(0)), x)


def test_the_pipeline_keeps_shape_and_its_resampling_keeps_the_range():
    x = images(64, channels=3)
    augmented = ada.augment(x, torch.tensor(1.0), torch.Generator().manual_seed(0))
    assert augmented.shape == x.shape and not torch.allclose(augmented, x)
    warped = ada.geometric(x, torch.tensor(1.0), torch.Generator().manual_seed(0))
    for image, original in zip(warped, x, strict=True):  # bilinear resampling: within each image's own range
        assert original.min() - 1e-5 <= image.min() and image.max() <= original.max() + 1e-5


def test_the_pipeline_is_differentiable_at_every_p():
    for p in (0.3, 1.0):
        x = images(channels=3).requires_grad_(True)
        ada.augment(x, torch.tensor(p), torch.Generator().manual_seed(0)).square().sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_blits_land_exactly_on_pixels():
    # x-flip, quarter turns and whole-pixel shifts move pixels without blurring them.
    x = images(2)
    turned = ada.warp(x, ada._rotate(torch.full((2,), math.pi / 2)))
    assert any(torch.allclose(turned, torch.rot90(x, k, (2, 3)), atol=1e-5) for k in (1, 3))
    flipped = ada.warp(x, ada._scale(-torch.ones(2), torch.ones(2)))
    assert torch.allclose(flipped, x.flip(3), atol=1e-5)
    shifted = ada.warp(x, ada._translate(torch.ones(2), torch.zeros(2)))
    assert torch.allclose(shifted[..., :-1], x[..., 1:], atol=1e-5)  # one pixel left, the edge reflected


def test_each_transform_applies_with_probability_p():
    x = images(2000)
    for p in (0.2, 0.6):
        augmented = ada.augment(x, torch.tensor(p), torch.Generator().manual_seed(1))
        untouched = (augmented == x).flatten(1).all(1).float().mean().item()
        # An image is left exactly as it was when it escapes every transform, or draws one that does nothing: a
        # flip draws "no mirror" half the time, a quarter turn 0 degrees a quarter of the time, the whole-pixel
        # shift (0, 0) 1 time in 49 at 28 px. The two rotations (1 - sqrt(1 - p) each) count as one at p, and
        # grey images have no saturation: six transforms at p remain (scales, rotation, shift, brightness, contrast).
        expected = (1 - p / 2) * (1 - 3 * p / 4) * (1 - 48 * p / 49) * (1 - p) ** 6
        assert untouched == pytest.approx(expected, abs=0.03)


# -- the heuristic ---------------------------------------------------------------------------------------


def _heuristic(target: float = 0.6) -> AdaptiveAugment:
    return AdaptiveAugment(torch.Generator().manual_seed(0), batch_size=100, target=target, images_to_one=4000)


def test_p_rises_when_D_is_sure_of_the_real_images_and_falls_otherwise():
    augment = _heuristic()  # each adjustment moves p by 100 * 4 / 4000 = 0.1
    for update in range(2 * INTERVAL):
        augment.observe(torch.tensor([1.0, 2.0, 3.0, -1.0, 5.0]))  # with the 5 below: r_t = 8 / 10 > 0.6
        augment.observe(torch.ones(5))
        augment.after_d_update()
        if update == INTERVAL - 2:
            assert augment.p.item() == 0  # p moves only every INTERVAL D updates
    assert augment.p.item() == pytest.approx(0.2)
    for _ in range(INTERVAL):
        augment.observe(torch.tensor([1.0, -1.0, -1.0, 1.0]))  # r_t = 0 < 0.6: D is not overfitting
        augment.after_d_update()
    assert augment.p.item() == pytest.approx(0.1)
    for _ in range(3 * INTERVAL):
        augment.observe(-torch.ones(4))
        augment.after_d_update()
    assert augment.p.item() == 0  # clipped at 0


class Constant(nn.Module):
    """A D that scores every input +1 (sure it is real) and remembers what it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(()))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        return self.weight * torch.ones(len(x))


def test_only_D_updates_on_real_images_move_p():
    cfg = config(**{"train.augment": "ada", "train.ada_images": 256})  # 16 * 4 / 256: 0.25 per adjustment
    gan = make_gan(cfg, nn.Identity(), Constant())
    x = images()
    step = gan.make_step(x, images(seed=1), None, with_graph=False)  # G is the identity: the fakes are z
    for _ in range(INTERVAL):  # G's loss and a probe asking D directly are not D's update
        gan.g_objective(step)
        gan.discriminate(x)
    assert gan.augment.p.item() == 0 and int(gan.augment.updates) == 0
    for _ in range(INTERVAL):  # E[sign D(x_real)] = 1 > 0.6
        gan.d_objective(step)
    assert gan.augment.p.item() == pytest.approx(0.25)


def test_D_sees_real_and_fake_images_augmented_in_both_updates():
    session = build_session(config(**{"train.augment": "ada"}))
    session.gan.augment.p = torch.tensor(1.0)
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []
    pipeline = session.gan.augment.__call__

    def recording(x: torch.Tensor) -> torch.Tensor:
        calls.append((x.detach().clone(), (out := pipeline(x)).detach().clone()))
        return out

    session.gan.augment = type("Recorded", (), {"__call__": staticmethod(recording)})()
    seen: list[torch.Tensor] = []
    session.gan.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    data_stream = torch.Generator().manual_seed(0)
    data_stream.set_state(session.data_rng.get_state())
    real, _ = session.data.batch(session.cfg.train.batch_size, data_stream)
    train_step(session)
    assert len(calls) == len(seen) == 3  # real and fake in D's update, fake in G's
    assert torch.equal(calls[0][0], real)
    for (before, after), input_of_D in zip(calls, seen, strict=True):
        assert torch.equal(after.reshape(input_of_D.shape), input_of_D) and not torch.allclose(before, after)


# -- in a run --------------------------------------------------------------------------------------------


def test_p_and_r_t_land_in_metrics_and_resume_continues_p_bit_for_bit(tmp_path):
    straight = ganforge.train(config(**ADA, **{"train.steps": 12, "out": str(tmp_path / "straight")}))
    halfway = ganforge.train(config(**ADA, **{"train.steps": 6, "out": str(tmp_path / "halfway")}))
    resumed = ganforge.resume(halfway, steps=12)  # step 6: between two adjustments of p (every 4 D updates)
    a = load_file(straight / "checkpoints/latest.safetensors")
    b = load_file(resumed / "checkpoints/latest.safetensors")
    assert a["ada.p"].item() > 0
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    records = RunDir(straight).read_metrics()
    assert all("augment/p" in record and "augment/r_t" in record for record in records)
    assert records[-1]["augment/p"] > 0 and -1 <= records[-1]["augment/r_t"] <= 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"train.augment": "ada:1.5"}, "must be a number in (0, 1)"),
        ({"train.augment": "ada:high"}, "must be a number in (0, 1)"),
        ({"train.augment": "ada,color"}, "mixes ADA with DiffAugment"),
        ({"train.augment": "ada", "data.name": "ring"}, "2-D points"),
        ({"train.augment": "ada", "train.ada_images": 0}, "train.ada_images 0"),
    ],
)
def test_ada_settings_that_make_no_sense_are_one_clear_error(overrides, message):
    with pytest.raises(GanforgeError) as error:
        config(**overrides)
    assert message in str(error.value)


def test_ada_keeps_the_target_it_is_given():
    assert config(**{"train.augment": "ada:0.5"}).train.augment == "ada:0.5"
    assert ada.parse_ada("ada") == 0.6 and ada.parse_ada("ada:0.5") == 0.5 and ada.parse_ada("color") is None
