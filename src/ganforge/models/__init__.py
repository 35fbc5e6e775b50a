"""The networks: generators map latents to data, discriminators map data to one logit each.

Networks never choose a loss: D returns raw logits of shape (N,), and the sigmoid that turns a logit
into the probability D(x) lives in the loss (``ganforge.losses``), where it can be computed stably.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ganforge.config import ModelConfig
from ganforge.models import dcgan, mlp

Builder = Callable[[ModelConfig, tuple[int, ...], int], tuple[nn.Module, nn.Module]]

# name -> builder(model config, data shape, pack) -> (G, D)
MODELS: dict[str, Builder] = {
    "mlp": mlp.build,
    "dcgan": dcgan.build,
}


def build_models(
    cfg: ModelConfig, data_shape: tuple[int, ...], num_classes: int = 0, pack: int = 1
) -> tuple[nn.Module, nn.Module]:
    """Build (G, D) for data of ``data_shape``: (C, H, W) for images, (2,) for points; D judges packs of
    ``pack`` samples (PacGAN, ``train.pack``).

    With ``model.condition`` or InfoGAN codes, G and D are wrapped for labels (``num_classes`` of them),
    codes and their heads (``models/conditional.py``); packing is refused for those in config.py.
    """
    if cfg.labelled:
        from ganforge.models.conditional import build_conditional

        return build_conditional(cfg, tuple(data_shape), num_classes, MODELS[cfg.name])
    return MODELS[cfg.name](cfg, tuple(data_shape), pack)
