import math

import pytest
import torch

from ganforge import stats
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.gans import GANS, LSGAN, WGAN, WGANGP, HingeGAN
from ganforge.resolve import resolve
from ganforge.train import build_session, train_step

TINY_GRID = {
    "data.name": "grid",
    "model.z_dim": 2,
    "model.g_hidden": [16],
    "model.d_hidden": [16],
    "train.batch_size": 32,
}


def _session(**overrides):
    return build_session(resolve(apply_overrides(Config(), {**TINY_GRID, **overrides})))


def test_every_loss_is_registered_by_the_name_loss_takes():
    assert {"wgan": WGAN, "wgan-gp": WGANGP, "hinge": HingeGAN, "lsgan": LSGAN}.items() <= GANS.items()


def test_weight_clipping_keeps_every_D_parameter_within_c_after_a_step():
    s = _session(**{"train.loss": "wgan", "train.weight_clip": 0.02, "optim.lr_d": 0.5, "optim.name": "sgd"})
    train_step(s)  # a large step pushes weights far out; clipping brings them back
    parameters = torch.cat([p.flatten() for p in s.gan.D.parameters()])
    assert parameters.abs().max().item() <= 0.02
    assert math.isclose(parameters.abs().max().item(), 0.02, rel_tol=1e-6)  # some weights were clipped


def test_wgan_gp_does_not_clip_and_reports_its_penalty():
    stats.reset()
    s = _session(**{"train.loss": "wgan-gp", "optim.lr_d": 0.5, "optim.name": "sgd"})
    train_step(s)
    record = stats.collect()
    assert max(p.abs().max().item() for p in s.gan.D.parameters()) > 0.01
    assert record["loss/D/gp"] > 0
    assert math.isclose(record["loss/D"], record["loss/D/wasserstein"] + record["loss/D/gp"], rel_tol=1e-4)


@pytest.mark.parametrize("loss", ["wgan", "wgan-gp", "hinge", "lsgan"])
def test_each_loss_reports_D_and_G_losses_and_raw_critic_means(loss):
    stats.reset()
    train_step(_session(**{"train.loss": loss}))
    record = stats.collect()
    assert {"loss/D", "loss/G", "D(x)", "D(G(z))"} <= record.keys()
    assert all(math.isfinite(value) for value in record.values())


def test_r1_adds_gamma_over_2_times_the_squared_gradient_norm_to_any_loss():
    # A linear D(x) = w.x + b has grad_x D = w: the penalty is gamma/2 ||w||^2 whatever the data.
    for loss in ("non-saturating", "hinge"):
        s = _session(**{"train.loss": loss, "train.r1_gamma": 4.0})
        D = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
        with torch.no_grad():
            D[0].weight.copy_(torch.tensor([[3.0, 4.0]]))
        s.gan.D = D
        real, z = torch.randn(16, 2), torch.randn(16, 2)
        stats.reset()
        total = s.gan.d_objective(s.gan.make_step(real, z, torch.zeros(16, dtype=torch.long), with_graph=False))
        plain = s.gan.d_loss(s.gan.make_step(real, z, None, with_graph=False))
        assert math.isclose(total.item() - plain.item(), 4.0 / 2 * 25, rel_tol=1e-5)
        assert math.isclose(stats.collect()["loss/D/r1"], 50.0, rel_tol=1e-5)


def test_lazy_r1_penalises_every_nth_d_update_weighted_n_times(monkeypatch):
    # StyleGAN2's lazy regularisation: with r1_every 3 and 2 D steps per G step, D updates 0, 3, 6 carry R1 at
    # 3 x gamma/2 ||w||^2 (the linear D above), the others none
    s = _session(**{"train.r1_gamma": 4.0, "train.r1_every": 3, "train.d_steps": 2})
    D = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    s.gan.D = D
    s.opt_D = torch.optim.SGD(D.parameters(), lr=0.0)  # D stays w = (3, 4)
    with torch.no_grad():
        D[0].weight.copy_(torch.tensor([[3.0, 4.0]]))
    extra = []
    objective = s.gan.d_objective
    monkeypatch.setattr(s.gan, "d_objective", lambda step: extra.append(
        (objective(step) - s.gan.d_loss(step)).item()) or objective(step))  # fmt: skip
    for _ in range(4):
        train_step(s)
    assert extra == pytest.approx([150.0, 0, 0, 150.0, 0, 0, 150.0, 0], rel=1e-5)


@pytest.mark.parametrize("every", [0, -16, 2.5])
def test_a_bad_lazy_interval_is_one_line(every):
    with pytest.raises(GanforgeError, match=f"train.r1_every={every} "):  # 2.5: the config layer says it
        resolve(apply_overrides(Config(), {**TINY_GRID, "train.r1_every": every}))


def test_without_r1_the_objective_is_the_variant_loss():
    s = _session()
    real, z = torch.randn(16, 2), torch.randn(16, 2)
    step = s.gan.make_step(real, z, None, with_graph=False)
    assert s.gan.d_objective(step).item() == s.gan.d_loss(step).item()
