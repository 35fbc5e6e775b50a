"""The adversarial term of the image-to-image tasks, in the form ``train.loss`` names.

pix2pix, SRGAN and context encoders use the cross-entropy GAN (G's non-saturating form); CycleGAN uses
least squares (Mao et al. 2017), which its authors found more stable; the hinge form (Lim & Ye 2017) also
fits. Each task adds its own reconstruction terms to these; the forms themselves live in ``losses.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ganforge import losses, stats
from ganforge.data.pairs import Pair
from ganforge.errors import GanforgeError

if TYPE_CHECKING:
    from ganforge.gans.base import GAN, Step

FORMS = ("non-saturating", "lsgan", "hinge")


def d_terms(form: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """D's loss on real and on generated images, (loss_D_real, loss_D_fake)."""
    if form == "lsgan":
        return losses.least_squares_d_real(real_logits), losses.least_squares_d_fake(fake_logits)
    if form == "hinge":
        return losses.hinge_d_real(real_logits), losses.hinge_d_fake(fake_logits)
    return losses.d_loss_real(real_logits), losses.d_loss_fake(fake_logits)


def g_term(form: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """G's adversarial loss on D's logits for its outputs."""
    if form == "lsgan":
        return losses.least_squares_g(fake_logits)
    if form == "hinge":
        return losses.wasserstein_g(fake_logits)
    return losses.g_loss_non_saturating(fake_logits)


def report_d(form: str, real_logits: torch.Tensor, fake_logits: torch.Tensor, suffix: str = "") -> None:
    """D(x) and D(G(z)) as the other variants log them: probabilities for cross-entropy, raw scores otherwise."""
    read = torch.sigmoid if form == "non-saturating" else (lambda scores: scores)
    stats.report(f"D(x){suffix}", read(real_logits))
    stats.report(f"D(G(z)){suffix}", read(fake_logits))


def image_d_loss(gan: GAN, step: Step, scale: float = 1.0) -> torch.Tensor:
    """D's loss in a task whose G turns ``step.labels.source`` into an image: real targets against the step's
    outputs of G (held fixed), in ``gan.form``, times ``scale``; reported as loss/D/real and loss/D/fake."""
    real_logits, fake_logits = gan.discriminate(step.real, step.labels), gan.discriminate(step.fake, step.labels)
    loss_D_real, loss_D_fake = d_terms(gan.form, real_logits, fake_logits)
    stats.report("loss/D/real", loss_D_real)
    stats.report("loss/D/fake", loss_D_fake)
    report_d(gan.form, real_logits, fake_logits)
    loss_D = (loss_D_real + loss_D_fake) * scale
    stats.report("loss/D", loss_D)
    return loss_D


def need_pair(labels: object, task: str) -> Pair:
    """The conditioning a task's G reads; a plain latent call (sample, interpolate) is a user error."""
    if not isinstance(labels, Pair):
        raise GanforgeError(
            f"a {task} run maps images to images; it has no latent space to sample from",
            "use 'ganforge translate RUN --input IMAGES --out OUT'",
        )
    return labels
