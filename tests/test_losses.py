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


class RecordingCritic(torch.nn.Module):
    """A nonlinear critic, D(x) = sum(tanh(W x + b)) per sample, whose input gradient varies with x; it keeps
    every input it is asked about."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(dim, 8)
        with torch.no_grad():
            self.layer.weight.copy_(torch.randn(8, dim, generator=torch.Generator().manual_seed(5)) * 2)
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        return torch.tanh(self.layer(x.flatten(1))).sum(1)  # (N, ...) -> (N,)


def test_gradient_penalty_is_taken_on_the_segment_from_each_fake_to_its_real_sample():
    # x_hat = eps x + (1 - eps) G(z) with one eps ~ U[0, 1] per sample (Gulrajani et al. 2017, Algorithm 1):
    # the same eps on every pixel, so x_hat lies on the segment between the pair.
    critic = RecordingCritic(3 * 4 * 4)
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(256, 3, 4, 4, generator=generator), torch.randn(256, 3, 4, 4, generator=generator) + 2
    penalty = losses.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    (x_hat,) = critic.inputs
    eps = ((x_hat - fake) / (real - fake)).flatten(1)  # (N, 48): one column per pixel
    assert torch.allclose(eps, eps[:, :1].expand_as(eps), atol=1e-4)  # one weight per sample, not per pixel
    assert eps.min() >= -1e-5 and eps.max() <= 1 + 1e-5  # between the two, not beyond (not a normal draw)
    assert eps.std() > 0.25  # spread over [0, 1] (the uniform's std is 0.29)
    # ... and the penalty is E[(||grad D(x_hat)|| - 1)^2] there, the gradient differing from point to point.
    x = x_hat.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    norms = grad.flatten(1).norm(dim=1)
    assert norms.std() > 0.1 * norms.mean()
    assert math.isclose(penalty.item(), (norms - 1).pow(2).mean().item(), rel_tol=1e-5)


def test_gradient_penalty_trains_D_and_never_G():
    # The penalty constrains the critic: its gradient reaches D's weights (create_graph=True) but not G, whose
    # samples are detached, even when they come with a graph (a G step must not be steered by D's penalty).
    critic = RecordingCritic(2)
    G = torch.nn.Linear(2, 2)
    fake = G(torch.randn(64, 2, generator=torch.Generator().manual_seed(0)))
    real = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    losses.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(2)).backward()
    assert critic.layer.weight.grad is not None and critic.layer.weight.grad.abs().sum() > 0
    assert G.weight.grad is None


def test_r1_penalty_sends_its_gradient_into_D_weights():
    # R1 = E[||w||^2] for D(x) = w.x + b: D's optimiser must see d R1 / d w = 2 w, which needs create_graph=True.
    critic = _linear_critic([3.0, 4.0])
    losses.r1_penalty(critic, torch.randn(32, 2)).backward()
    assert torch.allclose(critic[0].weight.grad, torch.tensor([[6.0, 8.0]]))
    # and for a nonlinear critic, a nonzero gradient on every weight matrix
    mlp = RecordingCritic(2)
    losses.r1_penalty(mlp, torch.randn(32, 2)).backward()
    assert mlp.layer.weight.grad.abs().sum() > 0


def test_r1_penalty_is_the_mean_squared_input_gradient_of_a_nonlinear_critic():
    critic = RecordingCritic(5)
    real = torch.randn(64, 5, generator=torch.Generator().manual_seed(3))
    penalty = losses.r1_penalty(critic, real)
    x = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    assert math.isclose(penalty.item(), grad.pow(2).sum(1).mean().item(), rel_tol=1e-6)
