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
