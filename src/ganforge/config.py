"""The run configuration: dataclasses, YAML in and out, validation and command-line overrides.

One ``Config`` describes a run completely. It is validated here, before any work starts, so a
mistyped value fails in a second with one line naming it, not an hour into training. The resolved
config (every default filled in) is what a run folder stores in ``config.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import GanforgeError

PRIORS = ("normal", "uniform")
ON_DIVERGENCE = ("stop", "rollback")
ON_ALARM = ("warn", "stop")
PRECISIONS = ("fp32", "bf16")
FUSED_OPTIMIZERS = ("adam", "sgd")  # the optimisers torch has a fused kernel for
OPTIMIZERS = ("adam", "sgd", "rmsprop")
D_NORMS = {"mlp": ("none", "spectral"), "dcgan": ("batch", "spectral", "none")}  # per model; the first is its default
TASK_D_NORMS = ("batch", "instance", "spectral", "none")  # the image-to-image tasks' PatchGAN D (ganforge.tasks)
D_NORMS.update({"unet": TASK_D_NORMS, "srresnet": TASK_D_NORMS, "context-encoder": TASK_D_NORMS})
D_NORMS["resnet"] = ("instance", "batch", "spectral", "none")  # CycleGAN normalises per image (Zhu et al. 2017)
LOSS_DEFAULTS = {"wgan": {"weight_clip": 0.01}, "wgan-gp": {"gp_lambda": 10.0}}  # the papers' c and lambda
DEVICES_HELP = "use 'auto', 'cpu', 'cuda' or 'cuda:N'"


@dataclass
class DataConfig:
    """What to train on. ``modes``, ``radius``, ``spacing`` and ``std`` shape the 2-D mixtures."""

    name: str = "mnist"
    split: str = "train"  # train | test (image datasets; evaluation compares against both)
    data_dir: str | None = None  # a folder of dataset files; else $GANFORGE_DATA, system copies, download
    image_size: int | None = None  # resize images to this side (e.g. 32 or 64 for DCGAN); None keeps them
    limit: int | None = None  # use only the first N images of the split (small-data experiments)
    download: bool = True  # try a torchvision download when no local copy is found
    modes: int | None = None  # ring: number of Gaussians (8); grid: Gaussians per side (5)
    radius: float = 1.0  # ring radius
    spacing: float = 2.0  # grid spacing
    std: float | None = None  # mixture std; None: 0.01 for ring, 0.05 for grid (PacGAN's code)


@dataclass
class ModelConfig:
    """The networks: G maps z (``z_dim``, drawn from ``prior``) to data; D maps data to one logit."""

    name: str = "mlp"
    z_dim: int = 100
    prior: str = "normal"  # normal: N(0, I); uniform: U[-1, 1]^z_dim
    g_hidden: list[int] = field(default_factory=lambda: [128])  # mlp: hidden widths of G
    d_hidden: list[int] = field(default_factory=lambda: [128])  # mlp: hidden widths of D
    leak: float = 0.01  # mlp: LeakyReLU slope (the tutorial's alpha)
    width: int = 64  # dcgan: feature maps of the widest layer at the finest resolution
    d_norm: str | None = None  # D's normalisation: batch | spectral | none; None: batch for dcgan, none for mlp
    condition: str = "none"  # class labels: none | concat (cGAN) | projection | acgan (docs/models.md)
    info_categorical: int = 0  # InfoGAN: categories of one categorical code appended to z (0: no code)
    info_continuous: int = 0  # InfoGAN: continuous codes ~ U[-1, 1] appended to z
    minibatch_std: bool = False  # D sees the minibatch's standard deviation as one more feature (Karras 2018)

    @property
    def labelled(self) -> bool:
        """Whether G and D take class labels or InfoGAN codes (``models/conditional.py`` wraps them)."""
        return self.condition != "none" or bool(self.info_categorical or self.info_continuous)


@dataclass
class OptimConfig:
    """Optimisers for G and D. ``None`` takes the model's paper default (see ``MODEL_DEFAULTS``)."""

    name: str = "adam"
    lr_g: float | None = None
    lr_d: float | None = None
    betas: list[float] | None = None  # adam only
    momentum: float | None = None  # sgd and rmsprop
    fused: bool | None = None  # one fused kernel per step (adam, sgd); None: on where torch has it (docs/benchmarks.md)


