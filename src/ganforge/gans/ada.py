"""Adaptive discriminator augmentation, ADA (Karras, Aittala, Hellsten, Laine, Lehtinen and Aila, 2020).

"Training Generative Adversarial Networks with Limited Data". Like DiffAugment (``gans/augment.py``) every
image D sees, real or generated, in D's update and in G's, passes through the same differentiable random
pipeline, so G's gradient flows through it and G is not taught to draw augmented images. What ADA adds is
the strength: each transform is applied to an image with probability p, and p follows D's overfitting,
measured by the heuristic of sec. 3 (eq. 1),

    r_t = E[sign(D_train)]        over D's logits of the real training images in its own updates,

which is 0 when D cannot tell real from fake and tends to 1 when D is sure of every training image. Every
``INTERVAL`` D updates p moves by sign(r_t - target) * (images seen in them) / ``images_to_one``, so p can
climb from 0 to 1 in ``images_to_one`` real images (the paper: 500k images, target 0.6), and is clipped to
[0, 1]. p starts at 0; at p = 0 the pipeline is the identity.

The pipeline, in the paper's order (its "bgc" set: blit, geometric, colour; Appendix B, with its ranges):

    x-flip               mirror left-right with probability 1/2
    90-degree rotation   by 0, 90, 180 or 270 degrees
    integer translation  by up to 1/8 of the side in each direction, whole pixels
    isotropic scale      by s ~ lognormal(0, (0.2 ln 2)^2)
    rotation             by U(-pi, pi), with probability 1 - sqrt(1 - p) before and after the anisotropic scale
    anisotropic scale    by s and 1/s along the axes, s ~ lognormal(0, (0.2 ln 2)^2)
    fractional shift     by N(0, (1/8 of the side)^2) in each direction
    brightness           + N(0, 0.2^2)
    contrast             x lognormal(0, (0.5 ln 2)^2), around mid-grey (0 in [-1, 1])
    saturation           x lognormal(0, (ln 2)^2) around each pixel's grey level (3-channel images only)

The geometric transforms compose into one affine map per image, applied by one bilinear resampling with
reflected borders; the paper's anti-aliasing filters and its luma flip and hue rotation are left out. A
resampled image stays within its own range; the colour transforms, as in the paper, may leave [-1, 1].

p lives on D's device and moves without any host synchronisation; it, the heuristic's running sums and the
pipeline's seeded ``torch.Generator`` are saved in checkpoints, so a resumed run continues them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ganforge import engine, stats
from ganforge.errors import GanforgeError

TARGET = 0.6  # the paper's target for r_t
IMAGES_TO_ONE = 500_000  # the paper's speed: p can go from 0 to 1 in this many real images
INTERVAL = 4  # D updates between adjustments of p (the paper's N = 4 minibatches)

SCALE_STD = 0.2 * math.log(2)  # lognormal scales: isotropic and anisotropic
TRANSLATION_RATIO = 0.125  # integer translation: up to 1/8 of the side; fractional: a std of 1/8
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5 * math.log(2)
SATURATION_STD = math.log(2)


def parse_ada(text: str) -> float | None:
    """The target of ``train.augment`` "ada" (0.6) or "ada:T"; None when ``text`` names DiffAugment policies."""
    name, _, target = text.strip().partition(":")
    if name.strip() != "ada":
        if "ada" in [part.strip() for part in text.replace(":", ",").split(",")]:
            raise GanforgeError(
                f"train.augment={text!r} mixes ADA with DiffAugment policies",
                "choose one: train.augment=ada (or ada:0.6) or DiffAugment policies such as translation,cutout,color",
            )
        return None
    if not target.strip():
        return TARGET
    try:
        value = float(target)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise GanforgeError(
            f"train.augment={text!r}: ADA's target for E[sign D(x_real)] must be a number in (0, 1)",
            "use train.augment=ada (the paper's 0.6) or e.g. ada:0.6",
        )
    return value


class AdaptiveAugment:
    """The ADA pipeline at probability ``p``, and the overfitting heuristic that steers p toward ``target``."""

    def __init__(
        self, generator: torch.Generator, batch_size: int, target: float = TARGET, images_to_one: int = IMAGES_TO_ONE
    ) -> None:
        self.generator = generator  # the pipeline's own seeded stream (checkpoints save it)
        self.target = target
        self.step_size = batch_size * INTERVAL / images_to_one  # p's move per adjustment
        device = generator.device
        self.p = torch.zeros((), device=device)
        self.sign_sum = torch.zeros((), device=device)  # sum of sign(D(x_real)) since the last adjustment
        self.sign_count = torch.zeros((), device=device)  # how many logits went into it
        self.updates = torch.zeros((), dtype=torch.int64)  # D updates since the last adjustment (a CPU counter)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Augment a batch of images (N, C, H, W) -> (N, C, H, W), each transform with probability p."""
        if x.dim() != 4:
            raise GanforgeError(
                f"ADA transforms images (N, C, H, W), not tensors of shape {tuple(x.shape)}",
                "leave train.augment unset for 2-D data",
            )
        return augment(x, self.p, self.generator)

    def observe(self, real_logits: torch.Tensor) -> None:
        """Add D's logits of a real training batch (in D's own update) to the heuristic r_t."""
        signs = torch.sign(real_logits.detach().float())
        self.sign_sum = self.sign_sum + signs.sum()
        self.sign_count = self.sign_count + signs.numel()
        stats.report("augment/r_t", signs.mean())

    def after_d_update(self) -> None:
        """Count one D update; every ``INTERVAL`` of them move p by one step toward r_t = target."""
        stats.report("augment/p", self.p)
        self.updates += 1
        if int(self.updates) < INTERVAL:
            return
        # Under torchrun every process saw its share of the batch: p moves on the global r_t, alike everywhere.
        sums = engine.all_reduce_mean(torch.stack([self.sign_sum, self.sign_count]))
        r_t = sums[0] / sums[1].clamp_min(1)
        self.p = (self.p + torch.sign(r_t - self.target) * self.step_size).clamp(0, 1)
        self.sign_sum = torch.zeros_like(self.sign_sum)
        self.sign_count = torch.zeros_like(self.sign_count)
        self.updates.zero_()

    def state(self) -> dict[str, torch.Tensor]:
        """p and the heuristic's running sums, for checkpoints."""
        return {"p": self.p, "sign_sum": self.sign_sum, "sign_count": self.sign_count, "updates": self.updates}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Continue from a checkpoint's ``state()``."""
        device = self.p.device
        self.p = tensors["p"].to(device)
        self.sign_sum = tensors["sign_sum"].to(device)
        self.sign_count = tensors["sign_count"].to(device)
        self.updates = tensors["updates"].cpu().clone()


