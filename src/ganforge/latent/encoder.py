"""A small encoder E: image -> z trained on G's own samples, whose guess warm-starts projection.

Projection by optimisation (``project.py``) starts from the best of many random latents; an encoder gives a
start already near the answer. E is trained on pairs (z, G(z)) drawn fresh from the prior every batch, so
it never sees a real image, with

    L(E) = mean((E(G(z)) - z)^2) + IMAGE_WEIGHT * mean((G(E(G(z))) - G(z))^2),

a latent loss plus an image-reconstruction term through the frozen G: the latent loss alone regresses to the
mean of the latents that make similar images, the image term asks for *a* latent that makes this image (the
in-domain idea of Zhu et al. 2020, "In-Domain GAN Inversion for Real Image Editing", and the encoder start of
pSp, Richardson et al. 2021, on a CPU budget). It is a few strided convolutions and trains in about a minute
on one CPU thread for a 28 px DCGAN.

A trained encoder is cached in the run folder, beside the checkpoint it was trained for:
``RUN/encoders/step_XXXXXX-NNNNsteps-DIGEST.safetensors``, where DIGEST is the start of a sha256 over G's
weights, so a newer checkpoint gets its own file and a file is only ever reused for the G it was trained on.
Writes are atomic; a file already there is never overwritten (one that does not read as this G's encoder is
left alone and the encoder is trained afresh, without caching).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import safe_open, save_file
from torch import Tensor, nn

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError
from ganforge.run import tensors_digest
from ganforge.trained import TrainedGAN

log = logging.getLogger("ganforge")

FORMAT = "ganforge-encoder/1"
FOLDER = "encoders"
STEPS = 600  # Adam steps, each on BATCH fresh samples
BATCH = 32
LEARNING_RATE = 1e-3
IMAGE_WEIGHT = 8.0  # pixels in [-1, 1] differ by O(0.05) in mean square, latents by O(1): both matter
WIDTH = 32  # channels of the first convolution; doubled at each stride


class Encoder(nn.Module):
    """E: images (N, C, H, W) in [-1, 1] -> latents (N, latent_dim): three stride-2 convolutions, then two
    linear layers. ``uniform``: squash the output into U[-1, 1]'s support with tanh."""

    def __init__(self, data_shape: tuple[int, int, int], latent_dim: int, uniform: bool = False,
                 width: int = WIDTH) -> None:  # fmt: skip
        super().__init__()
        channels = data_shape[0]
        self.data_shape, self.latent_dim, self.uniform, self.width = tuple(data_shape), latent_dim, uniform, width
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),  # (N, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),  # (N, 2w, H/4, W/4)
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1), nn.LeakyReLU(0.2),  # (N, 4w, H/8, W/8): 4 x 4 at 28 or 32 px
            nn.AdaptiveAvgPool2d(4),  # (N, 4w, 4, 4) whatever the image size
            nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Linear(4 * width * 16, 256), nn.LeakyReLU(0.2), nn.Linear(256, latent_dim))
        # What the file records: which G it was trained for, how, and how long it took.
        self.trained_for: dict[str, object] = {}

    def forward(self, images: Tensor) -> Tensor:
        z = self.head(self.features(images))
        return torch.tanh(z) if self.uniform else z

    @torch.no_grad()
    def guess(self, images: Tensor) -> Tensor:
        """E(images) without gradients, on the encoder's device: (N, latent_dim)."""
        self.eval()
        device = next(self.parameters()).device
        return torch.cat([self(chunk.to(device)) for chunk in images.float().split(256)])

    @property
    def seconds(self) -> float:
        """Seconds its training took (as recorded when it was trained)."""
        return float(self.trained_for.get("seconds", 0.0))


def generator_digest(trained: TrainedGAN) -> str:
    """sha256 over the weights of the G that samples (G_ema where the run keeps one): what an encoder is for."""
    with trained.gan.sampling_generator() as G:
        return tensors_digest(dict(G.state_dict()))


def _latent_dim(trained: TrainedGAN) -> int:
    return int(trained.latents(1).shape[1])  # z_dim, plus InfoGAN's codes where the run has them


def check_encoder_run(trained: TrainedGAN) -> None:
    """A one-line error unless ``trained`` is an unconditional run that generates images from noise."""
    if len(trained.data_shape) != 3:
        raise GanforgeError(f"{trained.path} generates 2-D points, not images", "use a run trained on images")
    if trained.num_classes:
        raise GanforgeError(f"{trained.path} is class-conditional; the encoder needs an unconditional run",
                            "use a run trained without --condition")  # fmt: skip
    _latent_dim(trained)  # a task run without a latent space says so here


@contextmanager
def _frozen(module: nn.Module) -> Iterator[None]:
    """``module`` in eval mode with no gradients for its weights (they still flow through it to the input)."""
    was_training = module.training
    flags = [parameter.requires_grad for parameter in module.parameters()]
    module.eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in zip(module.parameters(), flags, strict=True):
            parameter.requires_grad_(flag)
        module.train(was_training)


