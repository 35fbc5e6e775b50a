"""How well the latent-space tools do what they claim, each beside a control that should fail.

- Editing: the share of fresh samples whose attribute moves the asked way by at least half a standard
  deviation of that attribute over the pool, and the share whose class is kept, for the named direction
  and for a random direction of the same length.
- Arithmetic: over pairs of classes (A, B), the share of trials where "thick A - thin A + thin B" is read
  as B by the classifier and is thick (thicker than the median B of the pool), against "thin B" plus a
  random vector as long as "thick A - thin A"; both summed straight (the paper's) or walked keeping class B
  (``arithmetic.keep_base_class``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.latent.arithmetic import evaluate_terms
from ganforge.latent.attributes import measure_images
from ganforge.latent.directions import Direction, class_keeping, edit_latents, random_direction, walk_keeping_class
from ganforge.latent.pool import Pool
from ganforge.latent.query import parse_expression
from ganforge.trained import TrainedGAN

SUCCESS_SHIFT = 0.5  # in standard deviations of the attribute over the pool (issue 18's target)


@dataclass
class EditScore:
    """Shares of samples (in [0, 1]) over ``n`` fresh latents for one direction and signed amount."""

    direction: str
    amount: float
    n: int
    moved: float  # the attribute moved the asked way by >= SUCCESS_SHIFT standard deviations
    kept_class: float | None  # the classifier's class before and after agree
    mean_shift: float  # the mean change of the attribute, in its pool standard deviations, signed as asked
    # where the samples started, as the pool's percentile of the attribute counted in the asked direction (high:
    # already near the end the edit moves towards), for the samples that moved enough and for those that did not
    start_moved: float | None
    start_not_moved: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def score_edit(trained: TrainedGAN, pool: Pool, direction: Direction, amount: float, n: int = 500,
               seed: int = 1, keep_class: bool = False) -> EditScore:  # fmt: skip
    """Edit ``n`` fresh latents (seeded, not the pool's) by ``amount`` along ``direction`` and score the change."""
    name = direction.attribute.removeprefix("random(").removesuffix(")")
    spread = float(pool.attribute(name).std())
    if spread == 0:
        raise GanforgeError(f"'{name}' does not vary over the pool", "use a larger pool or another run")
    z = trained.latents(n, seed).cpu()
    labels = torch.arange(n) % trained.num_classes if trained.num_classes else None
    before = measure_images(trained.generate(z, labels=labels), pool.dataset)
    edited = edit_latents(trained, pool, z, direction, amount, keep_class)
    after = measure_images(trained.generate(edited, labels=labels), pool.dataset)
    shift = np.sign(amount) * (after.values[name] - before.values[name]) / spread
    kept = None if before.classes is None else float((before.classes == after.classes).mean())
    values = np.sort(pool.attribute(name))
    start = np.searchsorted(values, before.values[name]) / len(values)  # the pool's percentile, in [0, 1]
    start = start if amount > 0 else 1 - start
    moved = shift >= SUCCESS_SHIFT
    return EditScore(direction.attribute, amount, n, float(moved.mean()), kept, float(shift.mean()),
                     float(start[moved].mean()) if moved.any() else None,
                     float(start[~moved].mean()) if (~moved).any() else None)  # fmt: skip


def score_edit_with_control(trained: TrainedGAN, pool: Pool, direction: Direction, amount: float, n: int = 500,
                            seed: int = 1, keep_class: bool = False) -> tuple[EditScore, EditScore]:  # fmt: skip
    """The named direction's score and a random direction's of the same length, on the same latents (both walked
    the same way: straight, or keeping the class)."""
    control = random_direction(direction, seed)
    return (score_edit(trained, pool, direction, amount, n, seed, keep_class),
            score_edit(trained, pool, control, amount, n, seed, keep_class))  # fmt: skip


@dataclass
class ArithmeticScore:
    """Over ``trials`` (class pairs x exemplar draws): shares read as class B, as thick, and as both; and the
    share of both among the trials of each class B (keys are the digits, as text: where the sum fails)."""

    trials: int
    is_b: float
    is_thick: float
    both: float
    both_by_b: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def score_arithmetic(trained: TrainedGAN, pool: Pool, pairs: list[tuple[int, int]], draws: int = 5,
                     exemplars: int = 3, control_seed: int = 0, keep_class: bool = False
                     ) -> tuple[ArithmeticScore, ArithmeticScore]:  # fmt: skip
    """Score "thick A - thin A + thin B" over ``pairs`` and ``draws`` exemplar draws each, and its control: "thin B"
    plus a random vector as long as "thick A - thin A"; with ``keep_class`` both are walked keeping class B."""
    classes = pool.measurements.classes
    classifier = class_keeping(trained, pool.dataset)
    if classes is None or classifier is None:
        raise GanforgeError(f"{pool.dataset} has no shipped classifier to read the result's class", "use mnist")
    thickness = pool.attribute("thickness")
    median = {b: float(np.median(thickness[classes == b])) for _, b in pairs}
    generator = torch.Generator().manual_seed(control_seed)
    bases, offsets, randoms, wanted = [], [], [], []
    for a, b in pairs:
        terms = parse_expression(f"thick {a} - thin {a} + thin {b}", pool.dataset)
        for draw in range(draws):
            base, offset, _ = evaluate_terms(pool, terms, exemplars, seed=draw).base()
            random = torch.randn(offset.shape, generator=generator)
            bases.append(base)
            offsets.append(offset)
            randoms.append(random / random.norm() * offset.norm())
            wanted.append(b)
    base = torch.stack(bases)
    if keep_class:
        keep = torch.tensor(wanted)
        results = walk_keeping_class(trained, base, torch.stack(offsets), classifier, keep)
        controls = walk_keeping_class(trained, base, torch.stack(randoms), classifier, keep)
    else:
        results, controls = base + torch.stack(offsets), base + torch.stack(randoms)
    return _score(trained, pool, results, wanted, median), _score(trained, pool, controls, wanted, median)


def _score(trained: TrainedGAN, pool: Pool, z: torch.Tensor, wanted: list[int], median: dict[int, float]
           ) -> ArithmeticScore:  # fmt: skip
    found = measure_images(trained.generate(z), pool.dataset)
    target = np.asarray(wanted)
    is_b = found.classes == target
    is_thick = found.values["thickness"] > np.asarray([median[b] for b in wanted])
    both = is_b & is_thick
    by_b = {str(b): float(both[target == b].mean()) for b in sorted(set(wanted))}
    return ArithmeticScore(len(z), float(is_b.mean()), float(is_thick.mean()), float(both.mean()), by_b)