def augment(x: torch.Tensor, p: torch.Tensor | float, generator: torch.Generator) -> torch.Tensor:
    """The whole pipeline at probability ``p``: geometric transforms (one resampling), then colour. Computed in
    float32 (the affine maps need it under bf16 autocast) and returned in ``x``'s dtype."""
    return color(geometric(x.float(), p, generator), p, generator).to(x.dtype)


def geometric(x: torch.Tensor, p: torch.Tensor | float, generator: torch.Generator) -> torch.Tensor:
    """Flip, 90-degree rotation, integer translation, scales, rotations and fractional translation, each
    with probability p per image, composed into one affine map and applied by one bilinear resampling."""
    n, _, height, width = x.shape
    draw = _Draws(n, x, generator)
    p_rotation = 1 - torch.sqrt(1 - torch.as_tensor(p, dtype=x.dtype, device=x.device))  # twice: p in all
    # Each transform's inverse, output pixel -> input pixel, in pixel units about the image centre (3 x 3).
    # Every distribution below is symmetric, so drawing the inverse directly is drawing the transform.
    flip = draw.coin(p) * draw.integer(2)  # 1: mirror
    inverse = _scale(1 - 2 * flip, torch.ones_like(flip))
    quarter_turns = draw.coin(p) * draw.integer(4)
    inverse = inverse @ _rotate(quarter_turns * (math.pi / 2))
    shift = torch.stack([width * draw.uniform(-TRANSLATION_RATIO, TRANSLATION_RATIO),
                         height * draw.uniform(-TRANSLATION_RATIO, TRANSLATION_RATIO)]).round()  # fmt: skip
    inverse = inverse @ _translate(*(shift * draw.coin(p)))
    scale = torch.exp(draw.normal(SCALE_STD) * draw.coin(p))
    inverse = inverse @ _scale(scale, scale)
    inverse = inverse @ _rotate(draw.uniform(-math.pi, math.pi) * draw.coin(p_rotation))
    aspect = torch.exp(draw.normal(SCALE_STD) * draw.coin(p))
    inverse = inverse @ _scale(aspect, 1 / aspect)
    inverse = inverse @ _rotate(draw.uniform(-math.pi, math.pi) * draw.coin(p_rotation))
    shift = torch.stack([width * draw.normal(TRANSLATION_RATIO), height * draw.normal(TRANSLATION_RATIO)])
    inverse = inverse @ _translate(*(shift * draw.coin(p)))
    return warp(x, inverse)


