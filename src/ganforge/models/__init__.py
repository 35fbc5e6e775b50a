"""The networks: generators map latents to data, discriminators map data to one logit each.

Networks never choose a loss: D returns raw logits of shape (N,), and the sigmoid that turns a logit
into the probability D(x) lives in the loss (``ganforge.losses``), where it can be computed stably.
"""

from __future__ import annotations

from torch import nn

from ganforge.config import ModelConfig
from ganforge.models import dcgan, maxout, mlp, r3gan
from ganforge.models.conditional import build_conditional
from ganforge.models.spec import Network

# name -> the network's entry: its builder, D's normalisations, its defaults and what it supports
MODELS: dict[str, Network] = {
    "mlp": mlp.NETWORK,
    "dcgan": dcgan.NETWORK,
    "maxout": maxout.NETWORK,
    "r3gan": r3gan.NETWORK,
}


def build_models(
    cfg: ModelConfig, data_shape: tuple[int, ...], num_classes: int = 0, pack: int = 1
) -> tuple[nn.Module, nn.Module]:
    """Build (G, D) for data of ``data_shape``: (C, H, W) for images, (2,) for points; D judges packs of
    ``pack`` samples (PacGAN, ``train.pack``).

    With ``model.condition`` or InfoGAN codes, G and D are wrapped for labels (``num_classes`` of them),
    codes and their heads (``models/conditional.py``); packing is refused for those in resolve.py.
    """
    if cfg.labelled:
        return build_conditional(cfg, tuple(data_shape), num_classes, MODELS[cfg.name].build)
    return MODELS[cfg.name].build(cfg, tuple(data_shape), pack)
