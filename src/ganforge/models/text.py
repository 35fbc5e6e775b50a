"""A caption encoder trained here, and the image encoder it is trained against (contrastively).

StackGAN conditions on a sentence embedding from Reed et al. (2016)'s char-CNN-RNN, trained beforehand to
match images and their descriptions. ``TextEncoder`` plays that role: it reads characters (so any word
encodes, and user captions need no vocabulary), through a char-CNN with dilated convolutions and max and
mean pooling, into a unit-length embedding. It is trained with ``ImageEncoder`` on a symmetric InfoNCE
(CLIP-style) image-caption objective by ``scripts/train_text_encoders.py``, then frozen: the weights ship as
safetensors in ``metrics/weights/`` (``text-<data>``, conditioning G; ``retrieval-<data>``, a separately
trained pair that measures R-precision, never seen by G). A ``captions:DIR`` run trains its own pair at load
time with ``fit_encoders``.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file
from torch import Tensor, nn

from ganforge.data.captions import ALPHABET
from ganforge.errors import GanforgeError

EMBED_DIM = 128
CHANNELS = 64
HEAD_SCALE = 8.0  # the unit-length embedding's scale into the attribute heads: logits of a useful size from the start
ARCHITECTURE = "char-cnn-v1"  # stored in the weights' metadata; change it when the layers below change
WEIGHTS = Path(__file__).resolve().parent.parent / "metrics" / "weights"
SHIPPED = {"fashion-mnist": "fashion", "mnist": "mnist"}  # base data -> weights name suffix


class TextEncoder(nn.Module):
    """Character ids (N, L) -> a unit-length sentence embedding (N, EMBED_DIM)."""

    def __init__(self, channels: int = CHANNELS, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.chars = nn.Embedding(len(ALPHABET) + 2, 16, padding_idx=0)  # + padding and "other"
        self.convs = nn.ModuleList([
            nn.Conv1d(16, channels, 5, padding=2),
            nn.Conv1d(channels, channels, 3, padding=2, dilation=2),  # receptive field of words and their neighbours
            nn.Conv1d(channels, channels, 3, padding=4, dilation=4),
        ])  # fmt: skip
        self.out = nn.Linear(2 * channels, embed_dim)

    def forward(self, ids: Tensor) -> Tensor:
        present = (ids > 0).float()[:, None]  # (N, 1, L)
        h = self.chars(ids).transpose(1, 2)  # (N, 16, L)
        for conv in self.convs:
            h = F.relu(conv(h)) * present
        pooled_max = (h - (1 - present) * 1e4).max(2).values  # padding never wins the max
        pooled_mean = h.sum(2) / present.sum(2).clamp(min=1)
        return F.normalize(self.out(torch.cat([pooled_max, pooled_mean], 1)), dim=1)


class ImageEncoder(nn.Module):
    """RGB images (N, 3, H, W) in [-1, 1] (resized to 32 px) -> a unit-length embedding (N, EMBED_DIM)."""

    def __init__(self, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout in ((3, 16), (16, 32), (32, 64)):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
        self.body = nn.Sequential(
            *layers, nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, embed_dim)
        )

    def forward(self, images: Tensor) -> Tensor:
        if images.shape[-1] != 32:
            images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
        return F.normalize(self.body(images), dim=1)


def contrastive_loss(
    image_embedding: Tensor, text_embedding: Tensor, same: Tensor, temperature: float = 0.07
) -> Tensor:
    """Symmetric InfoNCE over a batch (Radford et al. 2021), where ``same`` (N, N) marks pairs with the same
    attributes: a caption matches every image it describes, not only its own."""
    logits = image_embedding @ text_embedding.T / temperature  # (N, N)
    targets = same.float() / same.float().sum(1, keepdim=True)
    loss_images = -(targets * logits.log_softmax(1)).sum(1).mean()
    loss_texts = -(targets.T * logits.T.log_softmax(1)).sum(1).mean()
    return (loss_images + loss_texts) / 2


def fit_encoders(images: Tensor, text: Tensor, attributes: Tensor, steps: int, seed: int,
                 batch_size: int = 64, log_every: int = 0) -> tuple[TextEncoder, ImageEncoder]:  # fmt: skip
    """Train a (text, image) encoder pair on uint8 ``images`` (N, 3, H, W) and their captions ``text``
    (N, K, L) for ``steps`` Adam steps; ``attributes`` (N, 6) define which pairs match (rows of -1: only the
    item's own captions do). Where attributes are known, linear heads (dropped after training) also read every
    attribute back from each embedding (``AttributeHeads``). Returns both in eval mode, frozen."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        text_encoder, image_encoder = TextEncoder(), ImageEncoder()
        heads = AttributeHeads(attributes)
    parameters = [*text_encoder.parameters(), *image_encoder.parameters(), *heads.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=2e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    known = (attributes >= 0).all(1) | (attributes[:, :5] >= 0).all(1)
    for step in range(steps):
        rows = torch.randint(len(images), (batch_size,), generator=generator)
        which = torch.randint(text.shape[1], (batch_size,), generator=generator)
        batch = images[rows].float() / 127.5 - 1
        ids = text[rows, which]
        chosen = attributes[rows]
        same = (chosen[:, None] == chosen[None]).all(-1) & known[rows][:, None] & known[rows][None]
        same |= rows[:, None] == rows[None]
        image_embedding, text_embedding = image_encoder(batch), text_encoder(ids)
        loss = contrastive_loss(image_embedding, text_embedding, same)
        loss = loss + heads.loss(text_embedding, chosen) + heads.loss(image_embedding, chosen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1}: loss {loss.item():.3f}", flush=True)
    return frozen(text_encoder), frozen(image_encoder)


class AttributeHeads(nn.Module):
    """One linear read-out per known attribute, from an embedding to the attribute's values; training only.

    The contrastive loss alone leaves out what a batch does not need to tell items apart. In a batch of 64 random
    items two captions almost never differ in the class alone (colour, background, size and position already
    tell them apart), so the encoders learned to ignore the class: "a small red sneaker ..." and "a small red
    dress ..." had sentence embeddings with cosine similarity 1.0, and StackGAN's G could not tell what to draw.
    Reading every attribute back from both embeddings keeps each one in them."""

    def __init__(self, attributes: Tensor, embed_dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.columns = [k for k in range(attributes.shape[1]) if int(attributes[:, k].max()) > 0]
        self.heads = nn.ModuleList(nn.Linear(embed_dim, int(attributes[:, k].max()) + 1) for k in self.columns)

    def loss(self, embedding: Tensor, attributes: Tensor) -> Tensor:
        """Mean cross-entropy over the known attributes (-1: unknown, ignored); 0 when none is known."""
        total = embedding.new_zeros(())
        for k, head in zip(self.columns, self.heads, strict=True):
            wanted = attributes[:, k]
            if (wanted >= 0).any():
                total = total + F.cross_entropy(head(embedding * HEAD_SCALE), wanted, ignore_index=-1)
        return total / max(len(self.columns), 1)


def frozen(network: nn.Module) -> nn.Module:
    """``network`` in eval mode with every weight frozen."""
    network.eval()
    network.requires_grad_(False)
    return network


def weights_path(kind: str, base: str) -> Path:
    """The shipped weights of ``kind`` ("text" or "retrieval") for ``base`` data."""
    return WEIGHTS / f"{kind}-{SHIPPED[base]}.safetensors"


def load_encoders(kind: str, base: str) -> tuple[TextEncoder, ImageEncoder]:
    """The shipped, frozen (text, image) encoder pair of ``kind`` for ``base`` data, rebuilt from code."""
    path = weights_path(kind, base)
    fix = "reinstall ganforge, or retrain them with scripts/train_text_encoders.py"
    if not path.is_file():
        raise GanforgeError(f"the {kind} encoders for {base} ({path}) are missing", fix)
    with safe_open(str(path), framework="pt") as file:
        architecture = (file.metadata() or {}).get("architecture")
    if architecture != ARCHITECTURE:
        raise GanforgeError(f"{path} holds a '{architecture}' network; this ganforge builds '{ARCHITECTURE}'", fix)
    state = {key: value.float() if value.is_floating_point() else value for key, value in load_file(path).items()}
    text_encoder, image_encoder = TextEncoder(), ImageEncoder()
    text_encoder.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("text.")})
    image_encoder.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("image.")})
    return frozen(text_encoder), frozen(image_encoder)