def warp(x: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
    """Resample each image (N, C, H, W) by its affine map ``inverse`` (N, 3, 3): output pixel -> input pixel in
    pixel units about the image centre; bilinear, with reflected borders. Images whose map is the identity
    pass exactly."""
    n, _, height, width = x.shape
    # Pixel units -> grid_sample's [-1, 1] units: theta = S^-1 A S, S = diag(W/2, H/2, 1).
    to_pixels = torch.diag(torch.tensor([width / 2, height / 2, 1.0], dtype=x.dtype, device=x.device))
    theta = (torch.linalg.inv(to_pixels) @ inverse @ to_pixels)[:, :2]  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    warped = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    moved = (inverse - torch.eye(3, dtype=x.dtype, device=x.device)).abs().flatten(1).amax(1) > 1e-6  # (N,)
    return torch.where(moved.view(n, 1, 1, 1), warped, x)  # untouched images pass exactly (p = 0: identity)


def color(x: torch.Tensor, p: torch.Tensor | float, generator: torch.Generator) -> torch.Tensor:
    """Brightness, contrast and (3-channel images) saturation, each with probability p per image."""
    n = x.shape[0]
    draw = _Draws(n, x, generator)
    x = x + (draw.normal(BRIGHTNESS_STD) * draw.coin(p)).view(n, 1, 1, 1)
    x = x * torch.exp(draw.normal(CONTRAST_STD) * draw.coin(p)).view(n, 1, 1, 1)
    saturation = torch.exp(draw.normal(SATURATION_STD) * draw.coin(p)).view(n, 1, 1, 1)
    if x.shape[1] == 3:  # grey images have no saturation; the draws above keep the stream the same either way
        grey = x.mean(dim=1, keepdim=True)
        x = x + (x - grey) * (saturation - 1)  # = grey + (x - grey) * saturation, exactly x at saturation 1
    return x


class _Draws:
    """Per-image random numbers (N,) from one generator, on the images' device and dtype."""

    def __init__(self, n: int, like: torch.Tensor, generator: torch.Generator) -> None:
        self.n, self.like, self.generator = n, like, generator

    def _rand(self) -> torch.Tensor:
        return torch.rand(self.n, generator=self.generator, device=self.like.device, dtype=self.like.dtype)

    def coin(self, p: torch.Tensor | float) -> torch.Tensor:
        """1 with probability p, else 0."""
        return (self._rand() < p).to(self.like.dtype)

    def integer(self, high: int) -> torch.Tensor:
        """U{0, ..., high - 1}, as floats."""
        return torch.randint(0, high, (self.n,), generator=self.generator, device=self.like.device).to(self.like.dtype)

    def uniform(self, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * self._rand()

    def normal(self, std: float) -> torch.Tensor:
        return std * torch.randn(self.n, generator=self.generator, device=self.like.device, dtype=self.like.dtype)


def _matrices(entries: list[list[torch.Tensor | float]], like: torch.Tensor) -> torch.Tensor:
    """A batch of 3 x 3 matrices (N, 3, 3) from rows of per-image values (N,) or constants."""
    n = like.shape[0]
    rows = [torch.stack([torch.as_tensor(v, dtype=like.dtype, device=like.device).expand(n) for v in row], -1)
            for row in entries]  # fmt: skip
    return torch.stack(rows, 1)


def _scale(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    return _matrices([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]], sx)


def _rotate(angle: torch.Tensor) -> torch.Tensor:
    cos, sin = torch.cos(angle), torch.sin(angle)
    return _matrices([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]], angle)


def _translate(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    return _matrices([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]], tx)
