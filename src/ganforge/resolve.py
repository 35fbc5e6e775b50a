"""Resolution: check a ``Config`` and fill in every default, before any work starts.

    defaults < preset (``auto``: the dataset's) < config file < flags, then each registry entry checks and
    fills its own part

The general checks (sizes, optimiser, devices, the options that compose with any loss) live here; what
belongs to one entry lives with it and is asked for: a network (``models.MODELS``) declares D's
normalisations, its paper defaults and whether it is convolutional or uses batch norm; a GAN variant
(``gans.GANS``) the ``train.*`` settings it owns and its own checks; a task (``ganforge.tasks``) checks its
settings and gives its network's entry; a dataset (``data.DATASETS``) its kind. Adding one of them never
edits this module. Every error is one ``GanforgeError`` naming the value and the fix.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from ganforge.config import Config, OptimConfig, apply_overrides, duration_seconds, image_size_value
from ganforge.data import DATASETS, SPLITS, data_kind
from ganforge.data.folder import FITS
from ganforge.errors import GanforgeError, check_choice, check_positive, check_seed, excerpt
from ganforge.finetune import check_settings as check_finetune
from ganforge.gans import GANS
from ganforge.gans.ada import parse_ada
from ganforge.gans.augment import parse_policies
from ganforge.gans.cgan import check_conditioning
from ganforge.models import MODELS
from ganforge.models.spec import Network
from ganforge.presets import PRESETS
from ganforge.presets import apply as apply_preset
from ganforge.tasks import resolve_task, task_of
from ganforge.tensorboard_log import check_available as check_tensorboard

PRIORS = ("normal", "uniform")
ON_DIVERGENCE = ("stop", "rollback")
ON_ALARM = ("warn", "stop")
PRECISIONS = ("fp32", "bf16", "auto")
FUSED_OPTIMIZERS = ("adam", "sgd")  # the optimisers torch has a fused kernel for
OPTIMIZERS = ("adam", "sgd", "rmsprop")
DEVICES_HELP = "use 'auto', 'cpu', 'cuda' or 'cuda:N'"
AUTO = "auto"  # preset: auto, the dataset's preset

log = logging.getLogger("ganforge")


def resolve(cfg: Config) -> Config:
    """Validate ``cfg`` and fill in model-dependent defaults; raise ``GanforgeError`` on the first bad value."""
    cfg = cfg.copy()
    task = task_of(cfg)
    if cfg.preset == AUTO:  # the dataset's own preset (what `ganforge train` uses when none is named)
        cfg.preset = None if task is not None else _dataset_preset(cfg)
    if task is not None and cfg.preset is None:  # --task NAME brings its preset (ganforge.tasks)
        cfg.preset = task.preset
    if cfg.preset is not None:  # defaults < preset < config file < flags: see presets.apply
        cfg = apply_preset(cfg, cfg.preset, network_from=_dataset_network(cfg))
    if task_of(cfg) is not None:  # image-to-image tasks bring their own data, networks and defaults
        network = resolve_task(cfg)
    else:
        if data_kind(cfg.data.name) == "clips":  # clips: only the video task reads them (ganforge.tasks.video)
            raise GanforgeError(f"--dataset {cfg.data.name} holds clips, which the video task trains on",
                                "train it with --preset video-gan (or --task video)")  # fmt: skip
        if not cfg.data.name.startswith("folder:"):  # folder:PATH is checked when it loads
            check_choice("dataset", "--dataset", cfg.data.name, DATASETS)
        check_choice("model", "--model", cfg.model.name, MODELS)
        network = MODELS[cfg.model.name]
    check_choice("split", "data.split", cfg.data.split, SPLITS)
    check_choice("loss", "--loss", cfg.train.loss, GANS)
    check_choice("prior", "--prior", cfg.model.prior, PRIORS)
    check_choice("optimizer", "--optimizer", cfg.optim.name, OPTIMIZERS)
    check_choice("divergence policy", "--on-divergence", cfg.train.on_divergence, ON_DIVERGENCE)
    check_choice("alarm policy", "--on-alarm", cfg.train.on_alarm, ON_ALARM)
    check_device(cfg.train.device)
    for name, value in network.defaults["train"].items():
        if getattr(cfg.train, name) is None:
            setattr(cfg.train, name, value)
    _check_sizes(cfg)
    _check_game(cfg, network)
    _check_conditioning(cfg)
    _check_sync_batchnorm(cfg, network)
    _resolve_optimizer(cfg.optim, network.defaults[cfg.optim.name])
    _check_tricks(cfg)
    _check_speed(cfg, network)
    check_finetune(cfg)
    check_tensorboard(cfg)
    return cfg


def command_line_defaults(cfg: Config) -> Config:
    """``cfg`` as ``ganforge train`` takes it: naming neither a preset nor a network means ``preset: auto``."""
    if {"preset", "model.name"} & cfg.explicit:
        return cfg
    return apply_overrides(cfg, {"preset": AUTO}, source="the command line's default")


def _dataset_preset(cfg: Config) -> str | None:
    """``preset: auto``: the preset of the run's dataset (``DatasetInfo.preset``), the network and settings that
    suit that data; None (the built-in defaults) for a dataset without one, such as a folder of images."""
    info = DATASETS.get(cfg.data.name)
    name = info.preset if info is not None else None
    if name is not None:
        log.info("training %s with its preset '%s' (--preset gan: the tutorial MLP)", cfg.data.name, name)
    return name


def _dataset_network(cfg: Config) -> str | None:
    """The dataset's preset when the run's preset names a network that cannot take the dataset's data and the
    user named none (a preset's network is a default): e.g. ``--preset wgan-gp --dataset ring`` trains the
    ring's MLP with WGAN-GP's loss and optimiser. None otherwise."""
    info = DATASETS.get(cfg.data.name)
    network = PRESETS[cfg.preset].overrides.get("model.name") if cfg.preset in PRESETS else None
    if info is None or info.preset is None or network not in MODELS or "model.name" in cfg.explicit:
        return None
    if info.kind in MODELS[network].kinds:
        return None
    log.info("preset '%s' trains %s on images; on %s it trains the dataset's network (preset '%s')",
             cfg.preset, network, cfg.data.name, info.preset)  # fmt: skip
    return info.preset


def _check_speed(cfg: Config, network: Network) -> None:
    """The speed switches: fill ``optim.fused``; reject switches that cannot apply to this run."""
    train = cfg.train
    check_choice("precision", "train.precision", train.precision, PRECISIONS)
    if cfg.optim.fused is None:  # same update as the for-loop kernel, to float rounding; measured to pay
        cfg.optim.fused = cfg.optim.name in FUSED_OPTIMIZERS and train.device != "mps"
    elif cfg.optim.fused and cfg.optim.name not in FUSED_OPTIMIZERS:
        raise GanforgeError(
            f"optim.fused=true: torch has no fused {cfg.optim.name} kernel",
            f"leave optim.fused unset, or use one of: {', '.join(FUSED_OPTIMIZERS)}",
        )
    if train.channels_last and not network.convolutional:
        if "train.channels_last" not in cfg.explicit:  # a preset's layout for a convolutional network not trained here
            train.channels_last = False
        else:
            raise GanforgeError(
                f"train.channels_last=true lays out convolution inputs, but model '{cfg.model.name}' has none",
                f"use it with {_models_with('convolutional')}, or leave it out",
            )
    if train.cuda_graphs:
        on_cpu = train.device == "cpu" or (train.device == "auto" and not torch.cuda.is_available())
        if on_cpu or train.device == "mps":
            raise GanforgeError(
                f"train.cuda_graphs=true needs a CUDA GPU, but this run trains on {train.device}",
                "leave train.cuda_graphs out on the CPU, or train with --device cuda",
            )


def _models_with(flag: str) -> str:
    """'--model dcgan' (or '--model a or b'): the registered networks that declare ``flag``."""
    return "--model " + " or ".join(name for name, entry in MODELS.items() if getattr(entry, flag))


def _check_sizes(cfg: Config) -> None:
    for flag, value in [
        ("--steps", cfg.train.steps),
        ("--batch-size", cfg.train.batch_size),
        ("--d-steps", cfg.train.d_steps),
        ("--z-dim", cfg.model.z_dim),
        ("--sample-every", cfg.train.sample_every),
        ("--checkpoint-every", cfg.train.checkpoint_every),
        ("train.log_every", cfg.train.log_every),
        ("train.grid_size", cfg.train.grid_size),
        ("model.width", cfg.model.width),
    ]:
        check_positive(flag, value)
    for flag, widths in [("model.g_hidden", cfg.model.g_hidden), ("model.d_hidden", cfg.model.d_hidden)]:
        if not widths or any(width <= 0 for width in widths):
            raise GanforgeError(f"{flag}={widths} must be a non-empty list of positive widths", "e.g. [128]")
    if cfg.train.time is not None:
        duration_seconds(cfg.train.time)
    if cfg.data.image_size is not None:
        cfg.data.image_size = image_size_value(cfg.data.image_size, f"--image-size {excerpt(cfg.data.image_size)}")
    check_choice("fit", "data.fit", cfg.data.fit, FITS)
    if not 0 < cfg.train.rollback_lr_factor < 1:
        raise GanforgeError(
            f"train.rollback_lr_factor={cfg.train.rollback_lr_factor} must be between 0 and 1", "e.g. 0.5"
        )
    if cfg.train.health_every < 0:
        raise GanforgeError(f"train.health_every={cfg.train.health_every} must be 0 (off) or more", "e.g. 500")
    if cfg.train.max_rollbacks < 0:
        raise GanforgeError(f"train.max_rollbacks={cfg.train.max_rollbacks} must be 0 or more", "e.g. 3")
    if cfg.data.limit is not None and cfg.data.limit <= 0:
        raise GanforgeError(f"data.limit={cfg.data.limit} must be positive", "e.g. 1000, or leave it out")
    check_seed("--seed", cfg.train.seed)


def _check_game(cfg: Config, network: Network) -> None:
    """Fill D's normalisation and the loss's own settings; reject settings that belong to another loss."""
    model, train = cfg.model, cfg.train
    model.d_norm = network.d_norms[0] if model.d_norm is None else model.d_norm
    check_choice(f"D normalisation for model '{model.name}'", "model.d_norm", model.d_norm, network.d_norms)
    variant = GANS[train.loss]
    for other in GANS.values():
        if other is not variant:
            other.check_not_chosen(cfg)
    variant.check_config(cfg)
    for name, value in variant.settings.items():
        if getattr(train, name) is None:
            setattr(train, name, value)
    for key, value in (("train.weight_clip", train.weight_clip), ("train.gp_lambda", train.gp_lambda)):
        if value is not None and value <= 0:
            raise GanforgeError(f"{key}={value} must be positive", "the papers use 0.01 (clip) and 10 (lambda)")
    for key, value in (("train.r1_gamma", train.r1_gamma), ("train.r2_gamma", train.r2_gamma)):
        if value < 0:
            raise GanforgeError(f"{key}={value} must be 0 (off) or positive", "e.g. 10 or 0.1")
    if train.r1_every < 1:  # the config layer has already refused a value that is not a whole number
        raise GanforgeError(f"train.r1_every={train.r1_every} must be a whole number of D updates, 1 or more",
                            "e.g. train.r1_every=16 (StyleGAN2's lazy R1), or 1 for every update")  # fmt: skip


def _check_conditioning(cfg: Config) -> None:
    """Class conditioning needs a labelled image dataset; InfoGAN codes need images too (see gans/cgan.py)."""
    task = task_of(cfg)
    if task is not None:  # a task's G is conditioned on an image, not on a class or codes
        if cfg.model.labelled:
            raise GanforgeError(
                f"model.condition and InfoGAN codes do not apply to the {task.name} task",
                "leave model.condition at none and model.info_categorical / info_continuous at 0 for tasks",
            )
        return
    check_conditioning(cfg, data_kind(cfg.data.name))


def _check_tricks(cfg: Config) -> None:
    """EMA, DiffAugment, packing and unrolling: each composes with any loss, within its own limits."""
    train, task = cfg.train, task_of(cfg)
    if task is not None:
        options = {  # the values that switch each option on; None where it is off
            "train.ema": None if task.keeps_ema else train.ema,
            "train.augment": train.augment,
            "train.pack": train.pack if train.pack != 1 else None,
            "train.unroll": train.unroll or None,
            "model.minibatch_std": cfg.model.minibatch_std or None,
        }
        used = [f"{key}={value}" for key, value in options.items() if value is not None]
        if used:
            raise GanforgeError(
                f"{', '.join(used)} apply to unconditional generation from noise, not to the {task.name} task",
                "leave these off for tasks (EMA is kept for text2image only)",
            )
    if train.pack > 1 and cfg.model.labelled:
        raise GanforgeError(
            f"train.pack={train.pack} packs samples without their labels or codes, so it cannot be combined with "
            f"model.condition={cfg.model.condition} or InfoGAN codes",
            "use train.pack=1 for conditional and InfoGAN runs, or model.minibatch_std=true against mode collapse",
        )
    if train.ema is not None and not 0 < train.ema < 1:
        raise GanforgeError(f"train.ema={train.ema} must be a decay in (0, 1)", "e.g. 0.999, or leave it unset (off)")
    if train.ema_rampup is not None and (train.ema is None or not train.ema_rampup > 0):
        raise GanforgeError(
            f"train.ema_rampup={train.ema_rampup} needs train.ema set and a positive fraction",
            "e.g. --ema 0.999 --set train.ema_rampup=0.05, or leave it unset",
        )
    if train.augment is not None:
        if data_kind(cfg.data.name) == "points":
            raise GanforgeError(
                f"train.augment={train.augment!r} augments images, but {cfg.data.name} gives 2-D points",
                "leave train.augment unset for ring and grid",
            )
        if parse_ada(train.augment) is None:  # ADA ("ada", "ada:0.6") or DiffAugment's policies
            train.augment = ",".join(parse_policies(train.augment)) or None  # an empty list: off
    check_positive("train.ada_images", train.ada_images)
    if train.pack < 1:
        raise GanforgeError(f"train.pack={train.pack} must be 1 (off) or more", "PacGAN uses 2 to 4")
    if train.batch_size % train.pack:
        raise GanforgeError(
            f"--batch-size {train.batch_size} is not a multiple of train.pack={train.pack}: D judges packs of "
            f"{train.pack} samples",
            f"use a batch size divisible by {train.pack}, e.g. {train.batch_size - train.batch_size % train.pack}",
        )
    if train.unroll < 0:
        raise GanforgeError(f"train.unroll={train.unroll} must be 0 (off) or more", "Metz et al. use 5 to 10")
    if train.unroll_lr is not None and train.unroll_lr <= 0:
        raise GanforgeError(f"train.unroll_lr={train.unroll_lr} must be positive", "or leave it unset for optim.lr_d")
    if train.unroll and train.unroll_lr is None:
        train.unroll_lr = cfg.optim.lr_d


def _check_sync_batchnorm(cfg: Config, network: Network) -> None:
    """Synchronised batch norm needs batch norm layers; the number of processes is checked at launch."""
    if cfg.train.sync_batchnorm and not network.batch_norm:
        raise GanforgeError(
            f"train.sync_batchnorm synchronises batch norm, which model '{cfg.model.name}' does not use",
            f"use {_models_with('batch_norm')}, or leave train.sync_batchnorm off",
        )


def _resolve_optimizer(optim: OptimConfig, defaults: dict[str, Any]) -> None:
    optim.lr_g = defaults["lr"] if optim.lr_g is None else optim.lr_g
    optim.lr_d = defaults["lr"] if optim.lr_d is None else optim.lr_d
    for flag, lr in [("--lr-g", optim.lr_g), ("--lr-d", optim.lr_d)]:
        if lr <= 0:
            raise GanforgeError(f"{flag} {lr} must be positive", "typical values are 1e-4 to 1e-3 for Adam")
    if not 0 <= optim.lr_decay <= 1:
        raise GanforgeError(
            f"optim.lr_decay={optim.lr_decay} must be a fraction of training in [0, 1]",
            "e.g. --set optim.lr_decay=0.5 (the last half of training), or 0 for constant learning rates",
        )
    if optim.name == "adam":
        optim.betas = list(defaults["betas"]) if optim.betas is None else optim.betas
        if len(optim.betas) != 2 or not all(0 <= beta < 1 for beta in optim.betas):
            raise GanforgeError(f"--betas {optim.betas} must be two numbers in [0, 1)", "e.g. --betas 0.5,0.999")
        optim.momentum = None
    else:
        optim.momentum = defaults["momentum"] if optim.momentum is None else optim.momentum
        if not 0 <= optim.momentum < 1:
            raise GanforgeError(f"optim.momentum={optim.momentum} must be in [0, 1)", "e.g. 0.5")
        optim.betas = None


def check_device(name: str) -> None:
    """Reject a device name that is not one, or names hardware that is not here."""
    if name == "auto" or name == "cpu":
        return
    if name == "cuda" or name.startswith("cuda:"):
        index = name.partition(":")[2]
        if index and not index.isdigit():
            raise GanforgeError(f"--device {name} is not a device", DEVICES_HELP)
        if not torch.cuda.is_available():
            raise GanforgeError(f"--device {name}: no CUDA GPU is visible here", "use --device cpu or auto")
        if index and int(index) >= torch.cuda.device_count():
            raise GanforgeError(f"--device {name}: only {torch.cuda.device_count()} GPUs here", DEVICES_HELP)
        return
    if name == "mps":
        if not torch.backends.mps.is_available():
            raise GanforgeError("--device mps: Apple's MPS backend is not available here", "use --device cpu")
        return
    raise GanforgeError(f"--device {name} is not a device", DEVICES_HELP)
