"""The GAN interface the training loop drives: latents, generation, the step contract and the two losses.

Every update reads one ``Step``: the real minibatch x, the latents z, the labels, and the fakes G(z), which
the loop generates once per update (``GAN.make_step``). D's update reads them without G's graph; G's update
reads them with it. Both players see everything, so a loss that needs the real batch in G's loss (a
relativistic one) is written like any other.

A variant subclasses ``GAN`` and overrides ``d_loss(step)`` / ``g_loss(step)`` (and maybe ``sample_latent``,
``after_d_step``, or ``from_config`` to take its own settings). The loop calls ``d_objective``: the
variant's ``d_loss`` plus the R1 and R2 penalties when ``train.r1_gamma`` / ``train.r2_gamma`` > 0, so the
penalties compose with any loss, and ``g_objective``; both add the auxiliary terms of AC-GAN and InfoGAN
(``gans/cgan.py``) the same way.
Variants compute losses and report statistics; they never touch optimisers, devices or gradients:
the loop owns ``zero_grad``, ``backward`` and ``step``.

Options that change what D sees or which D G plays against compose with every loss through
``discriminate`` and ``g_objective``: DiffAugment (``gans/augment.py``) or ADA (``gans/ada.py``, whose
heuristic reads D's logits of the real batch in D's own updates), PacGAN packing (``gans/pack.py``)
and unrolled D (``gans/unrolled.py``, which hands G's loss a step whose ``D_weights`` are D's unrolled
weights). ``make_gan`` sets them from the config.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ganforge import losses, stats
from ganforge.errors import GanforgeError
from ganforge.gans.ada import AdaptiveAugment
from ganforge.gans.pack import pack_samples
from ganforge.gans.unrolled import unrolled_weights

if TYPE_CHECKING:
    from ganforge.config import Config
    from ganforge.gans.augment import DiffAugment
    from ganforge.models.codes import LatentCodes


@dataclass(frozen=True)
class Step:
    """What both players see in one update of Algorithm 1.

    ``labels`` are the real minibatch's class labels (N,) for a class-conditional run (None or unused
    otherwise); for an image-to-image task they are its ``Pair``: the input G reads (``source``), the
    target (``target``, the real minibatch itself for paired data) and, for inpainting, the hole's mask.
    ``fake`` is G(z) (or G(source)), generated once for the update: D's update gets it without G's graph,
    G's update with it. ``D_weights`` are the weights D plays with in this step, None for D's own: G's
    loss against an unrolled D (``gans/unrolled.py``) is the same loss on a step carrying D's future weights.
    """

    real: torch.Tensor  # x, (N, ...)
    z: torch.Tensor  # (N, z_dim [+ InfoGAN codes]); (N, 0) for a task, whose G reads labels.source
    labels: Any  # (N,) class labels, a task's Pair, or None
    fake: torch.Tensor  # G(z), (N, ...)
    D_weights: dict[str, torch.Tensor] | None = None
    # the weight of D's R1 and R2 penalties in this update: the loop's lazy regularisation (train.r1_every) sets 0
    # on the updates between and N on every Nth
    penalty_weight: float = 1.0

    def detached(self) -> Step:
        """The same step with the fakes cut from G's graph: what D's update reads when G's update shares them."""
        return dataclasses.replace(self, fake=self.fake.detach())


class AuxiliaryTerm(Protocol):
    """A term that both players add to whichever loss is chosen (``d_objective``, ``g_objective``)."""

    def d_term(self, gan: GAN, step: Step) -> torch.Tensor: ...

    def g_term(self, gan: GAN, step: Step) -> torch.Tensor: ...