@dataclass
class TrainConfig:
    """The game and its cadence: Algorithm 1 runs ``d_steps`` D updates per G update, ``steps`` times."""

    loss: str = "non-saturating"
    steps: int | None = None  # None: the model's default (MODEL_DEFAULTS)
    batch_size: int = 128
    d_steps: int = 1  # k in Algorithm 1 of Goodfellow et al. (2014)
    r1_gamma: float = 0.0  # > 0: add gamma/2 E[||grad D(x)||^2] on real data to D's loss, any loss (Mescheder 2018)
    gp_lambda: float | None = None  # wgan-gp: weight of the gradient penalty; None: 10 (Gulrajani et al. 2017)
    weight_clip: float | None = None  # wgan: clip D's weights to [-c, c]; None: 0.01 (Arjovsky et al. 2017)
    seed: int = 0
    device: str = "auto"
    log_every: int = 100
    sample_every: int | None = None  # None: the model's default
    checkpoint_every: int | None = None  # None: the model's default
    grid_size: int = 64  # samples in each progress grid (drawn from one fixed latent batch)
    on_divergence: str = "stop"  # stop | rollback: what a NaN or Inf in a loss, gradient or weight does
    rollback_lr_factor: float = 0.5  # rollback: learning rates are multiplied by this after each rollback
    max_rollbacks: int = 3  # rollback: give up after this many
    deterministic: bool = False  # GPU: ask PyTorch for deterministic kernels (the CPU path is already)
    eval_every: int | None = None  # measure the generator every N steps into metrics.jsonl (eval/...); None: never
    eval_metrics: str | None = None  # comma-separated metric names; None: "fid" for images, "modes" for points
    eval_samples: int = 2000  # samples (and real ones) per measurement during training
    health_every: int | None = None  # health signals every N steps (0: off); None: the model's default
    on_alarm: str = "warn"  # warn | stop: what a health alarm does (docs/health.md)
    info_lambda: float = 1.0  # InfoGAN: weight of the categorical code's term of the mutual-information bound
    info_lambda_continuous: float = 0.1  # InfoGAN: weight of the continuous codes' term (Chen et al. 2016, app. C)
    ema: float | None = None  # keep G_ema, an exponential moving average of G's weights with this decay; None: off
    augment: str | None = None  # DiffAugment policies for D's input, e.g. "translation,cutout,color" (images only)
    pack: int = 1  # PacGAN: D judges this many samples at once (Lin et al. 2018); 1: off
    unroll: int = 0  # unrolled GAN: G's loss sees D advanced this many steps (Metz et al. 2017); 0: off
    unroll_lr: float | None = None  # step size of the unrolled (gradient-descent) D steps; None: optim.lr_d
    sync_batchnorm: bool = False  # under torchrun: batch norm statistics over the global batch (GPUs; dcgan)
    precision: str = "fp32"  # fp32 | bf16: bf16 runs the forward passes under autocast (docs/benchmarks.md)
    compile: bool = False  # torch.compile G and D (pays on GPUs and large models; measured in docs/benchmarks.md)
    cuda_graphs: bool = False  # CUDA only: replay G's and D's kernels as CUDA graphs (torch.compile reduce-overhead)
    channels_last: bool = False  # dcgan: NHWC memory layout for the convolutions


@dataclass
class TaskConfig:
    """An image-to-image task (docs/applications.md): G maps a source image to a target, no latent z.

    None (the default) is generation from noise. The weights are the papers' (see ``ganforge.presets``).
    """

    name: str | None = None  # pix2pix | cyclegan | srgan | inpaint
    scale: int = 4  # srgan: the upsampling factor, 2 or 4 (Ledig et al. 2017 used 4)
    mask: str = "center"  # inpaint: center (one square) | boxes (three random squares per image)
    hole: float = 0.5  # inpaint: the centre square's side as a fraction of the image's; each box is half that
    l1_weight: float = 100.0  # pix2pix: lambda of the L1 term (Isola et al. 2017, eq. 4)
    cycle_weight: float = 10.0  # cyclegan: lambda of the cycle-consistency term (Zhu et al. 2017, eq. 3)
    identity_weight: float = 5.0  # cyclegan: weight of the identity term, 0.5 lambda (Zhu et al. 2017, 5.2)
    adversarial_weight: float = 0.001  # srgan and inpaint: weight of the adversarial term (both papers: 1e-3)
    rec_weight: float = 0.999  # inpaint: weight of the reconstruction term (Pathak et al. 2016)
    feature_weight: float = 0.0  # srgan: weight of the domain classifier's feature loss (mnist, fashion-mnist)


