import pytest
import torch
from torch import nn

from ganforge.ema import ema_decay, make_ema, update_ema


def batch_norm_G() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def test_update_ema_averages_the_weights_with_the_decay():
    G = batch_norm_G()
    G_ema = make_ema(G)
    start = [p.detach().clone() for p in G.parameters()]
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
    update_ema(G_ema, G, decay=0.9)
    for average, before, now in zip(G_ema.parameters(), start, G.parameters(), strict=True):
        assert torch.allclose(average, 0.9 * before + 0.1 * now)  # = before + 0.1, not a copy of either


def test_update_ema_copies_the_batch_norm_statistics_from_G():
    # Running means and variances are buffers, not weights: G_ema samples in eval mode with G's statistics, so
    # they are copied as they are; an average that skipped them would keep the statistics of G at step 0.
    G = batch_norm_G()
    G_ema = make_ema(G)
    G.train()
    for seed in range(3):
        G(torch.randn(64, 4, generator=torch.Generator().manual_seed(seed)) * 3 + 2)  # moves the running stats
    update_ema(G_ema, G, decay=0.999)
    norm, norm_ema = G[1], G_ema[1]
    assert not torch.allclose(norm.running_mean, torch.zeros(8))  # the statistics did move
    assert torch.equal(norm_ema.running_mean, norm.running_mean)
    assert torch.equal(norm_ema.running_var, norm.running_var)
    assert torch.equal(norm_ema.num_batches_tracked, norm.num_batches_tracked)


def test_G_ema_is_a_frozen_copy_in_eval_mode():
    G = batch_norm_G()
    G_ema = make_ema(G)
    assert not G_ema.training and not any(p.requires_grad for p in G_ema.parameters())
    assert all(torch.equal(a, b) for a, b in zip(G_ema.state_dict().values(), G.state_dict().values(), strict=True))
    assert all(a.data_ptr() != b.data_ptr() for a, b in zip(G_ema.parameters(), G.parameters(), strict=True))


def test_the_ramp_up_caps_the_half_life_at_a_fraction_of_the_steps_so_far():
    assert ema_decay(0.999, 0, None) == ema_decay(0.999, 10**6, None) == 0.999  # no ramp: the decay as given
    for step in (0, 9, 99, 999):
        half_life = 0.05 * (step + 1)  # steps after which the oldest weights count half
        assert ema_decay(0.999, step, 0.05) == pytest.approx(0.5 ** (1 / half_life))
    assert ema_decay(0.999, 10**6, 0.05) == 0.999  # late in a run the decay itself is the cap
    decays = [ema_decay(0.999, step, 0.05) for step in range(0, 20000, 100)]
    assert decays == sorted(decays)  # never forgets faster as the run goes on
