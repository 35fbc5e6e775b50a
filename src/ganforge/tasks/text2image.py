"""Text to image: StackGAN (Zhang et al. 2017) on captioned Fashion-MNIST / MNIST pictures (``data/captions.py``).

G reads a caption (character ids, encoded by the frozen encoder it owns) and noise; D is matching-aware
(``gans/stackgan.py``). At 32 px (``--preset stackgan-stage1``) G is stage I alone; at 64 px (``--preset
stackgan``) stage I trains for ``task.stage1_steps`` G updates, then stage II on its pictures. Evaluation
(``evaluate``) measures the generated pictures' attributes from their pixels (``metrics/attributes.py``), their
class with the shipped grey classifier, R-precision with a separately trained encoder pair, FID in that pair's
image features, and diversity, on seen and held-out (class, colour) combinations, beside the same numbers
for the real pictures and for shuffled captions.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import load_dataset
from ganforge.data.captions import (
    BASES,
    CLASS_WORDS,
    PREFIX,
    CaptionedData,
    TextBatch,
    generate_captioned,
    load_caption_folder,
)
from ganforge.errors import GanforgeError
from ganforge.gans.base import GAN
from ganforge.gans.stackgan import StackGAN
from ganforge.models import stackgan, text
from ganforge.tasks.base import Task
from ganforge.tasks.text_evaluation import evaluate_text_run
from ganforge.tasks.text_render import render_text

if TYPE_CHECKING:
    from ganforge.config import Config

SIDES = (32, 64)  # stage I alone, or both stages
FOLDER_ENCODER_STEPS = 400  # contrastive steps of the encoder a captions:DIR run trains at load

log = logging.getLogger("ganforge")


class TextToImageTask(Task):
    """G: a caption and noise -> a picture of it."""

    name = "text2image"
    paper = "Zhang, Xu, Li, Zhang, Wang, Huang and Metaxas (2017), StackGAN: Text to Photo-realistic Image Synthesis"
    networks = {"stackgan": ("batch", "spectral", "none")}
    variant = StackGAN
    data = f"captions: {', '.join(BASES)} or {PREFIX}DIR (images + captions.jsonl)"
    steps = 1500
    side_multiple = 32
    frame_examples = 18
    draws_captions = True
    keeps_ema = True

    def __init__(self) -> None:
        self._folder_encoders: dict[str, text.TextEncoder] = {}  # captions:DIR -> the encoder trained at load

    @property
    def preset(self) -> str:
        return "stackgan-stage1"

    def fits_data(self, dataset: str) -> bool:
        return dataset in BASES or dataset.startswith(PREFIX)

    def check_config(self, cfg: Config) -> None:
        side = side_of(cfg)
        if side not in SIDES:
            raise GanforgeError(f"--image-size {side} is not a StackGAN size: 32 trains stage I, 64 both stages",
                                "set --image-size 32 or 64")  # fmt: skip
        if cfg.model.prior != "normal":
            raise GanforgeError(f"model.prior={cfg.model.prior}: conditioning augmentation draws eps ~ N(0, I)",
                                "leave model.prior at normal for text2image")  # fmt: skip
        if cfg.train.eval_every:
            raise GanforgeError(f"train.eval_every={cfg.train.eval_every}: text2image is measured after training",
                                "run 'ganforge eval RUN' instead")  # fmt: skip
        if cfg.task.kl_weight < 0:
            raise GanforgeError(f"task.kl_weight={cfg.task.kl_weight} must be 0 or more", "the paper uses 1")
        if cfg.task.class_weight > 0 and cfg.data.name not in BASES:  # D's class head reads the items' classes
            if "task.class_weight" in cfg.explicit:
                raise GanforgeError(f"task.class_weight={cfg.task.class_weight}: {cfg.data.name}'s items carry no "
                                    "class for D's class head to learn", "leave task.class_weight at 0")  # fmt: skip
            log.info("%s's items carry no class: D trains without the preset's class head", cfg.data.name)
            cfg.task.class_weight = 0.0
        if cfg.task.stage1_steps is not None and not 0 <= cfg.task.stage1_steps <= cfg.train.steps:
            raise GanforgeError(f"task.stage1_steps={cfg.task.stage1_steps} must lie between 0 and train.steps",
                                "e.g. half of train.steps")  # fmt: skip

    # -- data and networks
    def load_data(self, cfg: Config, device: torch.device | str) -> CaptionedData:
        side = side_of(cfg)
        if cfg.data.name.startswith(PREFIX):
            data = load_caption_folder(cfg.data.name, side)
            if cfg.data.limit is not None:
                data = data.first(cfg.data.limit)
            if cfg.data.name not in self._folder_encoders:  # its own encoder, trained on its captions first
                encoder, _ = text.fit_encoders(data.images, data.text, data.attributes, FOLDER_ENCODER_STEPS,
                                               cfg.train.seed)  # fmt: skip
                self._folder_encoders[cfg.data.name] = encoder
        else:
            base = BASES[cfg.data.name]
            sources = load_dataset(dataclasses.replace(cfg.data, name=base, image_size=None, limit=None), "cpu")
            data = generate_captioned(base, sources, cfg.data.split, side, limit=cfg.data.limit)  # type: ignore[arg-type]
        if cfg.task.shuffle_captions:  # the control: captions of other items, so text says nothing of the picture
            order = torch.randperm(len(data), generator=torch.Generator().manual_seed(cfg.train.seed + 11))
            data = dataclasses.replace(data, text=data.text[order], captions=[data.captions[i] for i in order.tolist()],
                                       attributes=data.attributes[order])  # fmt: skip
        return data.to(device)

    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        side, width, norm = shape[-1], cfg.model.width, cfg.model.d_norm or "batch"
        classes = len(CLASS_WORDS[BASES[cfg.data.name]]) if cfg.task.class_weight > 0 else 0  # D's class head
        encoder = self._encoder(cfg)
        G: nn.Module = stackgan.StageIGenerator(encoder, cfg.model.z_dim, width, cfg.task.augment_text)
        if side == 64:
            stage1_steps = cfg.task.stage1_steps if cfg.task.stage1_steps is not None else cfg.train.steps // 2
            G = stackgan.StackGenerator(G, width, stage1_steps)  # type: ignore[arg-type]
            return G, stackgan.StackDiscriminator(width, norm, classes)
        return G, stackgan.MatchingDiscriminator(side, width, norm, classes)

    def _encoder(self, cfg: Config) -> text.TextEncoder:
        """The frozen caption encoder: the shipped one for generated data; for captions:DIR the one trained at
        load (a rebuilt run gets its weights from the checkpoint instead)."""
        if cfg.data.name in BASES and not torch.empty(0).is_meta:  # on the meta device only shapes matter
            return text.load_encoders("text", BASES[cfg.data.name])[0]
        encoder = self._folder_encoders.get(cfg.data.name)
        return encoder if encoder is not None else text.frozen(text.TextEncoder())

    def make_gan(self, cfg: Config, G: nn.Module, D: nn.Module) -> GAN:
        gan = super().make_gan(cfg, G, D)
        stage1 = G.stage1 if isinstance(G, stackgan.StackGenerator) else G
        stage1.text.requires_grad_(False)  # frozen: trained beforehand, never by G's optimiser
        return gan

    # -- a trained run
    def no_latent_space(self, run: Any) -> GanforgeError:
        return GanforgeError(f"{run} is a text2image run: it draws pictures of captions, not of noise alone",
                             f'use \'ganforge generate {run} --text "a small red sneaker" --out OUT.png\'')  # fmt: skip

    def input_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, ...]:
        raise GanforgeError("a text2image run draws pictures of captions; it translates no images",
                            'use \'ganforge generate RUN --text "a small red sneaker" --out OUT.png\'')  # fmt: skip

    def frame_images(self, gan: GAN, examples: TextBatch) -> Tensor:
        """Pictures of the first captions: 18 of them, three rows of six."""
        z = gan.sample_latent(len(examples), torch.Generator(examples.text.device).manual_seed(0))
        return render_text(gan, z, examples)

    def evaluate(self, gan: GAN, cfg: Config, split: str, n: int, batch_size: int) -> dict[str, Any]:
        """Measured on ``split`` with the true captions (also for the shuffled-caption control run)."""
        data_cfg = dataclasses.replace(cfg.data, split=split, limit=None)
        task_cfg = dataclasses.replace(cfg.task, shuffle_captions=False)
        data = self.load_data(dataclasses.replace(cfg, data=data_cfg, task=task_cfg), "cpu")
        return evaluate_text_run(gan, data, n, batch_size)


def side_of(cfg: Config) -> int:
    """The picture side a run trains at (``data.image_size``; 32 by default: stage I)."""
    return cfg.data.image_size or 32