@dataclass
class Config:
    """A complete, validated description of one training run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    out: str | None = None  # the run folder; None picks runs/<dataset>-<model>[-N]
    preset: str | None = None  # a paper's settings (ganforge.presets) under every key not set explicitly

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> Config:
        """Build a config from nested dicts, rejecting unknown keys with a suggestion."""
        return apply_overrides(cls(), flatten(values), source=source)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """Read a YAML config file (as written by ``to_yaml`` or by hand; missing keys keep defaults)."""
        path = Path(path)
        if not path.is_file():
            raise GanforgeError(f"config file {path} does not exist", "check the path given to --config")
        try:
            values = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise GanforgeError(f"config file {path} is not valid YAML{where}", "fix the syntax") from None
        if values is None:  # an empty file: every default
            values = {}
        if not isinstance(values, dict):
            raise GanforgeError(f"config file {path} must hold a mapping of sections", "see docs/config.md")
        return cls.from_dict(values, source=str(path))


# Defaults per model, used where a setting is left as None: the papers' optimiser settings, and a
# training length that gives a recognisable result in a few minutes on two CPU cores.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {
        # The Keras tutorial compiles both models with Adam() at Keras' defaults, and trains 20,000
        # iterations at batch 128, sampling every 1,000.
        "adam": {"lr": 1e-3, "betas": [0.9, 0.999]},
        # Goodfellow et al. (2014) used SGD with momentum 0.5 (their released code raised it to 0.7).
        "sgd": {"lr": 0.1, "momentum": 0.5},
        # Arjovsky et al. (2017), Algorithm 1: RMSProp at 5e-5 (momentum-free, which they found more stable).
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": 20000, "sample_every": 1000, "checkpoint_every": 5000, "health_every": 500},
    },
    "dcgan": {
        # Radford et al. (2016), section 4: Adam, learning rate 0.0002, beta1 = 0.5, batch 128.
        "adam": {"lr": 2e-4, "betas": [0.5, 0.999]},
        "sgd": {"lr": 0.02, "momentum": 0.5},
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": 2000, "sample_every": 100, "checkpoint_every": 500, "health_every": 100},
    },
}


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"steps": 5}}`` -> ``{"train.steps": 5}``; leaves that are not section dicts stay whole."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and not prefix and key in SECTIONS:
            flat.update(flatten(value, prefix=f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


SECTIONS = {"data": DataConfig, "model": ModelConfig, "optim": OptimConfig, "train": TrainConfig, "task": TaskConfig}


def known_keys() -> list[str]:
    keys = [f"{section}.{f.name}" for section, kind in SECTIONS.items() for f in dataclasses.fields(kind)]
    return [*keys, "out", "preset"]


def apply_overrides(cfg: Config, overrides: dict[str, Any], source: str = "override") -> Config:
    """Return a copy of ``cfg`` with dotted keys (``train.steps``) set; unknown keys are an error."""
    cfg = _copy(cfg)
    cfg._explicit = {*explicit_keys(cfg), *overrides}  # keys a preset must not fill (see resolve)
    keys = known_keys()
    for dotted, value in overrides.items():
        if dotted not in keys:
            close = difflib.get_close_matches(dotted, keys, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(keys)}"
            raise GanforgeError(f"unknown setting '{dotted}' in {source}", hint)
        if dotted in ("out", "preset"):
            setattr(cfg, dotted, None if value is None else str(value))
            continue
        section, name = dotted.split(".", 1)
        setattr(getattr(cfg, section), name, _coerce(dotted, value, source))
    return cfg


def _copy(cfg: Config) -> Config:
    sections = {name: dataclasses.replace(getattr(cfg, name)) for name in SECTIONS}
    copy = Config(**sections, out=cfg.out, preset=cfg.preset)
    copy._explicit = set(explicit_keys(cfg))
    return copy


def explicit_keys(cfg: Config) -> set[str]:
    """The dotted keys set through ``apply_overrides`` (a config file, flags, ``--set``), even to a default value."""
    return getattr(cfg, "_explicit", set())


def _field_type(dotted: str) -> str:
    section, name = dotted.split(".", 1)
    (match,) = [f for f in dataclasses.fields(SECTIONS[section]) if f.name == name]
    return str(match.type)


def _coerce(dotted: str, value: Any, source: str) -> Any:
    """Check a value against its field's declared type, converting the harmless cases (int -> float)."""
    kind = _field_type(dotted)
    optional = "None" in kind
    if value is None:
        if optional:
            return None
        raise GanforgeError(f"{dotted} cannot be empty (in {source})", "give it a value or leave it out")
    expected = kind.split("|")[0].strip()
    try:
        if expected == "bool":
            if isinstance(value, bool):
                return value
            raise TypeError
        if expected == "int":
            if isinstance(value, bool) or not float(value).is_integer():
                raise TypeError
            return int(value)
        if expected == "float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if expected == "str":
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise TypeError
            return str(value)
        if expected.startswith("list"):
            items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
            cast = int if "int" in expected else float
            return [_number(cast, item) for item in items]
    except (TypeError, ValueError):
        pass
    raise GanforgeError(f"{dotted}={value!r} (in {source}) is not a valid {expected}", f"give {dotted} a {expected}")