class GAN(abc.ABC):
    """G, D and the prior p_z over latents z."""

    # Options that compose with every loss; off unless make_gan sets them from the config.
    augment: DiffAugment | AdaptiveAugment | None = None  # on everything D sees (Zhao et al. 2020; Karras et al. 2020)
    pack: int = 1  # D judges packs of this many samples (PacGAN, Lin et al. 2018)
    unroll: int = 0  # G plays against D advanced this many steps (Metz et al. 2017)
    unroll_lr: float = 0.0  # step size of those unrolled steps
    G_ema: nn.Module | None = None  # the moving average of G's weights, which sampling uses when kept
    r2_gamma: float = 0.0  # > 0: D's objective adds gamma/2 E[||grad D(G(z))||^2] on the fakes (R2, see d_objective)

    # What resolution (resolve.py) asks of a registered variant: the train.* settings it owns, each with the
    # paper's value for when it is left unset, and its own checks.
    settings: ClassVar[dict[str, float]] = {}

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        """Reject settings this variant cannot train with (called when ``--loss`` names it)."""
        return None  # most variants take any setting the general checks accept

    @classmethod
    def check_not_chosen(cls, cfg: Config) -> None:
        """Reject this variant's own settings in a run that trains another loss."""
        for name in cls.settings:
            value = getattr(cfg.train, name)
            if value is not None:
                raise GanforgeError(f"train.{name}={value} belongs to another loss, not {cfg.train.loss}",
                                    f"leave train.{name} unset")  # fmt: skip

    def __init__(self, G: nn.Module, D: nn.Module, z_dim: int, prior: str = "normal", r1_gamma: float = 0.0) -> None:
        self.G = G
        self.D = D
        self.z_dim = z_dim
        self.prior = prior
        self.r1_gamma = r1_gamma
        # Set by gans.cgan.configure: the number of classes of a class-conditional G and D (0: none), InfoGAN's
        # codes at the end of the latent, and terms both players add to any loss (AC-GAN, InfoGAN).
        self.num_classes = 0
        self.codes: LatentCodes | None = None
        self.auxiliary: list[AuxiliaryTerm] = []
        self._watched_real: torch.Tensor | None = None  # D's update's real batch, whose logits ADA observes

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> GAN:
        """The variant for a resolved ``cfg``; variants with settings of their own override this."""
        return cls(G, D, cfg.model.z_dim, cfg.model.prior, r1_gamma=cfg.train.r1_gamma)

    def sample_latent(self, n: int, generator: torch.Generator, truncation: float | None = None) -> torch.Tensor:
        """Draw n latents z ~ p_z, (n, z_dim), on the generator's device; with ``truncation`` t, every value of z
        beyond [-t, t] is drawn again from the prior until none is (the truncation trick of BigGAN, Brock et al.
        2019: samples nearer the prior's centre, trading variety for fidelity). InfoGAN's codes are not truncated."""
        device = generator.device

        def draw(*shape: int) -> torch.Tensor:
            if self.prior == "uniform":  # U[-1, 1]^z_dim
                return torch.rand(*shape, generator=generator, device=device) * 2 - 1
            return torch.randn(*shape, generator=generator, device=device)  # N(0, I)

        z = draw(n, self.z_dim)
        if truncation is not None:
            outside = z.abs() > truncation
            while outside.any():
                z[outside] = draw(int(outside.sum()))
                outside = z.abs() > truncation
        if self.codes is not None:  # InfoGAN: [z, c], the codes drawn from p(c)
            z = torch.cat([z, self.codes.sample(n, generator)], dim=1)
        return z

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """x = G(z), or G(z, y) for a class-conditional G; without ``labels`` it draws classes 0..K-1 in turn."""
        if not self.num_classes:
            return self.G(z)
        if labels is None:  # an equal share of every class, reproducibly
            labels = torch.arange(len(z), device=z.device) % self.num_classes
        return self.G(z, labels)

    def make_step(self, real: torch.Tensor, z: torch.Tensor, labels: Any, with_graph: bool) -> Step:
        """The step for one update: G's fakes generated once from ``z`` (and ``labels``); ``with_graph`` keeps
        G's graph for G's update, while D's update needs none (and keeps no activations for it)."""
        with nullcontext() if with_graph else torch.no_grad():
            fake = self.generate(z, labels)
        return Step(real, z, labels, fake)

    @property
    def D_heads(self) -> nn.Module:
        """D itself, also while the loop routes D through its DDP wrapper, which hides D's extra heads
        (AC-GAN's classifier, InfoGAN's Q). Their gradients still reach DDP's averaging hooks."""
        return self.D.module if isinstance(self.D, DistributedDataParallel) else self.D

    def discriminate(
        self, x: torch.Tensor, labels: Any = None, weights: dict[str, torch.Tensor] | None = None
    ) -> torch.Tensor:
        """D's logits (or critic scores) for a batch x, (N,), with D's own weights or ``weights`` (a step's
        ``D_weights``: the unrolled D's).

        Every loss asks D through this one method, so whatever changes what D sees (class labels for a
        conditional D, augmentation, packing several samples into one) composes with every loss.
        """
        watched = x is self._watched_real
        if self.augment is not None:  # the same kind of random transform for real and fake, differentiable
            x = self.augment(x)
        x = pack_samples(x, self.pack)  # (N, C, ...) -> (N / m, m * C, ...); packing refuses labels (resolve.py)
        inputs = (x, labels) if self.num_classes else (x,)
        if weights is not None:
            return torch.func.functional_call(self.D, weights, inputs)
        logits = self.D(*inputs)
        if watched and isinstance(self.augment, AdaptiveAugment):  # r_t = E[sign D(x_real)] (Karras et al. 2020)
            self.augment.observe(logits)
        return logits

    @abc.abstractmethod
    def d_loss(self, step: Step) -> torch.Tensor:
        """The loss D minimises on the step's real minibatch and its fakes (held fixed)."""

    @abc.abstractmethod
    def g_loss(self, step: Step) -> torch.Tensor:
        """The loss G minimises on the step's fakes (and, where the loss asks, its real minibatch)."""

    def d_objective(self, step: Step) -> torch.Tensor:
        """What the loop minimises for D: ``d_loss``, plus gamma/2 E[||grad_x D(x)||^2] on real data when
        ``r1_gamma`` > 0 (the R1 penalty of Mescheder et al. 2018, which keeps D flat on the data), and the same
        on the step's fakes when ``r2_gamma`` > 0 (R2, Roth et al. 2017). R3GAN (Huang et al. 2024, eq. 4) uses
        both with one gamma: R1 alone lets D grow steep where the fakes are, R2 keeps it flat there too. Both
        are weighted by the step's ``penalty_weight`` (lazy regularisation, ``train.r1_every``), skipped at 0.
        In D's own update (not an unrolled copy's) ADA observes D's logits of the real batch and, after the
        loss, moves its augmentation probability p."""
        own_update = step.D_weights is None and isinstance(self.augment, AdaptiveAugment)
        self._watched_real = step.real if own_update else None
        try:
            loss_D = self.d_loss(step)
        finally:
            self._watched_real = None
        D = lambda x: self.discriminate(x, step.labels, step.D_weights)  # noqa: E731 - D of its input alone
        if self.r1_gamma > 0 and step.penalty_weight > 0:
            penalty = self.r1_gamma / 2 * losses.r1_penalty(D, step.real)
            stats.report("loss/D/r1", penalty)
            loss_D = loss_D + step.penalty_weight * penalty
        if self.r2_gamma > 0 and step.penalty_weight > 0:
            penalty = self.r2_gamma / 2 * losses.r2_penalty(D, step.fake)
            stats.report("loss/D/r2", penalty)
            loss_D = loss_D + step.penalty_weight * penalty
        for term in self.auxiliary:  # AC-GAN's class likelihood, InfoGAN's mutual information
            loss_D = loss_D + term.d_term(self, step)
        if own_update:
            self.augment.after_d_update()
        return loss_D

    def g_objective(self, step: Step) -> torch.Tensor:
        """What the loop minimises for G: ``g_loss``, taken against D unrolled ``unroll`` steps on the step's
        real minibatch when ``unroll`` > 0 (Metz et al. 2017; see ``gans/unrolled.py``), plus the auxiliary
        terms (AC-GAN, InfoGAN), which read D's own heads."""
        if self.unroll == 0:
            loss_G = self.g_loss(step)
        else:
            loss_G = self.g_loss(dataclasses.replace(step, D_weights=unrolled_weights(self, step)))
        for term in self.auxiliary:  # AC-GAN's class likelihood, InfoGAN's mutual information
            loss_G = loss_G + term.g_term(self, step)
        return loss_G

    def random_streams(self) -> dict[str, torch.Generator]:
        """The variant's own seeded random streams by name, which checkpoints save so that a resumed run
        draws what an unbroken one would (DiffAugment's transforms; WGAN-GP adds its interpolation weights)."""
        return {"augment": self.augment.generator} if self.augment is not None else {}

    def option_state(self) -> dict[str, torch.Tensor]:
        """State of the options beyond weights and random streams, which checkpoints save (ADA's p)."""
        if isinstance(self.augment, AdaptiveAugment):
            return {f"ada.{name}": value for name, value in self.augment.state().items()}
        return {}

    def load_option_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Continue the options' state from a checkpoint's tensors (``option_state``); one written without
        them (before ADA was switched on) starts afresh."""
        if isinstance(self.augment, AdaptiveAugment) and "ada.p" in tensors:
            self.augment.load_state({name: tensors[f"ada.{name}"] for name in self.augment.state()})

    @contextmanager
    def sampling_generator(self) -> Iterator[nn.Module]:
        """G_ema in G's place while sampling, when the loop keeps one (``train.ema``); else G itself."""
        if self.G_ema is None:
            yield self.G
            return
        G, self.G = self.G, self.G_ema
        try:
            yield self.G
        finally:
            self.G = G

    def after_d_step(self) -> None:  # noqa: B027 - a hook: most variants have nothing to do here
        """Called after each D update (weight clipping in WGAN, for example)."""
