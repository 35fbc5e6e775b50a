"""What a checkpoint holds, and putting it back: a training session <-> tensors plus JSON metadata.

A checkpoint holds everything needed to continue bit for bit: G and D (and G_ema when kept), both
optimisers, the random streams of data and latents and the variant's own (``GAN.random_streams``), the
options' state (``GAN.option_state``: ADA's p), the step, the training time, the learning-rate history of
rollbacks and the metrics history. The file format itself (safetensors, checksum, atomic writes) lives in ``run.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ganforge.errors import GanforgeError

if TYPE_CHECKING:
    from ganforge.train import Session


def session_state(s: Session) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The session as (tensors, JSON-able metadata)."""
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {
        "step": s.step,
        "seconds": round(s.seconds, 3),
        "rollbacks": s.rollbacks,
        "data_shape": list(s.data.shape),
        "num_classes": s.data.num_classes,
        "history": s.history,
    }
    for name, module in (("G", s.gan.G), ("D", s.gan.D)):
        tensors.update({f"{name}.{key}": value for key, value in module.state_dict().items()})
    for name, optimizer in (("opt_G", s.opt_G), ("opt_D", s.opt_D)):
        optimizer_tensors, meta[name] = _optimizer_to_tensors(name, optimizer)
        tensors.update(optimizer_tensors)
    tensors["rng.data"] = s.data_rng.get_state()
    tensors["rng.latent"] = s.latent_rng.get_state()
    for name, generator in s.gan.random_streams().items():  # e.g. WGAN-GP's eps, DiffAugment's transforms
        tensors[f"rng.{name}"] = generator.get_state()
    tensors.update(s.gan.option_state())  # ADA's augmentation probability p and its heuristic's sums
    if s.gan.G_ema is not None:
        tensors.update({f"G_ema.{key}": value for key, value in s.gan.G_ema.state_dict().items()})
    return tensors, meta


def restore_session(s: Session, tensors: dict[str, torch.Tensor], meta: dict[str, Any], source: Any) -> None:
    """Put a checkpoint's state into a freshly built session (same config)."""
    _check_shape(meta, s.data.shape, source)
    for name, module in (("G", s.gan.G), ("D", s.gan.D)):
        load_weights(module, tensors, name, source)
    for name, optimizer in (("opt_G", s.opt_G), ("opt_D", s.opt_D)):
        _optimizer_from_tensors(optimizer, name, tensors, meta[name])
    s.data_rng.set_state(tensors["rng.data"])
    s.latent_rng.set_state(tensors["rng.latent"])
    for name, generator in s.gan.random_streams().items():
        if f"rng.{name}" in tensors:  # checkpoints from before these streams were saved continue afresh
            generator.set_state(tensors[f"rng.{name}"])
    s.gan.load_option_state(tensors)
    if s.gan.G_ema is not None:
        _load_ema(s.gan.G_ema, s.gan.G, tensors, source)
    s.step = int(meta["step"])
    s.seconds = float(meta.get("seconds", 0.0))
    s.rollbacks = int(meta.get("rollbacks", 0))
    s.history = list(meta.get("history", []))


def load_weights(module: nn.Module, tensors: dict[str, torch.Tensor], name: str, source: Any) -> None:
    """Load ``name.*`` tensors into ``module``, naming the first difference if they do not fit."""
    weights = _with_prefix(tensors, f"{name}.")
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [key for key in expected if key in weights and weights[key].shape != expected[key].shape]
    if missing or unexpected or wrong:
        if wrong:
            key = wrong[0]
            detail = f"{name}.{key} is {tuple(weights[key].shape)} there but {tuple(expected[key].shape)} here"
        else:
            detail = f"{name} lacks {missing[0]}" if missing else f"{name} has an extra {unexpected[0]}"
        raise GanforgeError(
            f"checkpoint {source} does not fit the model its config builds: {detail}",
            "load it with the config.yaml of the run that wrote it",
        )
    module.load_state_dict(weights)


def _load_ema(G_ema: nn.Module, G: nn.Module, tensors: dict[str, torch.Tensor], source: Any) -> None:
    """G_ema from the checkpoint; one written before EMA was switched on starts G_ema at G's weights."""
    if has_weights(tensors, "G_ema."):
        load_weights(G_ema, tensors, "G_ema", source)
    else:
        G_ema.load_state_dict(G.state_dict())


def has_weights(tensors: dict[str, torch.Tensor], prefix: str) -> bool:
    """Whether the checkpoint holds a network under ``prefix`` (e.g. ``G_ema.``)."""
    return any(name.startswith(prefix) for name in tensors)


def _check_shape(meta: dict[str, Any], shape: tuple[int, ...], source: Any) -> None:
    if tuple(meta["data_shape"]) != tuple(shape):
        raise GanforgeError(
            f"checkpoint {source} was trained on data of shape {tuple(meta['data_shape'])}, "
            f"but the dataset now gives {tuple(shape)}",
            "resume with the dataset settings the run was trained with",
        )


def _with_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {name[len(prefix) :]: value for name, value in tensors.items() if name.startswith(prefix)}


def _optimizer_to_tensors(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Split an optimiser's state into tensors (for safetensors) and plain values (for JSON)."""
    state = optimizer.state_dict()
    tensors, plain = {}, {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"{name}.{index}.{key}"] = value
            else:
                plain[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "plain": plain}


def _optimizer_from_tensors(optimizer: torch.optim.Optimizer, name: str, tensors: dict, meta: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in _with_prefix(tensors, f"{name}.").items():
        index, entry = key.split(".", 1)
        state.setdefault(int(index), {})[entry] = value
    for key, value in meta["plain"].items():
        index, entry = key.split(".", 1)
        state.setdefault(int(index), {})[entry] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