def _number(cast: type, item: Any) -> int | float:
    if isinstance(item, bool):
        raise TypeError
    number = float(item)
    if cast is int and not number.is_integer():
        raise TypeError
    return cast(number)


def resolve(cfg: Config) -> Config:
    """Validate ``cfg`` and fill in model-dependent defaults; raise ``GanforgeError`` on the first bad value."""
    from ganforge.data import DATASETS, SPLITS
    from ganforge.gans import GANS
    from ganforge.models import MODELS

    cfg = _copy(cfg)
    if cfg.task.name is not None and cfg.preset is None:  # --task NAME brings its preset (ganforge.tasks)
        from ganforge.tasks import task_preset

        cfg.preset = task_preset(cfg.task.name)
    if cfg.preset is not None:  # defaults < preset < config file < flags: see presets.apply
        from ganforge.presets import apply as apply_preset

        cfg = apply_preset(cfg, cfg.preset)
    if cfg.task.name is not None:  # image-to-image tasks bring their own data, networks and defaults
        from ganforge.tasks import resolve_task

        model_defaults = resolve_task(cfg)
    else:
        if not cfg.data.name.startswith("folder:"):  # folder:PATH is checked when it loads
            _choice("dataset", "--dataset", cfg.data.name, DATASETS)
        _choice("model", "--model", cfg.model.name, MODELS)
        model_defaults = MODEL_DEFAULTS[cfg.model.name]
    _choice("split", "data.split", cfg.data.split, SPLITS)
    _choice("loss", "--loss", cfg.train.loss, GANS)
    _choice("prior", "--prior", cfg.model.prior, PRIORS)
    _choice("optimizer", "--optimizer", cfg.optim.name, OPTIMIZERS)
    _choice("divergence policy", "--on-divergence", cfg.train.on_divergence, ON_DIVERGENCE)
    _choice("alarm policy", "--on-alarm", cfg.train.on_alarm, ON_ALARM)
    check_device(cfg.train.device)
    for name, value in model_defaults["train"].items():
        if getattr(cfg.train, name) is None:
            setattr(cfg.train, name, value)
    _check_sizes(cfg)
    _check_game(cfg)
    _check_conditioning(cfg)
    _check_sync_batchnorm(cfg)
    _resolve_optimizer(cfg.optim, model_defaults[cfg.optim.name])
    _check_tricks(cfg)
    _check_speed(cfg)
    return cfg


