"""Pictures of captions from a trained text2image run: ``render_text`` (the loop's progress pictures,
evaluation) and ``text_to_images`` (``ganforge generate --text``, ``TrainedGAN.generate_text``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ganforge.data.captions import BASES, TextBatch, check_text, encode_text, vocabulary
from ganforge.errors import GanforgeError
from ganforge.gans.base import GAN
from ganforge.models import stackgan

TASK = "text2image"


def known_words(cfg: Any) -> set[str] | None:
    """The words ``generate --text`` accepts: the grammar's for generated data; any for a captions:DIR run."""
    return vocabulary(BASES[cfg.data.name]) if cfg.data.name in BASES else None


@torch.no_grad()
def render_text(gan: GAN, z: Tensor, captions: TextBatch, stages: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """G's pictures of ``captions`` in eval mode, on the CPU; with ``stages``, (stage I, final) pictures."""
    G = gan.G
    was_training = G.training
    G.eval()
    try:
        device = next(G.parameters()).device
        ids = captions.text.to(device)
        if not stages:
            return gan.generate(z.to(device), TextBatch(ids, ids, captions.attributes)).float().cpu()
        if isinstance(G, stackgan.StackGenerator) and not G.in_stage1:
            low, high = G.stages(z.to(device), ids)
            return low.float().cpu(), high.float().cpu()
        picture = G(z.to(device), ids).float().cpu()
        return picture, picture
    finally:
        G.train(was_training)


def text_to_images(trained: Any, texts: list[str], n: int = 1, seed: int = 0, batch_size: int = 500,
                   stages: bool = False) -> Tensor | tuple[Tensor, Tensor]:  # fmt: skip
    """``n`` pictures per caption of ``texts`` from a trained text2image run, (len(texts) * n, 3, H, W) in
    [-1, 1], caption by caption; reproducible by ``seed``. Empty text or words the run never saw: one-line errors."""
    cfg = trained.config
    if cfg.task.name != TASK:
        raise GanforgeError(f"{trained.path} is not a text2image run; it draws no pictures of captions",
                            "train one with --preset stackgan-stage1 or --preset stackgan")  # fmt: skip
    if isinstance(texts, str):
        texts = [texts]
    if not texts:
        raise GanforgeError("no captions given", 'pass at least one, e.g. --text "a small red sneaker"')
    known = known_words(cfg)
    checked = [check_text(caption, known, f"caption {index + 1} ({caption!r})") for index, caption in enumerate(texts)]
    ids = encode_text([caption for caption in checked for _ in range(n)])
    gan = trained.gan
    z = gan.sample_latent(len(ids), torch.Generator().manual_seed(seed))
    batch = TextBatch(ids, ids, torch.full((len(ids), 6), -1))
    outputs = [render_text(gan, z[start : start + batch_size], batch[start : start + batch_size], stages)
               for start in range(0, len(ids), batch_size)]  # fmt: skip
    if stages:
        return torch.cat([low for low, _ in outputs]), torch.cat([high for _, high in outputs])  # type: ignore[misc]
    return torch.cat(outputs)  # type: ignore[arg-type]
