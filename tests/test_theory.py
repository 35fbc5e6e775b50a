"""The theory of Goodfellow et al. (2014), section 4, checked numerically with ganforge's own D and loss.

With G fixed, so that p_g is a known distribution, D trained to convergence on ganforge's D loss must reach

    D*(x) = p_data(x) / (p_data(x) + p_g(x))                                (Proposition 1)

and the value of the game there is

    V(G, D*) = E_pdata[log D*(x)] + E_pg[log(1 - D*(x))] = -log 4 + 2 JSD(p_data || p_g)    (Theorem 1)

Here p_data = N(0, 1) and p_g = N(1, 0.6^2): unequal variances, so log D*/(1 - D*) is quadratic in x,
not the straight line a single linear layer could fit by luck.
"""

import math

import pytest
import torch
from torch import nn

from ganforge import stats
from ganforge.gans.gan import OriginalGAN
from ganforge.models.mlp import MLPDiscriminator

DATA_MEAN, DATA_STD = 0.0, 1.0
G_MEAN, G_STD = 1.0, 0.6
BATCH = 2048
STEPS = 1500


class FixedGenerator(nn.Module):
    """G(z) = mean + std * z with z ~ N(0, 1): a generator whose distribution p_g is known exactly."""

    def __init__(self, mean: float, std: float) -> None:
        super().__init__()
        self.mean, self.std = mean, std

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.mean + self.std * z  # (N, 1)


def normal_density(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def optimal_D(x: torch.Tensor) -> torch.Tensor:
    p_data, p_g = normal_density(x, DATA_MEAN, DATA_STD), normal_density(x, G_MEAN, G_STD)
    return p_data / (p_data + p_g)


def jensen_shannon(lower: float = -12.0, upper: float = 12.0, points: int = 200_001) -> float:
    """JSD(p_data || p_g) in nats by the trapezoidal rule (both densities are below 1e-30 beyond +-12)."""
    x = torch.linspace(lower, upper, points, dtype=torch.float64)
    p, q = normal_density(x, DATA_MEAN, DATA_STD), normal_density(x, G_MEAN, G_STD)
    m = (p + q) / 2
    integrand = 0.5 * p * torch.log(p / m) + 0.5 * q * torch.log(q / m)
    return float(torch.trapezoid(integrand, x))


def value_of_the_game(D: nn.Module, generator: torch.Generator, n: int = 400_000) -> float:
    """V(G, D) = E_pdata[log D(x)] + E_pg[log(1 - D(G(z)))] by Monte Carlo, in float64."""
    real = DATA_MEAN + DATA_STD * torch.randn(n, 1, generator=generator)
    fake = G_MEAN + G_STD * torch.randn(n, 1, generator=generator)
    with torch.no_grad():
        real_logits, fake_logits = D(real).double(), D(fake).double()
    # log D = -softplus(-l), log(1 - D) = -softplus(l), as in ganforge.losses
    return float(-nn.functional.softplus(-real_logits).mean() - nn.functional.softplus(fake_logits).mean())


@pytest.fixture(scope="module")
def converged_D() -> nn.Module:
    """ganforge's MLP D trained on ganforge's D loss against the fixed G until it stops improving."""
    torch.manual_seed(0)
    gan = OriginalGAN(FixedGenerator(G_MEAN, G_STD), MLPDiscriminator((1,), [64, 64], leak=0.2), z_dim=1)
    optimizer = torch.optim.Adam(gan.D.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, STEPS)  # small final steps: less jitter
    generator = torch.Generator().manual_seed(1)
    for _ in range(STEPS):
        real = DATA_MEAN + DATA_STD * torch.randn(BATCH, 1, generator=generator)
        z = torch.randn(BATCH, 1, generator=generator)
        loss_D = gan.d_loss(gan.make_step(real, z, None, with_graph=False))  # -E[log D(x)] - E[log(1 - D(G(z)))]
        optimizer.zero_grad(set_to_none=True)
        loss_D.backward()
        optimizer.step()
        schedule.step()
    stats.reset()
    return gan.D


def test_the_trained_D_is_p_data_over_p_data_plus_p_g(converged_D):
    # On [-2, 2.5] both densities exceed 0.05 times their peak, so D sees hundreds of samples in every
    # 0.1-wide bin per batch; there the remaining error is the optimisation noise of the last Adam steps
    # and the MLP's fit, which we allow 0.03 of (the optimum ranges from 0.22 to 1.00 over this interval,
    # so an error of 0.03 is 4% of its range: a D that missed the shape of D* would be off by 0.1 or more).
    x = torch.linspace(-2.0, 2.5, 91).unsqueeze(1)
    with torch.no_grad():
        trained = torch.sigmoid(converged_D(x))
    expected = optimal_D(x.squeeze(1))
    assert expected.min() < 0.25 and expected.max() > 0.99  # the check spans the range of D*
    error = (trained - expected).abs().max()
    assert error < 0.03, f"max |D(x) - D*(x)| = {error:.4f}"


def test_the_value_at_the_optimum_is_minus_log_4_plus_twice_the_jensen_shannon_divergence(converged_D):
    jsd = jensen_shannon()
    theory = -math.log(4) + 2 * jsd
    measured = value_of_the_game(converged_D, torch.Generator().manual_seed(2))
    # D* maximises V, so a nearly optimal D falls short of it only to second order in its error (at most
    # ~0.03^2 / (D*(1 - D*)) ~ 0.005 nats); the Monte Carlo error of 400,000 samples per term is ~0.002
    # nats (the log-terms have std below 1). We allow 0.01 nats: the value is -1.01, and the trivial D = 1/2
    # (which gives -log 4 = -1.386) or a JSD off by 10% would both fail by far more.
    assert abs(measured - theory) < 0.01, f"V(G, D) = {measured:.4f}, -log 4 + 2 JSD = {theory:.4f}"
    assert 0.1 < jsd < math.log(2)  # a divergence well inside (0, log 2): the two are neither equal nor disjoint


def test_the_jensen_shannon_integral_is_right_where_it_is_known():
    # The numerical integral itself: JSD = 0 for equal distributions (so V = -log 4, the global minimum
    # of Theorem 1), and for two far-apart Gaussians it reaches its maximum log 2.
    global G_MEAN, G_STD
    saved = G_MEAN, G_STD
    try:
        G_MEAN, G_STD = DATA_MEAN, DATA_STD
        assert abs(jensen_shannon()) < 1e-9
        G_MEAN, G_STD = 20.0, 1.0
        assert abs(jensen_shannon(-12, 32) - math.log(2)) < 1e-6
    finally:
        G_MEAN, G_STD = saved