def _check_speed(cfg: Config) -> None:
    """The speed switches: fill ``optim.fused``; reject switches that cannot apply to this run."""
    import torch

    train = cfg.train
    _choice("precision", "train.precision", train.precision, PRECISIONS)
    if cfg.optim.fused is None:  # same update as the for-loop kernel, to float rounding; measured to pay
        cfg.optim.fused = cfg.optim.name in FUSED_OPTIMIZERS and train.device != "mps"
    elif cfg.optim.fused and cfg.optim.name not in FUSED_OPTIMIZERS:
        raise GanforgeError(
            f"optim.fused=true: torch has no fused {cfg.optim.name} kernel",
            f"leave optim.fused unset, or use one of: {', '.join(FUSED_OPTIMIZERS)}",
        )
    if train.channels_last and cfg.model.name != "dcgan":
        raise GanforgeError(
            f"train.channels_last=true lays out convolution inputs, but model '{cfg.model.name}' has none",
            "use it with --model dcgan, or leave it out",
        )
    if train.cuda_graphs:
        on_cpu = train.device == "cpu" or (train.device == "auto" and not torch.cuda.is_available())
        if on_cpu or train.device == "mps":
            raise GanforgeError(
                f"train.cuda_graphs=true needs a CUDA GPU, but this run trains on {train.device}",
                "leave train.cuda_graphs out on the CPU, or train with --device cuda",
            )


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
        _positive(flag, value)
    for flag, widths in [("model.g_hidden", cfg.model.g_hidden), ("model.d_hidden", cfg.model.d_hidden)]:
        if not widths or any(width <= 0 for width in widths):
            raise GanforgeError(f"{flag}={widths} must be a non-empty list of positive widths", "e.g. [128]")
    if cfg.data.image_size is not None and cfg.data.image_size <= 0:
        raise GanforgeError(f"--image-size {cfg.data.image_size} must be positive", "e.g. 32 or 64")
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
    if cfg.train.seed < 0:
        raise GanforgeError(f"--seed {cfg.train.seed} must be zero or positive", "use e.g. --seed 0")


def _check_game(cfg: Config) -> None:
    """Fill D's normalisation and the loss's own settings; reject settings that belong to another loss."""
    model, train = cfg.model, cfg.train
    model.d_norm = D_NORMS[model.name][0] if model.d_norm is None else model.d_norm
    _choice(f"D normalisation for model '{model.name}'", "model.d_norm", model.d_norm, D_NORMS[model.name])
    if train.weight_clip is not None and train.loss != "wgan":
        raise GanforgeError(
            f"train.weight_clip={train.weight_clip} clips D's weights, which only --loss wgan does (not {train.loss})",
            "WGAN-GP replaces clipping with its gradient penalty: leave train.weight_clip unset",
        )
    if train.gp_lambda is not None and train.loss != "wgan-gp":
        raise GanforgeError(
            f"train.gp_lambda={train.gp_lambda} is WGAN-GP's gradient penalty, but the loss is {train.loss}"
            + (", which clips weights instead" if train.loss == "wgan" else ""),
            "use --loss wgan-gp for the penalty, or train.r1_gamma for a penalty that fits any loss",
        )
    if train.loss == "wgan-gp" and model.d_norm == "batch":
        raise GanforgeError(
            "--loss wgan-gp penalises D's gradient per sample, which batch norm in D mixes across the batch",
            "set --set model.d_norm=none (or spectral), or use --preset wgan-gp",
        )
    for name, value in LOSS_DEFAULTS.get(train.loss, {}).items():
        if getattr(train, name) is None:
            setattr(train, name, value)
    for key, value in (("train.weight_clip", train.weight_clip), ("train.gp_lambda", train.gp_lambda)):
        if value is not None and value <= 0:
            raise GanforgeError(f"{key}={value} must be positive", "the papers use 0.01 (clip) and 10 (lambda)")
    if train.r1_gamma < 0:
        raise GanforgeError(f"train.r1_gamma={train.r1_gamma} must be 0 (off) or positive", "e.g. 10 or 0.1")


