"""Resolution asks each registry entry for its own defaults and checks: adding one edits no central table."""

import dataclasses

import pytest

from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.models import MODELS, mlp
from ganforge.models.spec import Network
from ganforge.resolve import resolve


@pytest.fixture
def tiny_network(monkeypatch):
    """A new network, registered by one line, declaring its own D norms and paper defaults."""
    defaults = {
        "adam": {"lr": 3e-4, "betas": [0.0, 0.99]},
        "sgd": {"lr": 0.01, "momentum": 0.9},
        "rmsprop": {"lr": 1e-4, "momentum": 0.0},
        "train": {"steps": 7, "sample_every": 7, "checkpoint_every": 7, "health_every": 0},
    }
    monkeypatch.setitem(MODELS, "tiny", Network(mlp.build, ("spectral", "none"), defaults))


def test_a_new_network_brings_its_own_defaults_and_normalisations(tiny_network):
    cfg = resolve(apply_overrides(Config(), {"data.name": "ring", "model.name": "tiny"}))
    assert (cfg.train.steps, cfg.optim.lr_g, cfg.optim.betas, cfg.model.d_norm) == (7, 3e-4, [0.0, 0.99], "spectral")


def test_a_new_network_is_refused_a_normalisation_it_does_not_declare(tiny_network):
    with pytest.raises(GanforgeError, match="model.d_norm"):
        resolve(apply_overrides(Config(), {"data.name": "ring", "model.name": "tiny", "model.d_norm": "batch"}))


def test_channels_last_names_the_convolutional_networks(tiny_network):
    with pytest.raises(GanforgeError, match="--model dcgan"):
        resolve(apply_overrides(Config(), {"data.name": "ring", "model.name": "tiny", "train.channels_last": True}))


def test_the_explicit_keys_live_in_the_dataclass_and_are_never_saved():
    cfg = apply_overrides(Config(), {"train.steps": 5})
    assert "train.steps" in cfg.explicit
    assert "explicit" not in cfg.to_dict() and "explicit" not in cfg.to_yaml()
    assert [field.name for field in dataclasses.fields(Config)][-1] == "explicit"
    assert resolve(cfg).explicit == {"train.steps"}  # a preset would not fill it
