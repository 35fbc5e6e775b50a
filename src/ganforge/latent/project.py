"""Projection of real images into a trained G's latent space (GAN inversion) by optimisation from several starts.

For a target x the projection is

    z* = argmin_z ||G(z) - x||^2 + lambda_f ||phi(G(z)) - phi(x)||^2 + lambda_z ||z||^2 / d,

the pixel loss plus a feature loss (Zhu et al. 2016, "Generative visual manipulation on the natural image
manifold", eq. 2 with a perceptual term) and a weak pull towards the prior's typical set. phi is the
penultimate layer of a shipped classifier; the network that *judges* a projection (``JUDGES``) is a
different one, so the figure reported is not the quantity optimised. Optimisation is non-convex, so it runs
from several starts at once: the best ``starts`` of ``candidates`` random latents by the same loss, each then
refined by Adam, and the start with the lowest final loss is kept. With an ``encoder`` (``encoder.py``: trained
on G's own samples) its guess E(x) is one more start beside the random ones, refined the same way, so the
result can only be as good or better by the loss minimised than without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.latent.encoder import Encoder, check_encoder
from ganforge.metrics.extractors import Extractor, get_extractor
from ganforge.trained import TrainedGAN

# The classifier whose features shape the loss, and the other one that judges the result: the judge is the
# dataset's own classifier, the network whose feature space means most there, and never the loss's.
LOSS_NETWORKS = {"mnist": "fashion-cnn", "stacked-mnist": "fashion-cnn", "fashion-mnist": "mnist-cnn"}
JUDGES = {"mnist": "mnist-cnn", "stacked-mnist": "mnist-cnn", "fashion-mnist": "fashion-cnn"}
STARTS = 8
CANDIDATES = 256
STEPS = 150
LEARNING_RATE = 0.05
FEATURE_WEIGHT = 0.05  # features are O(1) per unit over 128 units; pixels O(0.1) over 784: both matter
PRIOR_WEIGHT = 1e-3
BATCH_IMAGES = 16  # targets optimised together


@dataclass
class Projection:
    """Projected latents (N, z_dim), G's images of them (N, C, H, W) and each one's final loss (N,)."""

    z: Tensor
    images: Tensor
    loss: Tensor


def loss_network(dataset: str) -> str:
    """The shipped classifier whose features enter the projection loss for ``dataset``."""
    return LOSS_NETWORKS.get(dataset, "mnist-cnn")


def judge_network(dataset: str) -> str:
    """The shipped classifier that judges projections of ``dataset`` (never the loss's)."""
    return JUDGES.get(dataset, "fashion-cnn")


def check_targets(trained: TrainedGAN, targets: Tensor, where: str = "--input") -> Tensor:
    """``targets`` as (N, C, H, W) float32 of the run's shape, or a one-line error naming the mismatch."""
    shape = tuple(trained.data_shape)
    if len(shape) != 3:
        raise GanforgeError(f"{trained.path} generates 2-D points, not images", "project onto a run trained on images")
    if trained.num_classes:
        raise GanforgeError(f"{trained.path} is class-conditional; projection needs an unconditional run",
                            "project onto a run trained without --condition")  # fmt: skip
    if not isinstance(targets, Tensor) or targets.dim() != 4 or len(targets) == 0:
        got = tuple(targets.shape) if isinstance(targets, Tensor) else type(targets).__name__
        raise GanforgeError(f"{where}: images of shape {got}", f"give images shaped N x {' x '.join(map(str, shape))}")
    if targets.shape[1] != shape[0]:
        kind = {1: "grey", 3: "colour"}
        raise GanforgeError(f"{where}: images with {targets.shape[1]} channels, but this run's G makes "
                            f"{kind.get(shape[0], shape[0])} images with {shape[0]}",
                            f"convert the images to {kind.get(shape[0], shape[0])}")  # fmt: skip
    if tuple(targets.shape[2:]) != shape[1:]:
        raise GanforgeError(f"{where}: images of {targets.shape[3]} x {targets.shape[2]} pixels, but this run's G "
                            f"makes {shape[2]} x {shape[1]}", "resize them to the run's size")  # fmt: skip
    targets = targets.float()
    if not torch.isfinite(targets).all():
        raise GanforgeError(f"{where}: images hold NaN or infinite values", "give finite values in [-1, 1]")
    return targets.clamp(-1, 1)


def _features(network: Extractor, images: Tensor) -> Tensor:
    """phi(images) with gradients (``Extractor.features`` runs without them)."""
    return network.forward(network.adapt(images.clamp(-1, 1)))[0]


class _Objective:
    """The projection loss of each (target, start) pair, with G in eval mode and gradients reaching z."""

    def __init__(self, trained: TrainedGAN, targets: Tensor, network: Extractor, feature_weight: float) -> None:
        self.trained, self.network, self.feature_weight = trained, network, feature_weight
        self.targets = targets.to(trained.device)
        with torch.no_grad():
            self.target_features = _features(network, self.targets)

    def __call__(self, z: Tensor, target_index: Tensor) -> tuple[Tensor, Tensor]:
        """(per-latent loss (M,), images (M, C, H, W)) for latents z (M, z_dim) aimed at targets[target_index]."""
        gan = self.trained.gan
        with gan.sampling_generator() as G:
            G.eval()
            images = gan.generate(z)
        pixel = (images - self.targets[target_index]).pow(2).flatten(1).mean(dim=1)
        feature = (_features(self.network, images) - self.target_features[target_index]).pow(2).mean(dim=1)
        prior = z.pow(2).mean(dim=1)
        return pixel + self.feature_weight * feature + PRIOR_WEIGHT * prior, images


def project(
    trained: TrainedGAN, targets: Tensor, starts: int = STARTS, steps: int = STEPS, candidates: int = CANDIDATES,
    seed: int = 0, feature_weight: float = FEATURE_WEIGHT, learning_rate: float = LEARNING_RATE,
    encoder: Encoder | None = None,
) -> Projection:  # fmt: skip
    """Project ``targets`` (N, C, H, W) in [-1, 1] into ``trained``'s latent space (module doc); ``encoder``: also
    start from its guess E(x) (``encoder.encoder_for``)."""
    targets = check_targets(trained, targets)
    if encoder is not None:
        check_encoder(encoder, trained)
    for name, value in (("starts", starts), ("candidates", candidates)):
        if value < 1:
            raise GanforgeError(f"--{name} {value} must be 1 or more", f"e.g. --{name} {STARTS}")
    if steps < 0:
        raise GanforgeError(f"--steps {steps} must be 0 or more", f"e.g. --steps {STEPS}")
    candidates = max(candidates, starts)
    network = get_extractor(loss_network(trained.config.data.name), trained.device)
    objective = _Objective(trained, targets, network, feature_weight)
    z, loss = [], []
    for first in range(0, len(targets), BATCH_IMAGES):
        index = torch.arange(first, min(first + BATCH_IMAGES, len(targets)))
        batch_z, batch_loss = _project_batch(trained, objective, index, starts, steps, candidates, seed + first,
                                             learning_rate, encoder)  # fmt: skip
        z.append(batch_z)
        loss.append(batch_loss)
    z_all = torch.cat(z)
    return Projection(z_all, trained.generate(z_all), torch.cat(loss))


def _project_batch(trained: TrainedGAN, objective: _Objective, index: Tensor, starts: int, steps: int,
                   candidates: int, seed: int, learning_rate: float,
                   encoder: Encoder | None = None) -> tuple[Tensor, Tensor]:  # fmt: skip
    """(z (B, z_dim), final loss (B,)) of the targets at ``index``, each the best of its ``starts`` refined starts.

    All targets' starts run as one batch: Adam's update is elementwise and the loss a sum of independent
    terms, so each start follows exactly its own optimisation, at a fraction of the cost per image.
    """
    device = trained.device
    uniform = trained.gan.prior == "uniform"
    chosen = []
    with torch.no_grad():  # the starts: for each target, the best of many random latents by the same loss
        pool = trained.latents(candidates, seed)
        for target in index.tolist():
            losses = torch.cat([objective(chunk, torch.full((len(chunk),), target, device=device))[0]
                                for chunk in pool.split(512)])  # fmt: skip
            chosen.append(pool[losses.argsort()[:starts]])
        if encoder is not None:  # E(x): one more start per target, after its random ones
            guesses = encoder.guess(objective.targets[index.to(device)]).to(device)
            chosen = [torch.cat([random, guess[None]]) for random, guess in zip(chosen, guesses, strict=True)]
            starts += 1
    z = torch.cat(chosen).clone().requires_grad_(True)  # (B * starts, z_dim)
    which = index.to(device).repeat_interleave(starts)
    optimiser = torch.optim.Adam([z], lr=learning_rate)
    for _ in range(steps):
        optimiser.zero_grad(set_to_none=True)
        loss, _ = objective(z, which)
        loss.sum().backward()  # the starts are independent: the gradient of the sum is each one's own
        optimiser.step()
        if uniform:
            with torch.no_grad():
                z.clamp_(-1, 1)
    with torch.no_grad():
        final = objective(z, which)[0].view(len(index), starts)
    best = final.argmin(dim=1)  # (B,)
    rows = torch.arange(len(index), device=device) * starts + best
    return z.detach()[rows].cpu(), final.gather(1, best[:, None])[:, 0].cpu()


def psnr(images: Tensor, targets: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB of images against targets, both in [-1, 1] and read in [0, 1]: (N,)."""
    error = ((images.clamp(-1, 1) - targets.clamp(-1, 1)) / 2).pow(2).flatten(1).mean(dim=1)
    return 10 * torch.log10(1 / error.clamp_min(1e-10))


def feature_distance(judge: Extractor, images: Tensor, targets: Tensor) -> Tensor:
    """Euclidean distance between the judge's features of images and targets: (N,)."""
    return (judge.features(images) - judge.features(targets)).norm(dim=1)


def judge(trained: TrainedGAN) -> Extractor:
    """The extractor that judges this run's projections (``judge_network``)."""
    return get_extractor(judge_network(trained.config.data.name), "cpu")


def best_of_random(trained: TrainedGAN, targets: Tensor, count: int = 10_000, seed: int = 1,
                   batch_size: int = 1000) -> tuple[Tensor, Tensor]:  # fmt: skip
    """For each target the best of ``count`` random latents' images: (best PSNR (N,), best judge distance (N,)),
    each the best by its own measure."""
    network = judge(trained)
    target_features = network.features(targets)
    best_psnr = torch.full((len(targets),), -math.inf)
    best_distance = torch.full((len(targets),), math.inf)
    for start in range(0, count, batch_size):
        images = trained.generate(trained.latents(min(batch_size, count - start), seed + start))
        error = ((images[None] - targets[:, None]) / 2).pow(2).flatten(2).mean(dim=2)  # (N, B)
        best_psnr = torch.maximum(best_psnr, 10 * torch.log10(1 / error.min(dim=1).values.clamp_min(1e-10)))
        distance = torch.cdist(target_features, network.features(images))  # (N, B)
        best_distance = torch.minimum(best_distance, distance.min(dim=1).values)
    return best_psnr, best_distance
