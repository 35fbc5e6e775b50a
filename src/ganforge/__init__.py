"""ganforge: generative adversarial networks, from Goodfellow et al. (2014) onwards."""

from ganforge import presets
from ganforge.api import TrainedGAN, load, resume, sample, train
from ganforge.config import Config, DataConfig, ModelConfig, OptimConfig, TaskConfig, TrainConfig
from ganforge.errors import GanforgeError

__version__ = "0.1.0"

__all__ = [
    "Config",
    "DataConfig",
    "GanforgeError",
    "ModelConfig",
    "OptimConfig",
    "TaskConfig",
    "TrainConfig",
    "TrainedGAN",
    "load",
    "presets",
    "resume",
    "sample",
    "train",
]
