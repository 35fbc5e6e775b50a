"""What a checkpoint holds, and putting it back: a training session <-> tensors plus JSON metadata.

A checkpoint holds everything needed to continue bit for bit: G and D (and G_ema when kept), both
optimisers, the random streams of data and latents and the variant's own (``GAN.random_streams``), the
options' state (``GAN.option_state``: ADA's p), the step, the training time, the learning-rate history of
rollbacks and the metrics history. The file format itself (safetensors, checksum, atomic writes) lives in ``run.py``.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.errors import GanforgeError, excerpt

if TYPE_CHECKING:
    from ganforge.train import Session

MAX_STEP = 10**12  # far beyond any run; a larger step in a checkpoint is damage, not training
MAX_SIDE = 4096  # pixels per side of the data a checkpoint may say it was trained on
MAX_DATA_VALUES = 2**24  # values per sample (C x H x W): 16.7 million, e.g. 3 x 2048 x 2048
MAX_CLASSES = 100_000
OPTIMIZER_KEY = re.compile(r"\d{1,6}\.[A-Za-z_][A-Za-z0-9_]{0,40}")
KIND_KEYS = ("data.name", "model.name", "model.condition", "model.z_dim", "task.name")  # what a run *is*


class BadMetadata(ValueError):
    """Checkpoint metadata that does not fit the schema; the message names the field at fault."""


def run_kind(cfg: Config) -> dict[str, Any]:
    """What kind of run a config trains (data, network, conditioning, latent size, task), as a checkpoint
    records it so that a checkpoint copied in from another kind of run is recognised."""
    values = cfg.to_dict()
    kind = {}
    for dotted in KIND_KEYS:
        section, name = dotted.split(".")
        kind[dotted] = values.get(section, {}).get(name)
    return kind


def kind_mismatch(meta: dict[str, Any], cfg: Config) -> str | None:
    """Why a checkpoint (already schema-checked) is not of the run ``cfg`` trains; None when it is (or when it
    predates the record)."""
    recorded = meta.get("run")
    if recorded is None:
        return None
    for key, value in run_kind(cfg).items():
        if key in recorded and recorded[key] != value:
            return f"written by a run with {key}={excerpt(recorded[key])}, but this run has {key}={excerpt(value)}"
    return None


def check_meta(meta: Any) -> None:
    """Check checkpoint metadata against its schema before anything uses it; ``BadMetadata`` names the field."""
    if not isinstance(meta, dict):
        raise BadMetadata(f"metadata is a {type(meta).__name__}, not an object")
    _integer(meta, "step", 0, MAX_STEP, required=True)
    _integer(meta, "rollbacks", 0, 10**6)
    if "seconds" in meta and not (_is_number(meta["seconds"]) and 0 <= meta["seconds"] < 1e12):
        raise BadMetadata(f"seconds={excerpt(meta['seconds'])} is not a finite, non-negative number")
    shape = meta.get("data_shape")
    if not (isinstance(shape, list) and len(shape) in (1, 3) and all(_is_int(side) for side in shape)):
        raise BadMetadata(f"data_shape={excerpt(shape)} is not a list of 1 or 3 integers")
    if not all(1 <= side <= MAX_SIDE for side in shape) or math.prod(shape) > MAX_DATA_VALUES:
        raise BadMetadata(f"data_shape={excerpt(shape)} is outside the sizes ganforge trains (sides 1 to {MAX_SIDE})")
    if meta.get("num_classes") is not None:
        _integer(meta, "num_classes", 0, MAX_CLASSES)
    history = meta.get("history", [])
    if not (isinstance(history, list) and all(isinstance(record, dict) for record in history)):
        raise BadMetadata("history is not a list of metric records")
    for name in ("opt_G", "opt_D"):
        _check_optimizer(meta, name)
    run = meta.get("run")
    if run is not None and not (isinstance(run, dict) and all(isinstance(key, str) for key in run)):
        raise BadMetadata(f"run={excerpt(run)} is not an object")


def _check_optimizer(meta: dict[str, Any], name: str) -> None:
    state = meta.get(name)
    if not isinstance(state, dict):
        raise BadMetadata(f"{name} is missing or not an object")
    groups = state.get("param_groups")
    if not (isinstance(groups, list) and groups and all(isinstance(group, dict) for group in groups)):
        raise BadMetadata(f"{name}.param_groups={excerpt(groups)} is not a list of parameter groups")
    for group in groups:
        params = group.get("params")
        if not (isinstance(params, list) and all(_is_int(index) and 0 <= index < 10**6 for index in params)):
            raise BadMetadata(f"{name}.param_groups.params={excerpt(params)} is not a list of parameter indices")
        for key in ("lr", "eps", "weight_decay", "momentum", "alpha"):
            if key in group and not (_is_number(group[key]) and math.isfinite(group[key])):
                raise BadMetadata(f"{name}.param_groups.{key}={excerpt(group[key])} is not a finite number")
    plain = state.get("plain")
    if not (isinstance(plain, dict) and all(OPTIMIZER_KEY.fullmatch(key) for key in plain)):
        raise BadMetadata(f"{name}.plain={excerpt(plain)} is not a map of 'index.name' entries")


def _integer(meta: dict[str, Any], key: str, low: int, high: int, required: bool = False) -> None:
    if key not in meta and not required:
        return
    value = meta.get(key)
    if not (_is_int(value) and low <= value <= high):
        raise BadMetadata(f"{key}={excerpt(value)} is not an integer from {low} to {high}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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
        "run": run_kind(s.cfg),
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
        try:
            _optimizer_from_tensors(optimizer, name, tensors, meta[name])
        except (ValueError, KeyError, TypeError, RuntimeError) as error:  # groups or state that fit another model
            raise GanforgeError(
                f"checkpoint {source} holds an optimiser state ({name}) that does not fit this run: "
                f"{excerpt(str(error), 120)}",
                "resume with the config.yaml of the run that wrote it",
            ) from None
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
    check_weights(module, tensors, name, source)
    module.load_state_dict(_with_prefix(tensors, f"{name}."))


def check_weights(module: nn.Module, tensors: dict[str, torch.Tensor], name: str, source: Any) -> None:
    """Raise ``GanforgeError`` naming the first difference unless the ``name.*`` tensors fit ``module``.

    Compares names and shapes only, so ``module`` may live on the meta device (no memory behind it): a
    network sized by a checkpoint's metadata is checked before it is allocated.
    """
    detail = weights_mismatch(module, _with_prefix(tensors, f"{name}."), name)
    if detail is not None:
        raise GanforgeError(
            f"checkpoint {source} does not fit the model its config builds: {detail}",
            "load it with the config.yaml of the run that wrote it",
        )


def weights_mismatch(
    module: nn.Module, weights: dict[str, torch.Tensor], name: str, prefix: str | None = None
) -> str | None:
    """None when ``weights`` (names without a prefix) fit ``module`` by name and shape; else the first difference,
    naming tensors as ``prefix.key`` (``prefix`` defaults to ``name``)."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    extra = sorted(set(weights) - set(expected))
    wrong = [key for key in expected if key in weights and weights[key].shape != expected[key].shape]
    if wrong:
        key = wrong[0]
        return f"{prefix or name}.{key} is {tuple(weights[key].shape)} there but {tuple(expected[key].shape)} here"
    if missing:
        return f"{name} lacks {missing[0]}"
    return f"{name} has an extra {extra[0]}" if extra else None


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
