"""The truncation trick: latent values beyond +-t drawn again, from sample, eval and Python."""

import math

import numpy as np
import pytest
import torch

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.gans.gan import OriginalGAN

TINY = {"data.name": "ring", "model.g_hidden": [8], "model.d_hidden": [8], "train.steps": 2, "train.health_every": 0}


def _gan(prior="normal", z_dim=4):
    return OriginalGAN(torch.nn.Identity(), torch.nn.Identity(), z_dim, prior)


def test_truncated_latents_are_the_prior_conditioned_on_the_box():
    z = _gan(z_dim=10).sample_latent(20_000, torch.Generator().manual_seed(0), truncation=1.0)
    assert z.abs().max() <= 1.0
    # N(0, 1) conditioned on |z| <= 1: variance 1 - 2 phi(1) / (2 Phi(1) - 1) = 0.2911
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    mass = math.erf(1 / math.sqrt(2))
    assert abs(z.var().item() - (1 - 2 * phi / mass)) < 0.005
    assert abs(z.mean().item()) < 0.01
    uniform = _gan("uniform").sample_latent(20_000, torch.Generator().manual_seed(0), truncation=0.5)
    assert uniform.abs().max() <= 0.5 and uniform.abs().max() > 0.49  # U[-0.5, 0.5]: the box is filled


def test_no_truncation_draws_exactly_what_it_always_drew():
    gan = _gan(z_dim=7)
    plain = gan.sample_latent(33, torch.Generator().manual_seed(3))
    assert torch.equal(plain, torch.randn(33, 7, generator=torch.Generator().manual_seed(3)))
    loose = gan.sample_latent(33, torch.Generator().manual_seed(3), truncation=100.0)  # nothing lies beyond
    assert torch.equal(plain, loose)


def test_sample_and_eval_take_a_truncation_and_refuse_a_bad_one(tmp_path, run_cli, one_line_error):
    run = ganforge.train(apply_overrides(Config(), {**TINY, "out": str(tmp_path / "run")}))
    code, said, err = run_cli("sample", run, "--n", "50", "--truncation", "0.5", "--out", tmp_path / "z.npy")
    assert code == 0 and "truncated to +-0.5" in said, err
    truncated = ganforge.load(run).latents(50, seed=0, truncation=0.5)
    assert truncated.abs().max() <= 0.5
    assert np.allclose(np.load(tmp_path / "z.npy"), ganforge.load(run).generate(truncated).numpy())
    for bad in ["0", "-1", "nan"]:
        code, _, err = run_cli("sample", run, "--n", "5", "--truncation", bad, "--out", tmp_path / f"{bad}.npy")
        one_line_error(code, err, "--truncation", "at least 0.05")
    code, _, err = run_cli("eval", "--real", tmp_path / "z.npy", "--fake", tmp_path / "z.npy", "--truncation", "1")
    one_line_error(code, err, "--truncation", "give a RUN")
    code, said, err = run_cli("eval", run, "--n", "200", "--truncation", "0.5", "--metrics", "modes", "--json")
    assert code == 0, err
    with pytest.raises(ganforge.GanforgeError, match="truncation"):
        ganforge.load(run).sample(5, truncation=0.01)
