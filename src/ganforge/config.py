"""The run configuration as data: dataclasses, YAML in and out, and command-line overrides.

One ``Config`` describes a run completely. ``resolve.py`` checks it and fills in every default before
any work starts, so a mistyped value fails in a second with one line naming it, not an hour into
training. The resolved config is what a run folder stores in ``config.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ganforge.errors import GanforgeError, excerpt


@dataclass
class DataConfig:
    """What to train on. ``modes``, ``radius``, ``spacing`` and ``std`` shape the 2-D mixtures."""

    name: str = "mnist"
    split: str = "train"  # train | test (image datasets; evaluation compares against both)
    data_dir: str | None = None  # a folder of dataset files; else $GANFORGE_DATA, system copies, download
    image_size: int | str | None = None  # a side (32: 32 x 32) or "HxW" (48x32: 48 high, 32 wide); None keeps them
    fit: str = "crop"  # folder images of another shape: crop (the centre), pad (the whole, letterboxed) or stretch
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
    """Optimisers for G and D. ``None`` takes the model's paper default (its registry entry's ``defaults``)."""

    name: str = "adam"
    lr_g: float | None = None
    lr_d: float | None = None
    betas: list[float] | None = None  # adam only
    momentum: float | None = None  # sgd and rmsprop
    fused: bool | None = None  # one fused kernel per step (adam, sgd); None: on where torch has it (docs/benchmarks.md)
    # the last fraction of training over which both learning rates fall linearly to 0 (0: constant rates); the
    # fraction of training done is the steps', or the --time budget's where that is further along
    lr_decay: float = 0.0


@dataclass
class TrainConfig:
    """The game and its cadence: Algorithm 1 runs ``d_steps`` D updates per G update, ``steps`` times."""

    loss: str = "non-saturating"
    steps: int | None = None  # None: the model's default (its registry entry's defaults)
    # A budget of training time ("90s", "2m", "1h" or seconds): training stops at whichever comes first, steps or
    # time, with the usual final pictures and checkpoint. Resumes continue the budget (the run records seconds).
    time: str | None = None
    batch_size: int = 128
    d_steps: int = 1  # k in Algorithm 1 of Goodfellow et al. (2014)
    # G's update reuses the fakes of the last D update (as the pytorch DCGAN example does) instead of drawing
    # its own z as Algorithm 1 does; off in every tutorial preset
    g_reuse_fakes: bool = False
    r1_gamma: float = 0.0  # > 0: add gamma/2 E[||grad D(x)||^2] on real data to D's loss, any loss (Mescheder 2018)
    r2_gamma: float = 0.0  # > 0: the same on generated data, any loss (R2; R3GAN, Huang et al. 2024, uses both)
    # lazy regularisation (StyleGAN2, Karras et al. 2020, section 3.1): R1 and R2 on every Nth D update only,
    # weighted N times, so they cost 1/N as much; 1: on every update
    r1_every: int = 1
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
    ema_rampup: float | None = None  # cap G_ema's half-life at this fraction of the steps so far (0.05); None: off
    augment: str | None = None  # D's input: DiffAugment policies, e.g. "translation,cutout,color", or "ada[:target]"
    ada_images: int = 500_000  # ADA: real images over which p can rise from 0 to 1 (Karras et al. 2020: 500k)
    pack: int = 1  # PacGAN: D judges this many samples at once (Lin et al. 2018); 1: off
    unroll: int = 0  # unrolled GAN: G's loss sees D advanced this many steps (Metz et al. 2017); 0: off
    unroll_lr: float | None = None  # step size of the unrolled (gradient-descent) D steps; None: optim.lr_d
    sync_batchnorm: bool = False  # under torchrun: batch norm statistics over the global batch (GPUs; dcgan)
    precision: str = "fp32"  # fp32 | bf16 (forward passes under autocast) | auto: bf16 where the CPU has it natively
    compile: bool = False  # torch.compile G and D (pays on GPUs and large models; measured in docs/benchmarks.md)
    cuda_graphs: bool = False  # CUDA only: replay G's and D's kernels as CUDA graphs (torch.compile reduce-overhead)
    channels_last: bool = False  # dcgan: NHWC memory layout for the convolutions
    init_from: str | None = None  # a run folder whose latest G, D (and G_ema) weights this run starts from
    freeze_d: int = 0  # with init_from: keep D's first N layers at those weights (FreezeD, Mo et al. 2020)
    tensorboard: bool = False  # also write scalars and progress pictures as TensorBoard events in RUN/tensorboard


@dataclass
class TaskConfig:
    """An image-to-image task (docs/applications.md): G maps a source image to a target, no latent z.

    None (the default) is generation from noise. The weights are the papers' (see ``ganforge.presets``).
    """

    name: str | None = None  # pix2pix | cyclegan | srgan | inpaint | video | text2image
    scale: int = 4  # srgan: the upsampling factor, 2 or 4 (Ledig et al. 2017 used 4)
    mask: str = "center"  # inpaint: center (one square) | boxes (three random squares per image)
    hole: float = 0.5  # inpaint: the centre square's side as a fraction of the image's; each box is half that
    l1_weight: float = 100.0  # pix2pix: lambda of the L1 term (Isola et al. 2017, eq. 4)
    cycle_weight: float = 10.0  # cyclegan: lambda of the cycle-consistency term (Zhu et al. 2017, eq. 3)
    identity_weight: float = 5.0  # cyclegan: weight of the identity term, 0.5 lambda (Zhu et al. 2017, 5.2)
    adversarial_weight: float = 0.001  # srgan and inpaint: weight of the adversarial term (both papers: 1e-3)
    rec_weight: float = 0.999  # inpaint: weight of the reconstruction term (Pathak et al. 2016)
    feature_weight: float = 0.0  # srgan: weight of the domain classifier's feature loss (mnist, fashion-mnist)
    filters: str | None = None  # srgan: downscaling filters mixed in training, e.g. "bicubic,bilinear-aa"; None: all
    held_out_filter: str = "area"  # the filter of the test inputs no run trains on (srgan's mix leaves it out)
    # video (Mathieu, Couprie and LeCun 2016; docs/applications.md): None takes the dataset's
    context: int | None = None  # video: frames G reads (moving-mnist: 10, moving-mnist-small: 4)
    future: int | None = None  # video: frames G predicts in one pass; more are rolled out; None: the horizon
    horizon: int | None = None  # video: frames evaluation and pictures predict (moving-mnist: 10, small: 4)
    l2_weight: float = 1.0  # video: weight of the L2 term (their lambda_lp, p = 2)
    gdl_weight: float = 1.0  # video: weight of the gradient-difference term (their lambda_gdl)
    video_d: str = "multiscale"  # video: multiscale (their D, one per scale) | 3d (a 3-D conv D over the clip)
    kl_weight: float = 1.0  # text2image: lambda of conditioning augmentation's KL term (Zhang et al. 2017: 1)
    class_weight: float = 0.0  # text2image: weight of D's auxiliary class head (TAC-GAN, Dash et al. 2017); 0: none
    augment_text: bool = True  # text2image: conditioning augmentation on (False: c = mu, the no-CA ablation)
    stage1_steps: int | None = None  # text2image at 64 px: G updates of stage I before stage II; None: half
    shuffle_captions: bool = False  # text2image: pair each image with another's captions (the control run)


@dataclass
class Config:
    """A complete, validated description of one training run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    out: str | None = None  # the run folder; None picks runs/<dataset>-<model>-<loss>[-N]
    preset: str | None = None  # a paper's settings (ganforge.presets) under every key not set explicitly
    # The dotted keys set through apply_overrides (a config file, flags, --set), even to a default value:
    # the keys a preset must not fill. Not part of the run's description, so never saved.
    explicit: set[str] = field(default_factory=set, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        del values["explicit"]
        return values

    def copy(self) -> Config:
        """A copy whose sections can be edited without touching this one."""
        sections = {name: dataclasses.replace(getattr(self, name)) for name in SECTIONS}
        return Config(**sections, out=self.out, preset=self.preset, explicit=set(self.explicit))

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
        values = load_yaml_file(path, "config file")
        if values is None:  # an empty file: every default
            values = {}
        if not isinstance(values, dict):
            raise GanforgeError(f"config file {path} must hold a mapping of sections", "see docs/config.md")
        return cls.from_dict(values, source=str(path))


MAX_YAML_BYTES = 1 * 2**20  # a config is a few hundred bytes; a megabyte is already absurd
MAX_YAML_VALUES = 100_000  # values after every alias is expanded: "billion laughs" stops here


def load_yaml_file(path: Path, what: str) -> Any:
    """``load_yaml`` of a file, refusing one over ``MAX_YAML_BYTES`` before reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise GanforgeError(f"{what} {path} is {size:,} bytes, over the {MAX_YAML_BYTES:,} a config may have",
                                "give a config file, not data")  # fmt: skip
        data = path.read_bytes()
    except OSError as error:
        raise GanforgeError(f"cannot read {what} {path} ({error.strerror})", "check the path and its rights") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GanforgeError(f"{what} {path} is not UTF-8 text (byte {error.start})", "save it as UTF-8") from None
    return load_yaml(text, f"{what} {path}")


def load_yaml(text: str, where: str) -> Any:
    """Safe YAML (plain data only, no tags that build objects) within bounds: at most ``MAX_YAML_BYTES`` of text
    and ``MAX_YAML_VALUES`` values once aliases are expanded, nesting Python can walk. The bound is checked on
    the parsed node graph, before anything is built, so a few hundred bytes of nested aliases cost nothing."""
    if len(text) > MAX_YAML_BYTES:
        raise GanforgeError(f"{where} holds {len(text):,} characters, over {MAX_YAML_BYTES:,}",
                            "give a config, not data")  # fmt: skip
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        count = _expanded_size(node, {}, MAX_YAML_VALUES)
        if count > MAX_YAML_VALUES:
            raise GanforgeError(f"{where} expands to over {MAX_YAML_VALUES:,} values through its aliases (&, *)",
                                "write the values out; a config needs few of them")  # fmt: skip
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise GanforgeError(f"{where} is not valid YAML{at}", "fix the syntax") from None
    except RecursionError:
        raise GanforgeError(f"{where} nests too deeply", "a config has sections of plain values") from None
    except ValueError as error:  # a value YAML reads but Python will not build, e.g. an integer of a million digits
        raise GanforgeError(f"{where} holds a value that cannot be read ({excerpt(str(error))})",
                            "give plain, short values") from None  # fmt: skip
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int], limit: int) -> int:
    """How many values ``node`` stands for with every alias expanded (each shared node counted once per use,
    computed once); stops early past ``limit``. A node that contains itself counts as over the limit."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = limit + 1  # while being counted: a node met again inside itself is a cycle
    total = 1
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        total += _expanded_size(child, sizes, limit)
        if total > limit:
            break
    sizes[id(node)] = total
    return total


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
    cfg = cfg.copy()
    cfg.explicit |= set(overrides)  # keys a preset must not fill (see presets.apply)
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
    if kind.startswith("int | str"):  # data.image_size: a side or height x width
        return image_size_value(value, f"{dotted}={excerpt(value)} (in {source})")
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
    raise GanforgeError(f"{dotted}={excerpt(value)} (in {source}) is not a valid {expected}",
                        f"give {dotted} a {expected}")  # fmt: skip


def _number(cast: type, item: Any) -> int | float:
    if isinstance(item, bool):
        raise TypeError
    number = float(item)
    if cast is int and not number.is_integer():
        raise TypeError
    return cast(number)


def image_size_value(value: Any, where: str) -> int | str:
    """An image size as ``data.image_size`` keeps it: a square's side as an int (32, or '32x32'), else 'HxW'."""
    text = str(value).strip().lower().replace(" ", "")
    height, _, width = text.partition("x")
    if isinstance(value, bool) or not height.isdigit() or not (width.isdigit() or not text.count("x")):
        raise GanforgeError(f"{where} is not an image size", "give a side such as 32, or height x width such as 48x32")
    sides = int(height), int(width or height)
    if min(sides) <= 0:
        raise GanforgeError(f"{where} needs sides of at least 1 pixel", "e.g. 32 or 48x32")
    return sides[0] if sides[0] == sides[1] else f"{sides[0]}x{sides[1]}"


def image_shape(size: int | str | None) -> tuple[int, int] | None:
    """``data.image_size`` as (height, width): 32 -> (32, 32), '48x32' -> (48, 32), None -> None."""
    if size is None:
        return None
    text = str(image_size_value(size, f"data.image_size={excerpt(size)}"))
    height, _, width = text.partition("x")
    return int(height), int(width or height)


DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text: str) -> float:
    """'90s', '2m', '1.5h' or a bare number of seconds -> seconds; ``GanforgeError`` for anything else."""
    value = str(text).strip().lower()
    scale = DURATION_UNITS.get(value[-1:])
    number = value[:-1] if scale is not None else value
    try:
        seconds = float(number) * (scale or 1.0)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise GanforgeError(f"--time {text} is not a positive duration", "write e.g. 90s, 2m or 1h")
    return seconds
