"""Class labels and InfoGAN codes for any network: wrappers around the mlp, dcgan and r3gan bodies.

G takes the label as a one-hot vector joined to z (Mirza & Osindero 2014, for every conditioning). D is
split into a body phi (every layer but the last) and heads on phi(x):

    psi(phi(x))                       the adversarial logit: D's own last layer
    + <embed(y), phi(x)>              projection (Miyato & Koyama 2018, eq. 3): the class term of D
    classify(x) = class_head(phi(x))  AC-GAN's auxiliary classifier (Odena et al. 2017)
    q(x) = Q(phi(x))                  InfoGAN's recognition network Q (Chen et al. 2016, sec. 5)

so every head shares D's body, lives in the D module and is trained by D's optimiser. For ``concat`` the
label enters D at its input instead: a one-hot vector joined to the flattened input (mlp), or K label maps
joined to the image channels (dcgan). The networks still never choose a loss: heads return raw logits.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.config import ModelConfig
from ganforge.models import dcgan, maxout, mlp
from ganforge.models.codes import LatentCodes

Q_HIDDEN = 128  # width of Q's hidden layer (the paper's Q for MNIST: FC 128, then the code outputs)


class LabelledGenerator(nn.Module):
    """G(z, y) = body([z, onehot(y)]): the label joins z as K more inputs (Mirza & Osindero 2014, sec. 3.2)."""

    def __init__(self, body: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.body = body
        self.num_classes = num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        y = F.one_hot(labels, self.num_classes).to(z.dtype)  # (N, K)
        return self.body(torch.cat([z, y], dim=1))  # (N, z_dim + K) -> samples


class HeadedDiscriminator(nn.Module):
    """D as body phi and heads; ``forward(x, labels)`` returns the adversarial logits (N,).

    ``condition`` is none (InfoGAN alone), concat, projection or acgan. ``labels`` may be None (a health
    probe scoring unlabelled images): the class term is then left out (projection), or the label maps are
    zeros (concat), so D still scores every image the same way.
    """

    def __init__(
        self,
        body: nn.Module,
        psi: nn.Module,
        condition: str,
        num_classes: int,
        q_outputs: int = 0,
        spectral: bool = False,
    ) -> None:
        super().__init__()
        self.body, self.psi = body, psi
        self.condition, self.num_classes = condition, num_classes
        # Labels join a convolutional body (dcgan, r3gan) as maps, a fully connected one (mlp) as a vector.
        self.convolutional = any(isinstance(module, nn.Conv2d) for module in body.modules())
        features = psi.in_features if isinstance(psi, nn.Linear) else psi.in_channels  # r3gan's psi is linear
        wrap = spectral_norm if spectral else (lambda module: module)
        if condition == "projection":  # embed(y): one row per class, in phi's feature space
            embed = nn.Embedding(num_classes, features)
            nn.init.xavier_uniform_(embed.weight)
            self.embed = wrap(embed)
        if condition == "acgan":  # K class logits from the same features psi reads
            self.class_head = wrap(_head_like(psi, num_classes))
        if q_outputs:  # Q: a hidden layer, then the codes' parameters
            self.q_head = nn.Sequential(
                wrap(_head_like(psi, Q_HIDDEN)), nn.Flatten(), nn.LeakyReLU(0.2), nn.Linear(Q_HIDDEN, q_outputs)
            )

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """phi(x): (N, F) for the mlp, (N, F, b, b) for dcgan."""
        if self.condition == "concat":
            x = self._join_labels(x, labels)
        return self.body(x)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        phi = self.features(x, labels)
        logits = self.psi(phi).flatten()  # (N,)
        if self.condition == "projection" and labels is not None:
            pooled = phi.flatten(2).sum(2) if phi.dim() == 4 else phi  # global sum pooling, as in the paper
            logits = logits + (self.embed(labels) * pooled).sum(1)  # + <embed(y), phi(x)>
        return logits

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """AC-GAN's class logits (N, K) for log P(C = c | x)."""
        return self.class_head(self.features(x)).flatten(1)

    def q(self, x: torch.Tensor) -> torch.Tensor:
        """InfoGAN's Q: the parameters of Q(c | x), (N, q_outputs)."""
        return self.q_head(self.features(x))

    def _join_labels(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        n = x.shape[0]
        y = torch.zeros(n, self.num_classes, device=x.device, dtype=x.dtype)
        if labels is not None:
            y = F.one_hot(labels, self.num_classes).to(x.dtype)  # (N, K)
        if self.convolutional:  # images for dcgan and r3gan: K constant label maps beside the C image channels
            return torch.cat([x, y[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1)  # (N, C + K, H, W)
        return torch.cat([x.flatten(1), y], dim=1)  # (N, C*H*W + K) for the mlp


def _head_like(psi: nn.Module, outputs: int) -> nn.Module:
    """A new last layer shaped like D's psi but with ``outputs`` outputs (a linear map of phi either way)."""
    if isinstance(psi, nn.Linear):
        layer = nn.Linear(psi.in_features, outputs)
        nn.init.xavier_uniform_(layer.weight)
    else:
        layer = nn.Conv2d(psi.in_channels, outputs, psi.kernel_size, 1, 0)
        nn.init.normal_(layer.weight, 0.0, 0.02)
    nn.init.zeros_(layer.bias)
    return layer


def _split(D: nn.Module) -> tuple[nn.Sequential, nn.Module]:
    """(phi, psi) of an mlp, maxout or dcgan D: every layer but the last, and the last."""
    return D.net[:-1], D.net[-1]


def build_conditional(
    cfg: ModelConfig,
    data_shape: tuple[int, ...],
    num_classes: int,
    build: Callable[[ModelConfig, tuple[int, ...]], tuple[nn.Module, nn.Module]],
) -> tuple[nn.Module, nn.Module]:
    """(G, D) for ``cfg.condition`` and the InfoGAN codes of ``cfg``, from the plain builder ``build``.

    G's input grows by K (the one-hot label) and by the code size; D gains the heads it needs.
    """
    codes = LatentCodes.from_config(cfg)
    conditional = cfg.condition != "none"
    extra = (num_classes if conditional else 0) + codes.size
    G, D = build(dataclasses.replace(cfg, z_dim=cfg.z_dim + extra), data_shape)
    if conditional:
        G = LabelledGenerator(G, num_classes)
    if cfg.condition == "concat":
        D = _concat_body(cfg, data_shape, num_classes, build)
    body, psi = _split(D)
    spectral = cfg.d_norm == "spectral"
    return G, HeadedDiscriminator(body, psi, cfg.condition, num_classes, codes.q_outputs, spectral)


def _concat_body(
    cfg: ModelConfig,
    data_shape: tuple[int, ...],
    num_classes: int,
    build: Callable[[ModelConfig, tuple[int, ...]], tuple[nn.Module, nn.Module]],
) -> nn.Module:
    """D with K more inputs: the label joined to the flattened input (mlp) or as K label maps (dcgan, and any
    other convolutional network, whose own builder makes a D for C + K channels)."""
    if cfg.name == "mlp":
        return mlp.MLPDiscriminator((math.prod(data_shape) + num_classes,), cfg.d_hidden, cfg.leak, cfg.d_norm)
    if cfg.name == "maxout":
        return maxout.MaxoutDiscriminator((math.prod(data_shape) + num_classes,))
    channels, height, width = data_shape
    if cfg.name == "dcgan":
        return dcgan.DCGANDiscriminator(channels + num_classes, (height, width), cfg.width, cfg.d_norm)
    return build(cfg, (channels + num_classes, height, width))[1]
