"""Frozen feature spaces that the sample-quality metrics (FID, KID, precision/recall, IS) measure in.

Three are registered by name:

- ``inception``: the Inception-v3 network of Szegedy et al. (2016) with the TensorFlow weights of
  2015-12-05 that FID (Heusel et al., 2017) and the Inception Score (Salimans et al., 2016) were defined
  with, as ported by pytorch-fid. Features are the 2048-d pool3 activations; probabilities are the
  1008-way softmax. The weights (about 91 MiB) do not ship with ganforge: ``get_extractor`` looks for
  ``pt_inception-2015-12-05-6726825d.pth`` in ``$GANFORGE_WEIGHTS``, ``~/.cache/ganforge/weights`` and
  torch hub's checkpoints folder, and checks its sha256.
- ``mnist-cnn`` and ``fashion-cnn``: a small CNN trained on the domain (``metrics/classifier.py``), whose
  weights ship in ``metrics/weights``. Features are its 128-d penultimate layer; probabilities its
  10-way softmax.

Every extractor takes images as a generator makes them: ``(N, C, H, W)`` float in [-1, 1], any size, grey
or colour; it adapts them itself and returns float32 tensors on the CPU.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file
from torch import Tensor, nn
from torchvision.models import inception as tv_inception

from ganforge.data import sources
from ganforge.errors import GanforgeError
from ganforge.metrics import classifier

__all__ = ["EXTRACTORS", "Extractor", "default_extractor", "get_extractor"]

EXTRACTORS: dict[str, str] = {
    "inception": "Inception-v3 (FID weights of 2015-12-05): 2048-d pool3 features, 1008-way ImageNet softmax",
    "mnist-cnn": "small CNN trained on MNIST (ships with ganforge): 128-d features, 10 digit probabilities",
    "fashion-cnn": "small CNN trained on Fashion-MNIST (ships with ganforge): 128-d features, 10 class probabilities",
    "mnist-glyphs": "small CNN trained on MNIST digits as captioned pictures draw them at 32 and 64 px and the text "
    "measures read them back (ships with ganforge): the class judge of text to image",
    "fashion-glyphs": "small CNN trained on Fashion-MNIST garments as captioned pictures draw them at 32 and 64 px "
    "and the text measures read them back (ships with ganforge): the class judge of text to image",
}

WEIGHTS_ENV = "GANFORGE_WEIGHTS"
SHIPPED_WEIGHTS = Path(__file__).parent / "weights"
CLASSIFIER_INDEX = SHIPPED_WEIGHTS / "classifiers.json"

INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"
# torch-fidelity distributes the same bytes under its own name; either name is accepted.
INCEPTION_FILES = (INCEPTION_FILE, "weights-inception-2015-12-05-6726825d.pth")
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{INCEPTION_FILE}"
INCEPTION_SIZE = 299
INCEPTION_CLASSES = 1008  # the 2015 graph's softmax: ImageNet's 1,000 classes and 8 unused outputs
INCEPTION_FEATURES = 2048

_DOMAIN_EXTRACTORS = {"mnist": "mnist-cnn", "fashion-mnist": "fashion-cnn", "stacked-mnist": "mnist-cnn"}
_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, the weights PIL's convert("L") uses


class Extractor(abc.ABC):
    """A frozen network mapping images to a feature space, and to class probabilities if a classifier.

    ``features``, ``probabilities`` and ``features_and_probabilities`` take ``(N, C, H, W)`` float images
    in [-1, 1] (on any device), run them ``batch_size`` at a time on ``device`` and return float32 on the
    CPU. Values beyond [-1, 1] are clamped, as saving the images would.
    """

    name: str
    feature_dim: int
    num_classes: int | None
    weights_sha256: str

    def __init__(
        self,
        name: str,
        network: nn.Module,
        feature_dim: int,
        num_classes: int | None,
        weights_sha256: str,
        device: torch.device | str = "cpu",
        batch_size: int = 500,
    ) -> None:
        self.name = name
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.weights_sha256 = weights_sha256
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.network = network.to(self.device).eval().requires_grad_(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, feature_dim={self.feature_dim}, device={str(self.device)!r})"

    def features(self, images: Tensor) -> Tensor:
        """``images`` (N, C, H, W) in [-1, 1] -> features (N, feature_dim) float32 on the CPU."""
        return self.features_and_probabilities(images)[0]

    def probabilities(self, images: Tensor) -> Tensor:
        """``images`` (N, C, H, W) in [-1, 1] -> class probabilities (N, num_classes), each row summing to 1."""
        if self.num_classes is None:
            raise GanforgeError(f"extractor '{self.name}' is not a classifier", "use one that is, e.g. 'inception'")
        return self.features_and_probabilities(images)[1]

    def features_and_probabilities(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features (N, D) and, for a classifier, probabilities (N, K), from one pass over ``images``."""
        _check_images(images, self.name)
        features, probabilities = [], []
        with torch.no_grad():  # not inference_mode: callers may edit the returned tensors in place
            for chunk in images.split(self.batch_size):
                batch = self.adapt(chunk.to(self.device, torch.float32).clamp(-1, 1))
                batch_features, logits = self.forward(batch)
                features.append(batch_features.float().cpu())
                if logits is not None:
                    probabilities.append(logits.float().softmax(dim=1).cpu())
        features_out = torch.cat(features) if features else torch.empty(0, self.feature_dim)
        if self.num_classes is None:
            return features_out, None
        probabilities_out = torch.cat(probabilities) if probabilities else torch.empty(0, self.num_classes)
        return features_out, probabilities_out

    @abc.abstractmethod
    def adapt(self, images: Tensor) -> Tensor:
        """Turn a batch in [-1, 1] into what the network reads (channels, size)."""

    @abc.abstractmethod
    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Adapted images -> (features, logits or None)."""


class ClassifierExtractor(Extractor):
    """The ``SmallCNN`` of ``metrics/classifier.py``: grey 28 x 28 in, 128-d features and 10 logits out."""

    def adapt(self, images: Tensor) -> Tensor:
        channels, height, width = images.shape[1:]
        if channels == 3:  # a colour image is read as its luminance
            images = torch.einsum("nchw,c->nhw", images, images.new_tensor(_LUMA)).unsqueeze(1)
        elif channels != 1:
            raise GanforgeError(
                f"extractor '{self.name}' got images with {channels} channels",
                "give it grey (1 channel) or RGB (3 channel) images",
            )
        if (height, width) != (classifier.IMAGE_SIZE, classifier.IMAGE_SIZE):
            # Antialiasing when shrinking, as ganforge does when resizing datasets (data/images.py).
            shrinking = height > classifier.IMAGE_SIZE or width > classifier.IMAGE_SIZE
            size = (classifier.IMAGE_SIZE, classifier.IMAGE_SIZE)
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False, antialias=shrinking)
        return images  # (N, 1, 28, 28)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        return self.network(images)


class InceptionExtractor(Extractor):
    """FID's Inception-v3: RGB 299 x 299 in [-1, 1] in, pool3 (2048) and the 1008-way logits out."""

    def adapt(self, images: Tensor) -> Tensor:
        channels = images.shape[1]
        if channels == 1:  # grey becomes three equal channels, the usual way to score MNIST with Inception
            images = images.expand(-1, 3, -1, -1)
        elif channels != 3:
            raise GanforgeError(
                f"extractor '{self.name}' got images with {channels} channels",
                "give it grey (1 channel) or RGB (3 channel) images",
            )
        # pytorch-fid's resize: bilinear, no antialiasing. It resizes [0, 1] images and then maps them to
        # [-1, 1]; both steps are linear, so resizing [-1, 1] images gives the same result.
        return F.interpolate(images, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        net = self.network
        x = images  # (N, 3, 299, 299)
        for layer in (
            net.Conv2d_1a_3x3,
            net.Conv2d_2a_3x3,
            net.Conv2d_2b_3x3,
            net.maxpool1,
            net.Conv2d_3b_1x1,
            net.Conv2d_4a_3x3,
            net.maxpool2,
            net.Mixed_5b,
            net.Mixed_5c,
            net.Mixed_5d,
            net.Mixed_6a,
            net.Mixed_6b,
            net.Mixed_6c,
            net.Mixed_6d,
            net.Mixed_6e,
            net.Mixed_7a,
            net.Mixed_7b,
            net.Mixed_7c,  # (N, 2048, 8, 8)
            net.avgpool,
        ):
            x = layer(x)
        pool3 = x.flatten(1)  # (N, 2048)
        # The Inception Score's code (Salimans et al., 2016) multiplies pool3 by the softmax weights and
        # leaves out the bias; torch-fidelity does the same, so scores stay comparable.
        logits = pool3 @ net.fc.weight.T  # (N, 1008)
        return pool3, logits


def get_extractor(name: str, device: torch.device | str = "cpu", batch_size: int = 500) -> Extractor:
    """The extractor registered as ``name`` (see ``EXTRACTORS``), loaded onto ``device``.

    Raises ``GanforgeError`` for an unknown name, or when the weights are missing or damaged (the message
    names the file, its sha256 and the folders searched).
    """
    if name not in EXTRACTORS:
        raise GanforgeError(f"unknown feature extractor '{name}'", f"choose one of: {', '.join(EXTRACTORS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise GanforgeError(f"extractor batch_size={batch_size!r} must be a positive integer", "e.g. 500")
    device = _check_device(device)
    if name == "inception":
        network, digest = load_inception()
        return InceptionExtractor(name, network, INCEPTION_FEATURES, INCEPTION_CLASSES, digest, device, batch_size)
    network, digest = load_classifier(name)
    return ClassifierExtractor(
        name, network, classifier.FEATURE_DIM, classifier.NUM_CLASSES, digest, device, batch_size
    )


def default_extractor(dataset_name: str) -> str:
    """The extractor that measures ``dataset_name`` best: its own classifier if one ships, else Inception."""
    return _DOMAIN_EXTRACTORS.get(dataset_name, "inception")


# --- the shipped classifiers --------------------------------------------------------------------------


def load_classifier(name: str) -> tuple[classifier.SmallCNN, str]:
    """Rebuild ``name``'s ``SmallCNN`` from code and load its shipped safetensors; returns it and the sha256.

    The file's sha256 must match the one ``classifiers.json`` recorded when it was trained.
    """
    reinstall = "reinstall ganforge, or retrain it with scripts/train_classifiers.py"
    try:
        entry = json.loads(CLASSIFIER_INDEX.read_text())[name]
    except (OSError, ValueError, KeyError) as error:
        raise GanforgeError(f"no record of the '{name}' weights in {CLASSIFIER_INDEX} ({error})", reinstall) from None
    path = SHIPPED_WEIGHTS / entry["file"]
    if not path.is_file():
        raise GanforgeError(f"the '{name}' weights file {path} is missing", reinstall)
    digest = sha256_file(path)
    if digest != entry["sha256"]:
        raise GanforgeError(f"{path} has sha256 {digest}, not the recorded {entry['sha256']}", reinstall)
    with safe_open(str(path), framework="pt") as file:
        architecture = (file.metadata() or {}).get("architecture")
    if architecture != classifier.ARCHITECTURE:
        raise GanforgeError(
            f"{path} holds a '{architecture}' network; this ganforge builds '{classifier.ARCHITECTURE}'", reinstall
        )
    state = {key: value.float() if value.is_floating_point() else value for key, value in load_file(path).items()}
    network = classifier.build_classifier()
    network.load_state_dict(state)
    return network, digest


# --- Inception ----------------------------------------------------------------------------------------


def inception_search_dirs() -> list[Path]:
    """The folders searched for the Inception weights, in order."""
    folders = []
    if os.environ.get(WEIGHTS_ENV, "").strip():
        folders.append(Path(os.environ[WEIGHTS_ENV].strip()).expanduser())
    folders.append(sources.cache_root() / "weights")  # ~/.cache/ganforge/weights (XDG_CACHE_HOME respected)
    folders.append(Path(torch.hub.get_dir()) / "checkpoints")  # where pytorch-fid's download lands
    return folders


def find_inception_weights() -> Path | None:
    """The first Inception weights file in ``inception_search_dirs()``, or None."""
    for folder in inception_search_dirs():
        for file_name in INCEPTION_FILES:
            if (folder / file_name).is_file():
                return folder / file_name
    return None


def load_inception() -> tuple[tv_inception.Inception3, str]:
    """Build FID's Inception-v3 and load the 2015-12-05 weights found on disk; returns it and the sha256."""
    path = find_inception_weights()
    if path is None:
        looked = ", ".join(str(folder) for folder in inception_search_dirs())
        raise GanforgeError(
            f"the Inception weights {INCEPTION_FILE} (sha256 {INCEPTION_SHA256}) are not on this machine "
            f"(looked in {looked})",
            f"download {INCEPTION_URL} into one of those folders (or set {WEIGHTS_ENV} to its folder), "
            "or use a domain extractor: --extractor mnist-cnn or fashion-cnn",
        )
    digest = sha256_file(path)
    if digest != INCEPTION_SHA256:
        raise GanforgeError(
            f"{path} has sha256 {digest}, not the FID Inception weights' {INCEPTION_SHA256}",
            f"delete it and download {INCEPTION_URL} again",
        )
    network = build_fid_inception()
    network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return network, digest


def build_fid_inception() -> tv_inception.Inception3:
    """torchvision's Inception-v3 with the changes that match the 2015 TensorFlow graph (as in pytorch-fid).

    1008 outputs, no auxiliary head, and four kinds of block whose pooling differs: average pools leave
    the zero padding out of the mean, and the last block's pool branch takes a max.
    """
    network = tv_inception.Inception3(
        num_classes=INCEPTION_CLASSES, aux_logits=False, transform_input=False, init_weights=False
    )
    network.Mixed_5b = _FIDInceptionA(192, pool_features=32)
    network.Mixed_5c = _FIDInceptionA(256, pool_features=64)
    network.Mixed_5d = _FIDInceptionA(288, pool_features=64)
    network.Mixed_6b = _FIDInceptionC(768, channels_7x7=128)
    network.Mixed_6c = _FIDInceptionC(768, channels_7x7=160)
    network.Mixed_6d = _FIDInceptionC(768, channels_7x7=160)
    network.Mixed_6e = _FIDInceptionC(768, channels_7x7=192)
    network.Mixed_7b = _FIDInceptionE(1280, max_pool=False)
    network.Mixed_7c = _FIDInceptionE(2048, max_pool=True)
    return network


def _average_pool(x: Tensor) -> Tensor:
    # TensorFlow's average pooling divides by the pixels inside the image, not the padded window.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _FIDInceptionA(tv_inception.InceptionA):
    def forward(self, x: Tensor) -> Tensor:
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(_average_pool(x))
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], 1)


