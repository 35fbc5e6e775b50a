"""ganforge: generative adversarial networks, from Goodfellow et al. (2014) onwards."""

# _startup first: a Ctrl-C while the ganforge command loads is one line, not a traceback
from ganforge import _startup, presets
from ganforge.api import TrainedGAN, load, resume, sample, train
from ganforge.config import Config, DataConfig, ModelConfig, OptimConfig, TaskConfig, TrainConfig
from ganforge.errors import GanforgeError

__version__ = "0.1.0"

_startup.done()

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
