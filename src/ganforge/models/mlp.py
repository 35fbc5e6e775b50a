"""The multilayer-perceptron GAN: by default exactly the Keras tutorial's network (GANs in Action, ch. 3).

G: z (100) -> Dense 128 -> LeakyReLU(0.01) -> Dense 784 -> tanh -> 1x28x28.
D: flatten -> Dense 128 -> LeakyReLU(0.01) -> Dense 1 (a logit; the tutorial's sigmoid lives in the loss).
For 2-D points the output layer of G is linear, since the mixtures reach beyond [-1, 1].
``model.d_norm: spectral`` puts spectral norm (Miyato et al. 2018) on every layer of D; the default is none.
``model.minibatch_std`` gives D's output layer the minibatch standard deviation as one more input (Karras 2018),
and with PacGAN packing (``train.pack: m``) D takes m samples concatenated (``gans/pack.py``).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.config import ModelConfig
from ganforge.models.layers import MinibatchStd, packed_shape
from ganforge.models.spec import Network


def _stack(widths: list[int], leak: float) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for width_in, width_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(width_in, width_out), nn.LeakyReLU(leak)]
    return layers


def _keras_init(module: nn.Module) -> None:
    # Keras' Dense defaults: Glorot-uniform weights, zero biases.
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


class MLPGenerator(nn.Module):
    """z (N, z_dim) -> samples (N, *data_shape)."""

    def __init__(self, z_dim: int, data_shape: tuple[int, ...], hidden: list[int], leak: float) -> None:
        super().__init__()
        self.data_shape = data_shape
        images = len(data_shape) == 3
        self.net = nn.Sequential(
            *_stack([z_dim, *hidden], leak),
            nn.Linear(hidden[-1], math.prod(data_shape)),
            nn.Tanh() if images else nn.Identity(),  # images live in [-1, 1]
        )
        self.apply(_keras_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.data_shape)  # (N, C, H, W) or (N, 2)


class MLPDiscriminator(nn.Module):
    """samples (N, *data_shape) -> logits (N,)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        hidden: list[int],
        leak: float,
        norm: str = "none",
        minibatch_std: bool = False,
    ) -> None:
        super().__init__()
        std_layer = [MinibatchStd()] if minibatch_std else []  # one more input to the output layer
        self.net = nn.Sequential(
            nn.Flatten(),
            *_stack([math.prod(data_shape), *hidden], leak),
            *std_layer,
            nn.Linear(hidden[-1] + len(std_layer), 1),
        )
        self.apply(_keras_init)
        if norm == "spectral":  # W / sigma(W) for every layer, after the Glorot init
            for index, layer in enumerate(self.net):
                if isinstance(layer, nn.Linear):
                    self.net[index] = spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def build(cfg: ModelConfig, data_shape: tuple[int, ...], pack: int = 1) -> tuple[nn.Module, nn.Module]:
    """Build the tutorial MLP pair for images (C, H, W) or points (2,); D takes packs of ``pack`` samples."""
    G = MLPGenerator(cfg.z_dim, data_shape, cfg.g_hidden, cfg.leak)
    D = MLPDiscriminator(packed_shape(data_shape, pack), cfg.d_hidden, cfg.leak, cfg.d_norm or "none",
                         cfg.minibatch_std)  # fmt: skip
    return G, D


NETWORK = Network(
    build,
    d_norms=("none", "spectral"),
    kinds=("image", "points"),
    defaults={
        # The Keras tutorial compiles both models with Adam() at Keras' defaults, and trains 20,000
        # iterations at batch 128, sampling every 1,000.
        "adam": {"lr": 1e-3, "betas": [0.9, 0.999]},
        # Goodfellow et al. (2014) used SGD with momentum 0.5 (their released code raised it to 0.7).
        "sgd": {"lr": 0.1, "momentum": 0.5},
        # Arjovsky et al. (2017), Algorithm 1: RMSProp at 5e-5 (momentum-free, which they found more stable).
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": 20000, "sample_every": 1000, "checkpoint_every": 5000, "health_every": 500},
    },
)
