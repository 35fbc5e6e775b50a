"""CycleGAN (Zhu et al. 2017) and DiscoGAN: unpaired translation between domains A and B; two generators
(ResNet, or U-Net with ``--model unet``) and two PatchGAN Ds. The losses are ``gans/cyclegan.py``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import pairs
from ganforge.data.pairs import Pair
from ganforge.gans.base import GAN
from ganforge.gans.cyclegan import CycleGAN
from ganforge.metrics import domains, restoration
from ganforge.models import translation
from ganforge.tasks.base import FRAME_EXAMPLES, PATCH_D_NORMS, Task, apply_generator, finish_data, load_base

if TYPE_CHECKING:
    from ganforge.config import Config

CYCLE_BLOCKS = 3  # residual blocks in each CycleGAN generator (the paper: 6 at 128 px, 9 at 256 px)
CYCLE_D_NORMS = ("instance", "batch", "spectral", "none")  # CycleGAN normalises per image (Zhu et al. 2017)


class CycleTask(Task):
    """G: A -> B and F: B -> A learnt from two unpaired sets of images."""

    name = "cyclegan"
    paper = (
        "Zhu, Park, Isola and Efros (2017), Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks"
    )
    networks = {"resnet": CYCLE_D_NORMS, "unet": PATCH_D_NORMS}  # CycleGAN's code offers both generators
    variant = CycleGAN
    data = f"two domains: {', '.join(pairs.UNPAIRED)} or unpaired:A_DIR,B_DIR"
    steps = 2000
    side_multiple = 4
    reversible = True
    frame_examples = FRAME_EXAMPLES // 2  # each example shows both directions
    needs_domain_classifier = True

    def fits_data(self, dataset: str) -> bool:
        return dataset in pairs.UNPAIRED or dataset.startswith(pairs.UNPAIRED_PREFIX)

    def load_data(self, cfg: Config, device: torch.device | str) -> Any:
        data = pairs.load_unpaired(cfg.data.name, load_base(cfg, device), cfg.data.image_size)
        return finish_data(self, cfg, data, device)

    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        channels, side, _ = shape
        width, norm = cfg.model.width, cfg.model.d_norm or "batch"
        G = translation.CycleGenerators(_generator(cfg, channels, side), _generator(cfg, channels, side))
        D = translation.CycleDiscriminators(
            translation.PatchGAN(channels, width, side, norm), translation.PatchGAN(channels, width, side, norm)
        )
        return G, D

    def frame_images(self, gan: GAN, examples: Pair) -> Tensor:
        """a | G(a) | F(G(a)), then b | F(b) | G(F(b)): (n * 6, C, H, W)."""
        output = apply_generator(gan, examples)
        source, target = examples.source.float().cpu(), examples.target.float().cpu()
        back = apply_generator(gan, Pair(output, output), reverse=True)
        fake_a = apply_generator(gan, Pair(target, target), reverse=True)
        again = apply_generator(gan, Pair(fake_a, fake_a))
        triplets = [torch.stack([source, output, back], 1), torch.stack([target, fake_a, again], 1)]
        return torch.stack(triplets, 1).reshape(len(source) * 6, *target.shape[1:])

    def class_reference(self, examples: Pair) -> Tensor:
        return examples.source  # a translation keeps its input's class

    def domain_classifier(self, train_data: Any, seed: int) -> nn.Module:
        """A classifier of A versus B, trained on real training images of both (``metrics/domains.py``)."""
        train = train_data.examples(domains.TRAIN_IMAGES)
        return domains.train_domain_classifier(train.source, train.target, seed=seed)

    def cycle_metrics(
        self, gan: GAN, classifier: Any, examples: Pair, output: Tensor, batch_size: int
    ) -> dict[str, float]:
        """Cycle error both ways, and how often the domain classifier puts translations in the other domain:
        G(a) in B, F(b) in A."""
        a, b = examples.source, examples.target
        fake_a = apply_generator(gan, Pair(b, b), batch_size, reverse=True)
        back_a = apply_generator(gan, Pair(output, output), batch_size, reverse=True)  # F(G(a))
        back_b = apply_generator(gan, Pair(fake_a, fake_a), batch_size)  # G(F(b))
        in_b = domains.fraction_in_b
        return {
            "cycle_error": (restoration.l1(back_a, a) + restoration.l1(back_b, b)) / 2,
            "domain_accuracy_ab": in_b(classifier, output),
            "domain_accuracy_ba": 1 - in_b(classifier, fake_a),
            "domain_accuracy_real": (1 - in_b(classifier, a) + in_b(classifier, b)) / 2,
        }


def _generator(cfg: Config, channels: int, side: int) -> nn.Module:
    """CycleGAN's ResNet generator, or with ``--model unet`` a U-Net whose skips keep the input's layout."""
    if cfg.model.name == "unet":
        return translation.UNet(channels, channels, cfg.model.width, translation.unet_depth(side), norm="instance")
    return translation.ResnetGenerator(channels, cfg.model.width, CYCLE_BLOCKS)
