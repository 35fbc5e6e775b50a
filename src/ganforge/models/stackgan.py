"""StackGAN's networks (Zhang et al. 2017), CPU-sized: conditioning augmentation, stage-I G and the
matching-aware D, and stage II's G and D.

    c = mu(phi_t) + sigma(phi_t) * eps,  eps ~ N(0, I)      conditioning augmentation (sec. 3.1), with its KL term
    x_I  = G_I(z, c)                                         stage I: text + noise -> a coarse 32 px picture
    x_II = G_II(x_I, c_II)                                   stage II: stage I's picture + the text -> 64 px
    D(x, phi_t)                                              image features joined with the compressed text

G owns the frozen caption encoder (``models/text.py``) as ``G.text``, so a checkpoint holds everything a
trained run reads captions with; D reads the embedding G's encoder gives (``gans/stackgan.py`` passes it).
eps is the tail of G's latent (``z[:, z_dim:]``), drawn from the run's latent stream: sampling stays
reproducible by seed and no network draws random numbers itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.models.text import EMBED_DIM, TextEncoder

C_DIM = 32  # the conditioning vector c (the paper: 128)
TEXT_DIM = 32  # D's compressed text embedding, replicated over its 4 x 4 map (the paper: 128)


class ConditioningAugmentation(nn.Module):
    """phi_t -> (mu, log sigma^2) of the Gaussian c is drawn from (Zhang et al. 2017, sec. 3.1)."""

    def __init__(self, embed_dim: int = EMBED_DIM, c_dim: int = C_DIM) -> None:
        super().__init__()
        self.fc = nn.Linear(embed_dim, 2 * c_dim)

    def forward(self, embedding: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = F.leaky_relu(self.fc(embedding), 0.2).chunk(2, dim=1)  # (N, c_dim) each
        return mu, logvar

    @staticmethod
    def sample(mu: Tensor, logvar: Tensor, eps: Tensor, augment: bool = True) -> Tensor:
        """c = mu + sigma * eps, the reparameterisation trick; without ``augment``, c = mu (the no-CA ablation)."""
        return mu + torch.exp(0.5 * logvar) * eps if augment else mu


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """D_KL(N(mu, sigma^2) || N(0, I)), summed over c's dimensions and averaged over the batch (eq. 6's term)."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()


