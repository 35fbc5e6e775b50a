"""Vector arithmetic on latents, as in DCGAN (Radford et al. 2016, section 6.3 and figure 7).

Single samples make noisy concepts, so each concept of an expression is the mean latent of a few exemplars
(three in the paper) chosen from a pool of measured samples by the query (``latent/query.py``). The result
is sum_i s_i * mean(z of concept i); the figure shows each concept's exemplars beside the image of their
mean, then the result and its neighbours under small noise (the paper adds uniform noise of 0.25).

The sum can also keep a class (``keep_base_class``, ``ganforge arithmetic``'s default): in "thick 3 - thin 3 +
thin 7" the concept added last, "thin 7", is the *base* the others modify, and the result is the base's mean
moved by the rest ("thick 3 - thin 3") along the class-keeping walk that attribute edits use
(``directions.walk_keeping_class``), so it stays a 7. The straight sum often lands on another class: the
difference of a few exemplars' means is mostly noise (docs/latent.md measures both).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.latent.directions import class_keeping, walk_keeping_class
from ganforge.latent.pool import Pool
from ganforge.latent.query import Term, parse_expression, select
from ganforge.trained import TrainedGAN

EXEMPLARS = 3  # per concept, as in the paper
NEIGHBOURS = 8
CONFIDENT = 0.9
NOISE = 0.25  # the paper's: uniform noise in [-0.25, 0.25] added to the result


@dataclass
class Arithmetic:
    """An evaluated expression: its terms, the exemplars (pool indices) and mean latent of each, the result."""

    terms: list[Term]
    exemplars: list[np.ndarray]
    means: Tensor  # (T, z_dim)
    result: Tensor  # (z_dim,)

    def neighbours(self, count: int = NEIGHBOURS, noise: float = NOISE, seed: int = 0) -> Tensor:
        """The result plus uniform noise in [-noise, noise], ``count`` times: (count, z_dim)."""
        generator = torch.Generator().manual_seed(seed)
        shift = (torch.rand(count, len(self.result), generator=generator) * 2 - 1) * noise
        return self.result + shift

    def base(self) -> tuple[Tensor, Tensor, int | None]:
        """The base concept's mean latent (the concept added last; an expression starts with one added), the other
        terms' signed sum (the offset), and the class the base names (None if it names none)."""
        last = max(index for index, term in enumerate(self.terms) if term.sign > 0)
        base = self.means[last]
        return base, self.result - base, self.terms[last].concept.class_index


def check_unconditional(trained: TrainedGAN) -> None:
    """Arithmetic adds latents; a conditional G takes its class from a label, which latents cannot carry."""
    if trained.num_classes:
        raise GanforgeError(f"{trained.path} is class-conditional: its class comes from a label, not from z",
                            "use arithmetic on an unconditional run; edit a conditional one instead")  # fmt: skip


def choose_exemplars(pool: Pool, term: Term, count: int, generator: np.random.Generator) -> np.ndarray:
    """``count`` pool indices the term's concept describes, drawn at random (all of them for explicit ids).

    A concept naming a class draws from the samples the classifier reads as that class with confidence
    ``CONFIDENT`` or more when there are enough of them: the paper's authors picked clear exemplars by eye.
    """
    found = select(pool, term.concept)
    if term.concept.ids:
        return found
    confidence = pool.measurements.confidence
    if term.concept.class_index is not None and confidence is not None:
        sure = found[confidence[found] >= CONFIDENT]
        found = sure if len(sure) >= count else found
    if len(found) < count:
        raise GanforgeError(f"'{term.concept.text}' describes {len(found)} of the pool's {len(pool)} samples, "
                            f"fewer than the {count} exemplars asked for",
                            "use a larger --pool, fewer --exemplars or a looser concept")  # fmt: skip
    return np.sort(generator.choice(found, size=count, replace=False))


def evaluate_terms(pool: Pool, terms: list[Term], exemplars: int = EXEMPLARS, seed: int = 0) -> Arithmetic:
    """The mean latent of each term's exemplars and their signed sum."""
    generator = np.random.default_rng(seed)
    chosen = [choose_exemplars(pool, term, exemplars, generator) for term in terms]
    means = torch.stack([pool.z[torch.from_numpy(index)].mean(dim=0) for index in chosen])  # (T, z_dim)
    signs = torch.tensor([float(term.sign) for term in terms])
    return Arithmetic(terms, chosen, means, signs @ means)


def keep_base_class(trained: TrainedGAN, pool: Pool, outcome: Arithmetic) -> Arithmetic:
    """``outcome`` with its result re-made to keep the base's class (module doc): the base's mean walked by the
    offset, keeping the class the base names, else the class the classifier reads of the base's image.
    Unchanged when the dataset has no shipped classifier to consult."""
    classifier = class_keeping(trained, pool.dataset)
    if classifier is None:
        return outcome
    base, offset, named = outcome.base()
    keep = None if named is None else torch.tensor([named])
    return replace(outcome, result=walk_keeping_class(trained, base[None], offset, classifier, keep)[0])


def arithmetic(pool: Pool, expression: str, exemplars: int = EXEMPLARS, seed: int = 0,
               keep_class: TrainedGAN | None = None) -> Arithmetic:  # fmt: skip
    """Parse ``expression`` (``latent/query.py``) against the pool's dataset and evaluate it: the paper's straight
    sum, or with ``keep_class`` (the run the pool came from) the sum that keeps the base's class."""
    if exemplars < 1:
        raise GanforgeError(f"--exemplars {exemplars} must be 1 or more", "e.g. --exemplars 3 (the DCGAN paper's)")
    outcome = evaluate_terms(pool, parse_expression(expression, pool.dataset), exemplars, seed)
    return outcome if keep_class is None else keep_base_class(keep_class, pool, outcome)


def figure(trained: TrainedGAN, pool: Pool, result: Arithmetic, neighbours: int = NEIGHBOURS,
           seed: int = 0) -> tuple[Tensor, int]:  # fmt: skip
    """The images of DCGAN's figure 7 and the row length: a row per concept (its exemplars, a blank, the image of
    their mean), then the result and its neighbours. Blank cells are mid-grey."""
    width = max(max(len(index) for index in result.exemplars) + 2, neighbours + 1)
    blank = torch.zeros(pool.images.shape[1:])
    mean_images = trained.generate(result.means)
    rows: list[Tensor] = []
    for index, mean_image in zip(result.exemplars, mean_images, strict=True):
        cells = [*pool.images[torch.from_numpy(index)]][: width - 2]
        cells += [blank] * (width - 1 - len(cells)) + [mean_image]
        rows.extend(cells)
    outcome = trained.generate(torch.cat([result.result[None], result.neighbours(neighbours, seed=seed)]))
    rows.extend([*outcome] + [blank] * (width - len(outcome)))
    return torch.stack(rows), width
