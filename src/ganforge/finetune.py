"""Fine-tuning: a new run that starts from another run's weights (``train.init_from``), and FreezeD.

    ganforge train --dataset folder:my-500-images --init-from runs/mnist-dcgan --set train.freeze_d=2

G and D (and G_ema) start from the source run's latest checkpoint; the optimisers start fresh, and the run
is a new folder with its own step count, streams and config (which records ``train.init_from``). Nothing of
the source run changes. Shapes must match: the same network settings and image shape (a clear error names
the first tensor that differs). ``train.freeze_d=N`` keeps D's first N layers at the source run's weights
(FreezeD, Mo, Cho and Shin 2020: fine-tuning only D's upper layers is a strong baseline for transfer with
little data). A layer is a convolution or linear map with the normalisation that follows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.checkpoint import weights_mismatch
from ganforge.config import Config
from ganforge.errors import GanforgeError
from ganforge.run import RunDir

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d)


def check_settings(cfg: Config) -> None:
    """Refuse a negative ``train.freeze_d``, or one without a run to start from (resolution asks this)."""
    train = cfg.train
    if train.freeze_d < 0:
        raise GanforgeError(f"train.freeze_d={train.freeze_d} must be 0 or more", "e.g. train.freeze_d=2")
    if train.freeze_d and train.init_from is None:
        raise GanforgeError(
            f"train.freeze_d={train.freeze_d} freezes D's first layers at a trained run's weights, but no run is given",
            "add --init-from RUN (or leave train.freeze_d at 0)",
        )


def check_source(cfg: Config) -> None:
    """Refuse, before any work, an ``init_from`` that is not a run with a checkpoint (a new run only: a
    resumed fine-tuning run continues from its own checkpoints and no longer needs its source)."""
    if cfg.train.init_from is None:
        return
    run = RunDir(cfg.train.init_from)
    if not run.config_path.is_file():
        raise GanforgeError(f"--init-from {run.path} is not a ganforge run (no config.yaml there)",
                            "give the folder of a finished or checkpointed training run")  # fmt: skip
    if not run.checkpoints():
        raise GanforgeError(f"--init-from {run.path} has no checkpoint yet", "train it first, or give another run")
    if cfg.out is not None and Path(cfg.out).resolve() == run.path.resolve():
        raise GanforgeError(f"--init-from {run.path} is also --out", "fine-tuning writes a new run: pick another --out")


def d_layers(D: nn.Module) -> list[list[nn.Parameter]]:
    """D's layers in order, each the parameters of one weight layer (conv / linear) and of the modules (such
    as a batch norm) registered after it and before the next weight layer."""
    layers: list[list[nn.Parameter]] = []
    for module in D.modules():
        own = list(module.parameters(recurse=False))
        if not own:
            continue
        if isinstance(module, WEIGHT_LAYERS) or not layers:
            layers.append([])
        layers[-1].extend(own)
    return layers


def freeze_d(D: nn.Module, n: int) -> list[nn.Parameter]:
    """Keep D's first ``n`` layers fixed (FreezeD): their gradients are dropped as soon as they are computed,
    so no optimiser step moves them. Returns the frozen parameters."""
    if n == 0:
        return []
    layers = d_layers(D)
    if n >= len(layers):
        raise GanforgeError(
            f"train.freeze_d={n} would freeze all {len(layers)} layers of D, which could then learn nothing",
            f"choose 1 to {len(layers) - 1}",
        )
    frozen = [parameter for layer in layers[:n] for parameter in layer]
    for parameter in frozen:
        parameter.register_post_accumulate_grad_hook(_drop_grad)
    return frozen


def _drop_grad(parameter: torch.Tensor) -> None:
    parameter.grad = None


def start_from(gan: Any, cfg: Config) -> Path:
    """Load G, D (and G_ema) of ``cfg.train.init_from``'s latest checkpoint into ``gan``; returns its path."""
    run = RunDir.open(cfg.train.init_from)
    source, tensors, _meta = run.load_latest()
    ema_source = "G_ema" if any(name.startswith("G_ema.") for name in tensors) else "G"
    targets = [("G", gan.G, "G"), ("D", gan.D, "D")]
    if gan.G_ema is not None:  # G_ema starts at the source's average (or its G, when it kept none)
        targets.append(("G_ema", gan.G_ema, ema_source))
    states = []
    for name, module, prefix in targets:
        weights = {key[len(prefix) + 1 :]: value for key, value in tensors.items() if key.startswith(f"{prefix}.")}
        _check_fits(module, weights, name, run.path, prefix)
        states.append((module, weights))
    for module, weights in states:  # nothing is loaded unless everything fits
        module.load_state_dict(weights)
    return source


def _check_fits(module: nn.Module, weights: dict[str, torch.Tensor], name: str, source: Path, prefix: str) -> None:
    detail = weights_mismatch(module, weights, name, prefix)
    if detail is None:
        return
    raise GanforgeError(
        f"--init-from {source} does not fit this run's networks: {detail}",
        "fine-tune with the source run's model settings (model.*, --condition) and image size",
    )