def _up(cin: int, cout: int) -> nn.Sequential:
    """Nearest-neighbour upsampling by 2 and a 3 x 3 convolution, batch norm and ReLU (the paper's up-block)."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))  # fmt: skip


def _down(cin: int, cout: int, norm: str) -> nn.Module:
    """A 4 x 4 stride-2 convolution halving the side, normalised by ``norm``, and LeakyReLU(0.2)."""
    conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=norm != "batch")
    layers: list[nn.Module] = [spectral_norm(conv) if norm == "spectral" else conv]
    if norm == "batch":
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class StageIGenerator(nn.Module):
    """G_I(z, text) -> (N, 3, 32, 32) in [-1, 1]; ``z`` is (N, z_dim + C_DIM): the noise, then CA's eps."""

    def __init__(self, text: TextEncoder, z_dim: int, width: int, augment: bool = True) -> None:
        super().__init__()
        self.text = text
        self.z_dim = z_dim
        self.augment = augment
        self.ca = ConditioningAugmentation()
        self.width = width
        self.fc = nn.Sequential(nn.Linear(z_dim + C_DIM, 4 * 4 * 4 * width, bias=False),
                                nn.BatchNorm1d(4 * 4 * 4 * width), nn.ReLU(inplace=True))  # fmt: skip
        self.body = nn.Sequential(_up(4 * width, 2 * width), _up(2 * width, width), _up(width, width // 2))  # 4 -> 32
        self.to_rgb = nn.Conv2d(width // 2, 3, 3, padding=1)

    def embed(self, ids: Tensor) -> Tensor:
        """The frozen encoder's sentence embeddings phi_t (N, EMBED_DIM) of character ids (N, L), scaled from unit
        length to unit-sized coordinates: at initialisation CA's mu then carries the text at about the scale of
        its noise, instead of a twentieth of it."""
        with torch.no_grad():
            return self.text(ids) * EMBED_DIM**0.5

    def condition(self, embedding: Tensor, eps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(c, mu, logvar) for ``embedding``: c drawn by CA with ``eps`` (or c = mu without CA)."""
        mu, logvar = self.ca(embedding)
        return ConditioningAugmentation.sample(mu, logvar, eps, self.augment), mu, logvar

    def forward(self, z: Tensor, ids: Tensor) -> Tensor:
        c, _, _ = self.condition(self.embed(ids), z[:, self.z_dim :])
        h = self.fc(torch.cat([z[:, : self.z_dim], c], 1)).view(len(z), 4 * self.width, 4, 4)  # (N, 4w, 4, 4)
        return torch.tanh(self.to_rgb(self.body(h)))  # (N, 3, 32, 32)


class MatchingDiscriminator(nn.Module):
    """D(x, phi_t) -> logits (N,): image features at 4 x 4 joined with the compressed text, replicated
    spatially, then a 1 x 1 and a 4 x 4 convolution (Reed et al. 2016; Zhang et al. 2017, fig. 2).

    With ``classes``, D also reads the class from the image features alone, a linear head beside the text
    join (TAC-GAN, Dash et al. 2017): ``forward(x, phi_t, with_classes=True)`` returns (logits, class logits)."""

    def __init__(self, side: int, width: int, norm: str, classes: int = 0) -> None:
        super().__init__()
        layers: list[nn.Module] = [_down(3, width, "none")]  # no normalisation on the input layer (DCGAN)
        channels, size = width, side // 2
        while size > 4:
            layers.append(_down(channels, min(2 * channels, 8 * width), norm))
            channels, size = min(2 * channels, 8 * width), size // 2
        self.image = nn.Sequential(*layers)  # (N, channels, 4, 4)
        self.compress = nn.Sequential(nn.Linear(EMBED_DIM, TEXT_DIM), nn.LeakyReLU(0.2, inplace=True))
        joint = nn.Conv2d(channels + TEXT_DIM, channels, 1)
        self.joint = nn.Sequential(
            spectral_norm(joint) if norm == "spectral" else joint, nn.LeakyReLU(0.2, inplace=True)
        )
        self.out = nn.Conv2d(channels, 1, 4)
        self.classify = nn.Linear(channels * 4 * 4, classes) if classes else None

    def forward(self, x: Tensor, embedding: Tensor, with_classes: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        h = self.image(x)  # (N, C, 4, 4)
        t = self.compress(embedding)[:, :, None, None].expand(-1, -1, 4, 4)  # (N, TEXT_DIM, 4, 4)
        logits = self.out(self.joint(torch.cat([h, t], 1))).flatten()  # (N,)
        if not with_classes:
            return logits
        if self.classify is None:
            raise ValueError("this D was built without a class head (classes=0)")
        return logits, self.classify(h.flatten(1))  # (N,), (N, classes)


class ResidualBlock(nn.Module):
    """x + conv-BN-ReLU-conv-BN(x) (stage II's residual blocks)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                                   nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                                   nn.BatchNorm2d(channels))  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x + self.block(x))


class StackGenerator(nn.Module):
    """G(z, text) -> (N, 3, 64, 64): stage I's 32 px picture, encoded to 8 x 8, joined with stage II's own CA
    vector c_II, residual blocks, and upsampled to 64 px (Zhang et al. 2017, sec. 3.3). ``stages`` returns both
    pictures. Training follows the paper: stage I alone for ``stage1_steps`` G updates (G then returns stage I's
    32 px picture), then stage II with stage I held fixed. ``stage1_left``, the stage-I updates still to go,
    is a buffer, so checkpoints carry it and a resumed or rebuilt G knows which stage it is in."""

    def __init__(self, stage1: StageIGenerator, width: int, stage1_steps: int, blocks: int = 2) -> None:
        super().__init__()
        self.stage1 = stage1
        self.register_buffer("stage1_left", torch.tensor(stage1_steps, dtype=torch.int64))
        self.z_dim = stage1.z_dim
        self.augment = stage1.augment
        self.ca = ConditioningAugmentation()
        self.encode = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.ReLU(inplace=True),
            _down(width, 2 * width, "batch"),
            _down(2 * width, 4 * width, "batch"),
        )  # 32 -> 8
        self.joint = nn.Sequential(nn.Conv2d(4 * width + C_DIM, 4 * width, 3, padding=1, bias=False),
                                   nn.BatchNorm2d(4 * width), nn.ReLU(inplace=True))  # fmt: skip
        self.residual = nn.Sequential(*[ResidualBlock(4 * width) for _ in range(blocks)])
        self.up = nn.Sequential(_up(4 * width, 2 * width), _up(2 * width, width), _up(width, width // 2))  # 8 -> 64
        self.to_rgb = nn.Conv2d(width // 2, 3, 3, padding=1)

    def embed(self, ids: Tensor) -> Tensor:
        return self.stage1.embed(ids)

    def condition(self, embedding: Tensor, eps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Stage II's (c, mu, logvar), from its own CA and the same eps as stage I."""
        mu, logvar = self.ca(embedding)
        return ConditioningAugmentation.sample(mu, logvar, eps, self.augment), mu, logvar

    @property
    def in_stage1(self) -> bool:
        """Whether stage I is still training (G then returns 32 px pictures)."""
        return bool(self.stage1_left > 0)

    def stages(self, z: Tensor, ids: Tensor) -> tuple[Tensor, Tensor]:
        """(stage I's 32 px picture, stage II's 64 px picture); stage I held fixed, in eval mode."""
        self.stage1.eval()
        with torch.no_grad():
            low = self.stage1(z, ids)
        c, _, _ = self.condition(self.embed(ids), z[:, self.z_dim :])
        h = self.encode(low)  # (N, 4w, 8, 8)
        h = self.joint(torch.cat([h, c[:, :, None, None].expand(-1, -1, *h.shape[-2:])], 1))
        return low, torch.tanh(self.to_rgb(self.up(self.residual(h))))

    def forward(self, z: Tensor, ids: Tensor) -> Tensor:
        if self.in_stage1:
            self.stage1.train(self.training)
            return self.stage1(z, ids)  # (N, 3, 32, 32)
        return self.stages(z, ids)[1]  # (N, 3, 64, 64)


class StackDiscriminator(nn.Module):
    """Stage I's D (32 px) and stage II's D (64 px) in one module, so one optimiser trains whichever plays:
    ``forward`` judges by the picture's side."""

    def __init__(self, width: int, norm: str, classes: int = 0) -> None:
        super().__init__()
        self.stage1 = MatchingDiscriminator(32, width, norm, classes)
        self.stage2 = MatchingDiscriminator(64, width, norm, classes)

    def forward(self, x: Tensor, embedding: Tensor, with_classes: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        return (self.stage1 if x.shape[-1] == 32 else self.stage2)(x, embedding, with_classes)
