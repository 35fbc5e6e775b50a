"""SRGAN: photo-realistic single-image super-resolution with a GAN (Ledig et al. 2017), eq. 3:

    l_SR = l_content + 10^-3 l_Gen,     l_Gen = -log D(G(I_LR))

The content loss is the pixel MSE (their SRResNet-MSE) plus, where a domain classifier ships for the
data (``mnist-cnn``, ``fashion-cnn``), the MSE between its feature maps of G(I_LR) and I_HR: the role of
their VGG54 loss (eq. 5), in a network trained on the domain itself. D is unconditional: it judges
high-resolution images alone. Here I_LR is ``labels.source`` and I_HR the real minibatch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import torch
from torch import nn

from ganforge import stats
from ganforge.data.pairs import Pair
from ganforge.gans import adversarial
from ganforge.gans.base import GAN, Step

if TYPE_CHECKING:
    from ganforge.config import Config

log = logging.getLogger("ganforge")
FEATURE_DATASETS = {"mnist": "mnist-cnn", "fashion-mnist": "fashion-cnn"}  # 1 x 28 x 28 domains with a classifier
FEATURE_LAYERS = 2  # the classifier's first two conv blocks: (N, 64, 7, 7) maps, like VGG's middle layers


class SRGAN(GAN):
    """SRResNet G: I_LR -> I_SR; D on high-resolution images; content + weighted adversarial loss."""

    def __init__(
        self,
        G: nn.Module,
        D: nn.Module,
        form: str,
        adversarial_weight: float,
        feature_weight: float = 0.0,
        features: nn.Module | None = None,
        r1_gamma: float = 0.0,
    ) -> None:
        super().__init__(G, D, z_dim=0, r1_gamma=r1_gamma)
        self.form = form
        self.adversarial_weight = adversarial_weight
        self.feature_weight = feature_weight if features is not None else 0.0
        self.features = features  # frozen, never trained: not part of G or D

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> SRGAN:
        task = cfg.task
        features = None
        if task.feature_weight > 0 and training_shape_fits(cfg):
            features = feature_network(cfg.data.name, next(G.parameters()).device)
        elif task.feature_weight > 0:
            log.info("no domain classifier for %s at this size: the content loss is pixel MSE only", cfg.data.name)
        return cls(G, D, cfg.train.loss, task.adversarial_weight, task.feature_weight, features, cfg.train.r1_gamma)

    def generate(self, z: torch.Tensor, labels: Pair | None = None) -> torch.Tensor:
        """G(I_LR) for the low-resolution images in ``labels``."""
        return self.G(adversarial.need_pair(labels, "srgan").source)

    def d_loss(self, step: Step) -> torch.Tensor:
        # (1) D tells real high-resolution images from super-resolved ones
        return adversarial.image_d_loss(self, step)

    def g_loss(self, step: Step) -> torch.Tensor:
        fake, labels = step.fake, step.labels
        # (2) G matches I_HR in pixels (and in the classifier's features) and fools D, weighted by 10^-3
        loss_G_content = (fake - labels.target).pow(2).mean()
        stats.report("loss/G/content", loss_G_content)
        loss_G_adv = adversarial.g_term(self.form, self.discriminate(fake, labels))
        stats.report("loss/G/adv", loss_G_adv)
        loss_G = loss_G_content + self.adversarial_weight * loss_G_adv
        if self.features is not None and self.feature_weight > 0:
            loss_G_feature = (self.features(fake) - self.features(labels.target)).pow(2).mean()
            stats.report("loss/G/feature", loss_G_feature)
            loss_G = loss_G + self.feature_weight * loss_G_feature
        stats.report("loss/G", loss_G)
        return loss_G


def training_shape_fits(cfg: Config) -> bool:
    """The feature loss needs a shipped classifier for the data and images at its native 28 x 28."""
    return cfg.data.name in FEATURE_DATASETS and cfg.data.image_size in (None, 28)


def feature_network(dataset: str, device: torch.device) -> nn.Module:
    """The first conv blocks of the dataset's shipped classifier, frozen and in eval mode."""
    from ganforge.metrics.extractors import load_classifier

    network, _ = load_classifier(FEATURE_DATASETS[dataset])
    body = network.body[:FEATURE_LAYERS].to(device).eval()
    body.requires_grad_(False)
    return body
