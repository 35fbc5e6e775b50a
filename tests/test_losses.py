import math

import torch

from ganforge import losses


def test_losses_match_hand_computed_values():
    logits = torch.tensor([0.0, 2.0])
    d = torch.sigmoid(logits)  # 0.5, 0.880797
    assert math.isclose(losses.d_loss_real(logits).item(), -torch.log(d).mean().item(), rel_tol=1e-6)
    assert math.isclose(losses.d_loss_fake(logits).item(), -torch.log(1 - d).mean().item(), rel_tol=1e-6)
    # minimax: G minimises E[log(1 - D)] = (log 0.5 + log 0.119203) / 2
    assert math.isclose(
        losses.g_loss_minimax(logits).item(), (math.log(0.5) + math.log(1 - 0.880797)) / 2, rel_tol=1e-5
    )
    # non-saturating: G minimises -E[log D] = -(log 0.5 + log 0.880797) / 2
    assert math.isclose(
        losses.g_loss_non_saturating(logits).item(), -(math.log(0.5) + math.log(0.880797)) / 2, rel_tol=1e-5
    )


def test_losses_stay_finite_when_D_saturates():
    logits = torch.tensor([-1000.0, 1000.0], requires_grad=True)
    for loss_fn in (losses.d_loss_real, losses.d_loss_fake, losses.g_loss_minimax, losses.g_loss_non_saturating):
        loss = loss_fn(logits)
        (grad,) = torch.autograd.grad(loss, logits)
        assert torch.isfinite(loss) and torch.isfinite(grad).all(), loss_fn.__name__


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    # D confidently rejects G's samples early in training: D(G(z)) = sigmoid(-10).
    logits = torch.tensor([-10.0], requires_grad=True)
    (minimax_grad,) = torch.autograd.grad(losses.g_loss_minimax(logits), logits)
    (non_saturating_grad,) = torch.autograd.grad(losses.g_loss_non_saturating(logits), logits)
    assert abs(minimax_grad.item()) < 1e-4
    assert abs(non_saturating_grad.item()) > 0.99


# -- Wasserstein, hinge and least-squares forms on hand-sized scores ---------------------------------

REAL = torch.tensor([0.5, 2.0])  # D(x) for two real samples
FAKE = torch.tensor([-1.0, 0.5])  # D(G(z)) for two generated samples


def test_wasserstein_losses_match_hand_computed_values():
    # critic: E[D(G(z))] - E[D(x)] = (-1 + 0.5) / 2 - (0.5 + 2) / 2 = -0.25 - 1.25
    assert math.isclose(losses.wasserstein_d(REAL, FAKE).item(), -1.5)
    # generator: -E[D(G(z))] = 0.25
    assert math.isclose(losses.wasserstein_g(FAKE).item(), 0.25)


def test_hinge_losses_match_hand_computed_values():
    # real: (relu(1 - 0.5) + relu(1 - 2)) / 2 = (0.5 + 0) / 2
    assert math.isclose(losses.hinge_d_real(REAL).item(), 0.25)
    # fake: (relu(1 - 1) + relu(1 + 0.5)) / 2 = (0 + 1.5) / 2
    assert math.isclose(losses.hinge_d_fake(FAKE).item(), 0.75)


def test_least_squares_losses_match_hand_computed_values():
    # real: 1/2 ((0.5 - 1)^2 + (2 - 1)^2) / 2 = 1/2 (0.25 + 1) / 2
    assert math.isclose(losses.least_squares_d_real(REAL).item(), 0.3125)
    # fake: 1/2 ((-1)^2 + 0.5^2) / 2
    assert math.isclose(losses.least_squares_d_fake(FAKE).item(), 0.3125)
    # generator: 1/2 ((-1 - 1)^2 + (0.5 - 1)^2) / 2 = 1/2 (4 + 0.25) / 2
    assert math.isclose(losses.least_squares_g(FAKE).item(), 1.0625)


# -- penalties on D's input gradient -------------------------------------------------------------------


def _linear_critic(weight: list[float]) -> torch.nn.Module:
    layer = torch.nn.Linear(len(weight), 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weight]))
        layer.bias.fill_(0.3)
    return torch.nn.Sequential(layer, torch.nn.Flatten(0))  # (N, d) -> (N,)


def test_gradient_penalty_vanishes_for_a_1_lipschitz_linear_critic():
    # D(x) = w.x + b with ||w|| = 1 has gradient norm exactly 1 everywhere: no penalty.
    critic = _linear_critic([0.6, 0.8])
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 3
    assert losses.gradient_penalty(critic, real, fake).item() < 1e-10


def test_gradient_penalty_is_positive_otherwise_and_reaches_D():
    # ||w|| = 5: (5 - 1)^2 = 16 at every interpolate
    critic = _linear_critic([3.0, 4.0])
    real, fake = torch.randn(64, 2), torch.randn(64, 2)
    penalty = losses.gradient_penalty(critic, real, fake)
    assert math.isclose(penalty.item(), 16.0, rel_tol=1e-5)
    penalty.backward()  # create_graph=True: D's optimiser sees the penalty's gradient
    assert critic[0].weight.grad.abs().sum() > 0
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1), torch.nn.Flatten(0))
    assert losses.gradient_penalty(mlp, real, fake).item() > 0


def test_gradient_penalty_is_reproducible_from_its_generator():
    real, fake = torch.randn(8, 1, 4, 4), torch.randn(8, 1, 4, 4)
    image_critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 1), torch.nn.Flatten(0))
    first = losses.gradient_penalty(image_critic, real, fake, torch.Generator().manual_seed(0))
    again = losses.gradient_penalty(image_critic, real, fake, torch.Generator().manual_seed(0))
    assert first.item() == again.item()


def test_r1_penalty_equals_the_squared_weight_norm_for_a_linear_critic():
    # grad_x (w.x + b) = w, so E[||grad||^2] = ||w||^2 = 9 + 16
    critic = _linear_critic([3.0, 4.0])
    assert math.isclose(losses.r1_penalty(critic, torch.randn(32, 2)).item(), 25.0, rel_tol=1e-6)