def _check_conditioning(cfg: Config) -> None:
    """Class conditioning needs a labelled image dataset; InfoGAN codes need images too (see gans/cgan.py)."""
    from ganforge.gans.cgan import check_conditioning

    if cfg.task.name is not None:  # a task's G is conditioned on an image, not on a class or codes
        if cfg.model.labelled:
            raise GanforgeError(
                f"model.condition and InfoGAN codes do not apply to the {cfg.task.name} task",
                "leave model.condition at none and model.info_categorical / info_continuous at 0 for tasks",
            )
        return
    check_conditioning(cfg, _data_kind(cfg))


def _data_kind(cfg: Config) -> str:
    """'points' for the 2-D mixtures, else 'image' (registered image sets, folders and task data)."""
    from ganforge.data import DATASETS

    info = DATASETS.get(cfg.data.name)
    return info.kind if info is not None else "image"


def _check_tricks(cfg: Config) -> None:
    """EMA, DiffAugment, packing and unrolling: each composes with any loss, within its own limits."""
    from ganforge.gans.augment import parse_policies

    train = cfg.train
    if cfg.task.name is not None:
        options = {  # the values that switch each option on; None where it is off
            "train.ema": train.ema,
            "train.augment": train.augment,
            "train.pack": train.pack if train.pack != 1 else None,
            "train.unroll": train.unroll or None,
            "model.minibatch_std": cfg.model.minibatch_std or None,
        }
        used = [f"{key}={value}" for key, value in options.items() if value is not None]
        if used:
            raise GanforgeError(
                f"{', '.join(used)} apply to generation from noise, not to the {cfg.task.name} task",
                "leave EMA, augmentation, packing, unrolling and minibatch std off for image-to-image tasks",
            )
    if train.pack > 1 and cfg.model.labelled:
        raise GanforgeError(
            f"train.pack={train.pack} packs samples without their labels or codes, so it cannot be combined with "
            f"model.condition={cfg.model.condition} or InfoGAN codes",
            "use train.pack=1 for conditional and InfoGAN runs, or model.minibatch_std=true against mode collapse",
        )
    if train.ema is not None and not 0 < train.ema < 1:
        raise GanforgeError(f"train.ema={train.ema} must be a decay in (0, 1)", "e.g. 0.999, or leave it unset (off)")
    if train.augment is not None:
        if _data_kind(cfg) == "points":
            raise GanforgeError(
                f"train.augment={train.augment!r} augments images, but {cfg.data.name} gives 2-D points",
                "leave train.augment unset for ring and grid",
            )
        train.augment = ",".join(parse_policies(train.augment)) or None  # an empty list: off
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


def _check_sync_batchnorm(cfg: Config) -> None:
    """Synchronised batch norm needs batch norm layers; the number of processes is checked at launch."""
    if cfg.train.sync_batchnorm and cfg.model.name != "dcgan":
        raise GanforgeError(
            f"train.sync_batchnorm synchronises batch norm, which model '{cfg.model.name}' does not use",
            "use --model dcgan, or leave train.sync_batchnorm off",
        )


def _resolve_optimizer(optim: OptimConfig, defaults: dict[str, Any]) -> None:
    optim.lr_g = defaults["lr"] if optim.lr_g is None else optim.lr_g
    optim.lr_d = defaults["lr"] if optim.lr_d is None else optim.lr_d
    for flag, lr in [("--lr-g", optim.lr_g), ("--lr-d", optim.lr_d)]:
        if lr <= 0:
            raise GanforgeError(f"{flag} {lr} must be positive", "typical values are 1e-4 to 1e-3 for Adam")
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


def _choice(what: str, flag: str, value: str, choices: Any) -> None:
    if value not in choices:
        names = sorted(choices)
        close = difflib.get_close_matches(value, names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"choose one of: {', '.join(names)}"
        raise GanforgeError(f"unknown {what} '{value}' ({flag})", hint)


def _positive(flag: str, value: int) -> None:
    if value <= 0:
        raise GanforgeError(f"{flag} {value} must be a positive integer", f"give {flag} a value of 1 or more")


def check_device(name: str) -> None:
    """Reject a device name that is not one, or names hardware that is not here."""
    import torch

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