def train_encoder(trained: TrainedGAN, steps: int = STEPS, batch_size: int = BATCH, seed: int = 0,
                  learning_rate: float = LEARNING_RATE, image_weight: float = IMAGE_WEIGHT) -> Encoder:  # fmt: skip
    """Train an encoder on ``steps`` batches of fresh (z, G(z)) pairs of ``trained``'s G (module doc)."""
    check_encoder_run(trained)
    if steps < 1 or batch_size < 1:
        raise GanforgeError(f"--encoder-steps {steps} and batch {batch_size} must be 1 or more",
                            f"e.g. --encoder-steps {STEPS}")  # fmt: skip
    began = time.perf_counter()
    device = trained.device
    with torch.random.fork_rng(devices=[]):  # E's initial weights, reproducibly, leaving the global stream alone
        torch.manual_seed(seed)
        encoder = Encoder(trained.data_shape, _latent_dim(trained), trained.gan.prior == "uniform").to(device)
    optimiser = torch.optim.Adam(encoder.parameters(), lr=learning_rate, betas=(0.9, 0.99))
    stream = torch.Generator(device).manual_seed(seed)  # the latents' own stream
    encoder.train()
    history = []
    with trained.gan.sampling_generator() as G, _frozen(G):
        for _ in range(steps):
            z = trained.gan.sample_latent(batch_size, stream)  # (B, latent_dim), fresh every batch
            with torch.no_grad():
                x = trained.gan.generate(z)  # (B, C, H, W)
            z_hat = encoder(x)
            latent_loss = (z_hat - z).pow(2).mean()
            image_loss = (trained.gan.generate(z_hat) - x).pow(2).mean()  # through the frozen G
            optimiser.zero_grad(set_to_none=True)
            (latent_loss + image_weight * image_loss).backward()
            optimiser.step()
            history.append((latent_loss.detach(), image_loss.detach()))
    tail = torch.tensor([[float(a), float(b)] for a, b in history[-50:]]).mean(dim=0)
    encoder.eval()
    encoder.trained_for = {
        "step": trained.step, "generator": generator_digest(trained), "steps": steps, "batch_size": batch_size,
        "seed": seed, "learning_rate": learning_rate, "image_weight": image_weight,
        "latent_loss": float(tail[0]), "image_loss": float(tail[1]), "seconds": time.perf_counter() - began,
    }  # fmt: skip
    return encoder


def cache_path(trained: TrainedGAN, steps: int = STEPS, digest: str | None = None) -> Path:
    """Where the encoder of ``steps`` training steps for ``trained``'s checkpoint is cached."""
    digest = digest or generator_digest(trained)
    return trained.path / FOLDER / f"step_{trained.step:06d}-{steps}steps-{digest[:12]}.safetensors"


def save_encoder(encoder: Encoder, path: Path) -> None:
    """Write ``encoder`` (weights, shape and what it was trained for) to ``path`` atomically."""
    meta = {"data_shape": list(encoder.data_shape), "latent_dim": encoder.latent_dim, "uniform": encoder.uniform,
            "width": encoder.width, **encoder.trained_for}  # fmt: skip
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in encoder.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "meta": json.dumps(meta)})


def read_encoder(path: Path, device: torch.device | str = "cpu") -> Encoder:
    """An encoder from ``path`` (written by ``save_encoder``), or a GanforgeError saying why it is not one."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118 - a file handle
    except (SafetensorError, OSError, ValueError) as error:
        raise GanforgeError(f"encoder file {path} cannot be read ({error})", "delete it to train afresh") from None
    if metadata.get("format") != FORMAT:
        raise GanforgeError(f"{path} is not a ganforge encoder", "move it out of the run's encoders/ folder")
    try:
        meta = json.loads(metadata["meta"])
        encoder = Encoder(tuple(meta["data_shape"]), int(meta["latent_dim"]), bool(meta["uniform"]), int(meta["width"]))
        encoder.load_state_dict(tensors)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise GanforgeError(f"encoder file {path} is damaged ({type(error).__name__})", "delete it to train afresh")\
            from None  # fmt: skip
    encoder.trained_for = {key: value for key, value in meta.items()
                           if key not in ("data_shape", "latent_dim", "uniform", "width")}  # fmt: skip
    return encoder.to(device).eval()


def check_encoder(encoder: Encoder, trained: TrainedGAN) -> None:
    """A one-line error unless ``encoder`` maps ``trained``'s images to its latents."""
    if not isinstance(encoder, Encoder):
        raise GanforgeError(f"encoder: got {type(encoder).__name__}", "give one from ganforge.latent.encoder_for")
    latent_dim = _latent_dim(trained)
    if encoder.data_shape != tuple(trained.data_shape) or encoder.latent_dim != latent_dim:
        raise GanforgeError(f"the encoder maps {encoder.data_shape} images to {encoder.latent_dim}-d latents, but "
                            f"{trained.path} makes {tuple(trained.data_shape)} images from {latent_dim}-d latents",
                            "use an encoder trained for this run (encoder_for)")  # fmt: skip


def encoder_for(trained: TrainedGAN, steps: int = STEPS, seed: int = 0, cache: bool = True) -> tuple[Encoder, bool]:
    """(the encoder for ``trained``'s checkpoint, whether it came from the cache): read from the run folder when
    trained before for this G with ``steps`` steps, else trained now and cached there (module doc)."""
    check_encoder_run(trained)
    if steps < 1:
        raise GanforgeError(f"--encoder-steps {steps} must be 1 or more", f"e.g. --encoder-steps {STEPS}")
    digest = generator_digest(trained)
    path = cache_path(trained, steps, digest)
    if cache and path.is_file():
        try:
            encoder = read_encoder(path, trained.device)
            if encoder.trained_for.get("generator") != digest:
                raise GanforgeError(f"{path} was trained for another G", "delete it to train afresh")
            check_encoder(encoder, trained)
            return encoder, True
        except GanforgeError as error:  # a file there that is not this G's encoder: never overwritten
            log.warning("%s; training a new encoder without caching it", error)
            cache = False
    encoder = train_encoder(trained, steps, seed=seed)
    if cache:
        try:
            save_encoder(encoder, path)
        except OSError as error:  # a cache is a convenience: projection goes on without it
            log.warning("could not cache the encoder in %s (%s)", path, error.strerror or error)
    return encoder, False
