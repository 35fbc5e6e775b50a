"""Named presets: each paper's published defaults as dotted config overrides, one entry per paper.

A preset sits between the built-in defaults and everything a user writes::

    built-in defaults  <  preset  <  --config file  <  command-line flags and --set

``resolve`` applies ``cfg.preset`` through ``apply``: a key the preset names takes the preset's value
unless the user set it explicitly. *Explicitly* means through ``apply_overrides`` (a config file, a flag,
``--set``, ``Config.from_dict``, a run's saved config.yaml), even to a value equal to the built-in default,
or, for a ``Config`` built in Python, a value that differs from the dataclass default. So
``--preset wgan --d-steps 1`` trains with one critic step, and a resumed run (whose config.yaml sets every
key) is never changed by its preset again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ganforge.config import Config, apply_overrides, explicit_keys


@dataclass(frozen=True)
class Preset:
    """A paper's defaults: who, when, what it changes, and the config keys it sets."""

    citation: str  # authors (year), title
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "gan": Preset(
        "Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville and Bengio (2014), "
        "Generative Adversarial Nets",
        "the original game with fully connected networks and G's non-saturating loss",
        {"model.name": "mlp", "train.loss": "non-saturating", "train.d_steps": 1},
    ),
    "dcgan": Preset(
        "Radford, Metz and Chintala (2016), Unsupervised Representation Learning with Deep Convolutional "
        "Generative Adversarial Networks",
        "all-convolutional G and D with batch norm; Adam at 2e-4 with beta1 = 0.5, batch 128, uniform z",
        {
            "model.name": "dcgan",
            "model.z_dim": 100,
            "model.prior": "uniform",
            "train.loss": "non-saturating",
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
            "train.batch_size": 128,
            "train.d_steps": 1,
        },
    ),
    "wgan": Preset(
        "Arjovsky, Chintala and Bottou (2017), Wasserstein GAN",
        "a critic estimating the Wasserstein-1 distance, kept Lipschitz by clipping its weights to [-0.01, 0.01]",
        {
            "model.name": "dcgan",
            "train.loss": "wgan",
            "train.weight_clip": 0.01,
            "train.d_steps": 5,
            "train.batch_size": 64,
            "optim.name": "rmsprop",
            "optim.lr_g": 5e-5,
            "optim.lr_d": 5e-5,
        },
    ),
    "wgan-gp": Preset(
        "Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville (2017), Improved Training of Wasserstein GANs",
        "the Wasserstein critic with a gradient penalty (lambda = 10) instead of clipping, and no batch norm in D",
        {
            "model.name": "dcgan",
            "model.d_norm": "none",
            "train.loss": "wgan-gp",
            "train.gp_lambda": 10.0,
            "train.d_steps": 5,
            "train.batch_size": 64,
            "optim.name": "adam",
            "optim.lr_g": 1e-4,
            "optim.lr_d": 1e-4,
            "optim.betas": [0.0, 0.9],
        },
    ),
    "sngan": Preset(
        "Miyato, Kataoka, Koyama and Yoshida (2018), Spectral Normalization for Generative Adversarial Networks",
        "spectral norm on every layer of D and the hinge loss; Adam at 2e-4 with betas (0, 0.9), one D step",
        {
            "model.name": "dcgan",
            "model.d_norm": "spectral",
            "train.loss": "hinge",
            "train.d_steps": 1,
            "train.batch_size": 64,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.0, 0.9],
        },
    ),
    "lsgan": Preset(
        "Mao, Li, Xie, Lau, Wang and Smolley (2017), Least Squares Generative Adversarial Networks",
        "least-squares losses on D's raw output (0-1 coding); Adam at 2e-4 with beta1 = 0.5",
        {
            "model.name": "dcgan",
            "train.loss": "lsgan",
            "train.d_steps": 1,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "ttur": Preset(
        "Heusel, Ramsauer, Unterthiner, Nessler and Hochreiter (2017), GANs Trained by a Two Time-Scale Update "
        "Rule Converge to a Local Nash Equilibrium",
        "two time scales: D learns faster than G (Adam at 3e-4 for D, 1e-4 for G, beta1 = 0.5), one D step",
        {
            "model.name": "dcgan",
            "train.loss": "non-saturating",
            "train.d_steps": 1,
            "optim.name": "adam",
            "optim.lr_g": 1e-4,
            "optim.lr_d": 3e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
}


def apply(cfg: Config, name: str) -> Config:
    """A copy of ``cfg`` with preset ``name`` under every key the user did not set explicitly (see the module
    docstring for the rule); ``cfg.preset`` becomes ``name``. Raises ``GanforgeError`` for an unknown name."""
    from ganforge.config import _choice

    _choice("preset", "--preset", name, PRESETS)
    explicit = explicit_keys(cfg)
    defaults = Config()
    fill = {
        key: value
        for key, value in PRESETS[name].overrides.items()
        if key not in explicit and _value(cfg, key) == _value(defaults, key)
    }
    applied = apply_overrides(cfg, fill, source=f"preset '{name}'")
    applied._explicit = set(explicit)  # the preset's values are not the user's choices
    applied.preset = name
    return applied


def describe(name: str) -> str:
    """Several lines: the preset, its paper, and the settings it applies."""
    preset = PRESETS[name]
    settings = ", ".join(f"{key}={_show(value)}" for key, value in preset.overrides.items())
    return f"{name}: {preset.description}\n  {preset.citation}\n  {settings}"


def _value(cfg: Config, dotted: str) -> Any:
    section, _, key = dotted.partition(".")
    return getattr(getattr(cfg, section), key) if key else getattr(cfg, section)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_show(item) for item in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["PRESETS", "Preset", "apply", "describe"]