class _FIDInceptionC(tv_inception.InceptionC):
    def forward(self, x: Tensor) -> Tensor:
        branch1x1 = self.branch1x1(x)
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = self.branch7x7dbl_2(self.branch7x7dbl_1(x))
        branch7x7dbl = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(branch7x7dbl)))
        branch_pool = self.branch_pool(_average_pool(x))
        return torch.cat([branch1x1, branch7x7, branch7x7dbl, branch_pool], 1)


class _FIDInceptionE(tv_inception.InceptionE):
    def __init__(self, in_channels: int, max_pool: bool) -> None:
        super().__init__(in_channels)
        self.max_pool = max_pool  # the last block (Mixed_7c) pools with a max in TensorFlow's graph

    def forward(self, x: Tensor) -> Tensor:
        branch1x1 = self.branch1x1(x)
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat([self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _average_pool(x)
        branch_pool = self.branch_pool(pooled)
        return torch.cat([branch1x1, branch3x3, branch3x3dbl, branch_pool], 1)


# --- helpers ------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for piece in iter(lambda: file.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def _check_images(images: object, name: str) -> None:
    if not isinstance(images, Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise GanforgeError(f"extractor '{name}' got {shape}", "give it a (N, C, H, W) tensor of images")
    if not images.is_floating_point():
        raise GanforgeError(
            f"extractor '{name}' got {images.dtype} images",
            "give it float images in [-1, 1] (uint8 pixels p become p / 127.5 - 1)",
        )


def _check_device(device: torch.device | str) -> torch.device:
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise GanforgeError(f"unknown device {device!r} ({error})", "use 'cpu', 'cuda' or 'cuda:N'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise GanforgeError(f"device '{device}' asked for, but no CUDA GPU is available", "use 'cpu'")
    return device
