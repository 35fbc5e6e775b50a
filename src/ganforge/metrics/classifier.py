"""The small CNN behind the ``mnist-cnn`` and ``fashion-cnn`` feature extractors.

Inception-v3 was trained on ImageNet photos; on 28 x 28 digits and clothes its features say little. A
network trained on the domain itself gives a feature space where distances mean something there, the
choice of e.g. the MNIST "FID" in many GAN papers. Its 128-d penultimate layer is the feature space and
its 10-way head gives the class probabilities that an Inception Score or a mode count needs.

The weights ship in ``metrics/weights/`` and are trained by ``scripts/train_classifiers.py``. They are
stored as safetensors and the network is always rebuilt from this code: nothing is unpickled.
"""

from __future__ import annotations

from torch import Tensor, nn

IMAGE_SIZE = 28  # the side the network reads; other sizes are resized to this
FEATURE_DIM = 128
NUM_CLASSES = 10
ARCHITECTURE = "small-cnn-v1"  # stored in the weights' metadata; change it when the layers below change


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """A 3 x 3 convolution, batch norm and ReLU, then a 2 x 2 max pool that halves the side."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),  # bias is redundant before BN
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SmallCNN(nn.Module):
    """Three conv blocks (32, 64, 128 channels) and a 128-d penultimate layer, for 1 x 28 x 28 images.

    ``forward`` returns both the features (N, 128), taken after the ReLU, and the logits (N, 10).
    """

    def __init__(self, num_classes: int = NUM_CLASSES, feature_dim: int = FEATURE_DIM, dropout: float = 0.3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_block(1, 32),  # (N, 32, 14, 14)
            _conv_block(32, 64),  # (N, 64, 7, 7)
            _conv_block(64, 128),  # (N, 128, 3, 3): the pool drops the odd last row and column
            nn.Flatten(),  # (N, 1152)
            nn.Linear(128 * 3 * 3, feature_dim),
            nn.ReLU(inplace=True),  # (N, 128): the feature space
        )
        self.dropout = nn.Dropout(dropout)  # regularises training only; features are read before it
        self.head = nn.Linear(feature_dim, num_classes)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """``images`` (N, 1, 28, 28) in [-1, 1] -> (features (N, 128), logits (N, 10))."""
        features = self.body(images)
        return features, self.head(self.dropout(features))


def build_classifier() -> SmallCNN:
    """A fresh, randomly initialised ``SmallCNN`` with the shipped layout (load weights into it)."""
    return SmallCNN()
