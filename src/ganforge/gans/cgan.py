"""Class-conditional GANs: one switch, ``model.condition``, that composes with every loss.

- ``concat``: the conditional GAN of Mirza and Osindero (2014). The label y joins G's input z and D's
  input x, so the game becomes min_G max_D E[log D(x | y)] + E[log(1 - D(G(z | y) | y))] (eq. 2).
- ``projection``: the projection discriminator of Miyato and Koyama (2018), D(x, y) = psi(phi(x)) +
  <embed(y), phi(x)> (eq. 3): the label enters D as an inner product with its features, which follows
  from writing the optimal D as a log density ratio of conditionals. The paper trains it with the hinge
  loss and spectral norm (preset ``projection``).
- ``acgan``: the auxiliary-classifier GAN of Odena, Olah and Shlens (2017), see ``gans/acgan.py``: D sees no
  label but classifies, and both players add the class log-likelihood.

In every case G(z, y) takes the label as a one-hot vector joined to z. The loss variants need no change:
they pass the real batch's labels through ``GAN.generate(z, labels)`` and ``GAN.discriminate(x, labels)``.
InfoGAN's codes (``gans/infogan.py``) are configured here too, since they also reshape G's input and D's heads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ganforge.errors import GanforgeError, check_choice
from ganforge.gans.acgan import ClassLikelihood
from ganforge.gans.infogan import MutualInformation
from ganforge.models.codes import LatentCodes

if TYPE_CHECKING:
    from ganforge.config import Config
    from ganforge.gans.base import GAN

CONDITIONS = ("none", "concat", "projection", "acgan")
MAX_GRID_CLASSES = 16  # progress grids show one row per class, for the first 16 classes at most


def check_conditioning(cfg: Config, data_kind: str) -> None:
    """Reject a condition or InfoGAN codes the dataset or the other settings cannot support."""
    model = cfg.model
    check_choice("condition", "model.condition", model.condition, CONDITIONS)
    for key, value in (("model.info_categorical", model.info_categorical),
                       ("model.info_continuous", model.info_continuous)):  # fmt: skip
        if value < 0:
            raise GanforgeError(f"{key}={value} must be 0 (no code) or more", "InfoGAN on MNIST uses 10 and 2")
    if model.info_categorical == 1:
        raise GanforgeError("model.info_categorical=1 is a code with one category, which carries no information",
                            "use 0 (none) or 2 and more, e.g. 10")  # fmt: skip
    for key, value in (("train.info_lambda", cfg.train.info_lambda),
                       ("train.info_lambda_continuous", cfg.train.info_lambda_continuous)):  # fmt: skip
        if value < 0:
            raise GanforgeError(f"{key}={value} must be 0 or positive", "the paper uses 1 (categorical), 0.1 or 1")
    infogan = model.info_categorical > 0 or model.info_continuous > 0
    if data_kind != "image" and model.condition != "none":
        raise GanforgeError(
            f"model.condition={model.condition} needs class labels, but dataset '{cfg.data.name}' has none",
            "condition on a labelled image dataset (mnist, fashion-mnist, cifar10), or set model.condition=none",
        )
    if data_kind != "image" and infogan:
        raise GanforgeError(
            f"InfoGAN codes (model.info_categorical={model.info_categorical}, model.info_continuous="
            f"{model.info_continuous}) would explain images, but dataset '{cfg.data.name}' is 2-D points",
            "train InfoGAN on images (e.g. --preset infogan --dataset mnist), or set both to 0",
        )
    if infogan and model.condition != "none":
        raise GanforgeError(
            f"InfoGAN codes together with model.condition={model.condition} are not supported",
            "use one of them: set model.condition=none or model.info_categorical=0 and model.info_continuous=0",
        )


def check_num_classes(cfg: Config, num_classes: int) -> None:
    """A conditional run needs at least two classes in its data (a folder of images may hold only one)."""
    if cfg.model.condition != "none" and num_classes < 2:
        raise GanforgeError(
            f"model.condition={cfg.model.condition} needs labelled data, but '{cfg.data.name}' has {num_classes} class",
            "put the images in one sub-folder per class, or set model.condition=none",
        )


def configure(gan: GAN, cfg: Config, num_classes: int) -> GAN:
    """Give ``gan`` its labels, codes and extra terms for ``cfg`` (a no-op for an unconditional run)."""
    if cfg.model.condition != "none":
        gan.num_classes = num_classes
    if cfg.model.condition == "acgan":
        gan.auxiliary.append(ClassLikelihood())
    codes = LatentCodes.from_config(cfg.model)
    if codes.size:
        gan.codes = codes
        gan.auxiliary.append(MutualInformation.from_config(cfg))
    return gan


def class_rows(
    gan: GAN, columns: int, generator: torch.Generator, classes: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Latents and labels for a grid with one row per class: row k shows class k, and column j the same
    latent in every row, so a column shows one "style" across the classes. Returns (z, labels), both
    (rows * columns, ...), in row-major order."""
    rows = min(gan.num_classes, MAX_GRID_CLASSES) if classes is None else classes
    z = gan.sample_latent(columns, generator).repeat(rows, 1)  # (rows * columns, z_dim)
    labels = torch.arange(rows, device=z.device).repeat_interleave(columns)  # 0 0 0 ... 1 1 1 ...
    return z, labels


def check_class(gan: GAN, class_: int | None) -> None:
    """A class asked for by a user (``--class``) must exist, and the run must be conditional."""
    if class_ is None:
        return
    if not gan.num_classes:
        raise GanforgeError(f"--class {class_}: this run is not class-conditional", "leave out --class, or train "
                            "with a condition (e.g. --preset cgan)")  # fmt: skip
    if isinstance(class_, bool) or not 0 <= class_ < gan.num_classes:
        raise GanforgeError(
            f"--class {class_} is not a class of this run", f"give a class from 0 to {gan.num_classes - 1}"
        )
