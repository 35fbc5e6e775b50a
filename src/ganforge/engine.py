"""Devices: the one place that turns a device name from the config into a ``torch.device``."""

from __future__ import annotations

import os

import torch


def pick_device(name: str) -> torch.device:
    """'auto' -> the first CUDA GPU if there is one, else the CPU; anything else as named."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def set_deterministic(enabled: bool, device: torch.device) -> None:
    """Ask PyTorch for deterministic kernels (``train.deterministic``).

    On the CPU ganforge's training is bitwise reproducible without this. On CUDA it disables cuDNN's
    autotuner, selects deterministic algorithms and sets the cuBLAS workspace PyTorch requires for
    them; an operation with no deterministic implementation then raises instead of varying silently.
    What stays unpromised: identical results across GPU models, driver, CUDA or PyTorch versions.
    """
    if not enabled:
        return
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True)
