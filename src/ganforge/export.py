"""``ganforge export``: a trained run's sampling generator as one file that runs without ganforge.

    ganforge export RUN --format onnx --out G.onnx      # onnxruntime, or any ONNX runtime
    ganforge export RUN --format pt2 --out G.pt2        # torch.export: torch.export.load(...).module()

The file holds the generator that sampling uses (G_ema where the run keeps one, as ``trained.py`` loads it)
in eval mode, with a dynamic batch size and every input it reads: the latent ``z``, InfoGAN's ``codes``, a
conditional run's class ``labels``, or an image-to-image task's ``source`` image. Beside it, ``FILE.json``
says what those inputs are, how to draw z (the latent prior), and holds the run's whole config, so the file
is usable alone. TorchScript is not offered: ``torch.jit.trace`` warns that it is deprecated in the pinned
torch; ``torch.export`` (``.pt2``) is its replacement.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.atomic import atomic_path, write_text_atomic
from ganforge.data.pairs import Pair
from ganforge.errors import GanforgeError
from ganforge.gans import GAN
from ganforge.tasks import task_of
from ganforge.trained import TrainedGAN, load
from ganforge.translate import read_images

FORMATS = {"onnx": ".onnx", "pt2": ".pt2"}
EXAMPLE_BATCH = 2  # traced at a batch of more than one, so the batch stays a free dimension
CHECK_BATCH = 5  # latents the exported file is checked on
ONNX_OPSET = 18


@dataclass(frozen=True)
class ExportInput:
    """One input of an exported generator: its name, shape (``"batch"`` first), dtype and meaning."""

    name: str
    shape: tuple[int, ...]  # without the batch dimension
    dtype: torch.dtype
    description: str

    def example(self, n: int, generator: torch.Generator, gan: GAN) -> torch.Tensor:
        """n example values: class indices for labels, the prior's draws for z and codes, images in [-1, 1]."""
        if self.dtype == torch.int64:
            return torch.randint(max(gan.num_classes, 1), (n, *self.shape), generator=generator)
        if self.name == "codes" and gan.codes is not None:
            return gan.codes.sample(n, generator)
        if self.name == "z" and gan.prior != "uniform":
            return torch.randn(n, *self.shape, generator=generator)
        return torch.rand(n, *self.shape, generator=generator) * 2 - 1

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": ["batch", *self.shape],
            "dtype": str(self.dtype).removeprefix("torch."),
            "description": self.description,
        }


class SamplingGenerator(nn.Module):
    """The sampling generator as a module of plain tensor inputs (what an exporter traces)."""

    def __init__(self, gan: GAN, inputs: list[ExportInput], task_run: bool) -> None:
        super().__init__()
        self.gan = gan
        self.G = gan.G  # registered, so the exporters see G's weights as the module's own
        self.names = [spec.name for spec in inputs]
        self.task_run = task_run

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        values = dict(zip(self.names, tensors, strict=True))
        if self.task_run:  # G reads the source of a pair; the target half is unused
            source = values["source"]
            return self.gan.generate(None, Pair(source, source))  # type: ignore[arg-type]
        z = values["z"]
        if "codes" in values:  # InfoGAN's latent is [z, c]
            z = torch.cat([z, values["codes"]], dim=1)
        return self.gan.generate(z, values.get("labels"))


def generator_inputs(trained: TrainedGAN) -> list[ExportInput]:
    """What the run's sampling generator reads, in the order the exported file takes them."""
    cfg, gan = trained.config, trained.gan
    task = task_of(cfg)
    if task is not None:
        shape = task.source_shape(cfg, trained.data_shape)
        return [ExportInput("source", shape, torch.float32, f"{task.name}: G's input image(s), (C, H, W) in [-1, 1]")]
    prior = "N(0, I)" if gan.prior != "uniform" else "U[-1, 1]"
    inputs = [ExportInput("z", (gan.z_dim,), torch.float32, f"latent noise z ~ {prior}")]
    if gan.codes is not None:
        codes = gan.codes
        inputs.append(ExportInput("codes", (codes.size,), torch.float32,
                                  f"InfoGAN codes: a one-hot of {codes.categorical} categories, then "
                                  f"{codes.continuous} continuous codes in [-1, 1]"))  # fmt: skip
    if gan.num_classes:
        inputs.append(ExportInput("labels", (), torch.int64, f"class of each sample, 0..{gan.num_classes - 1}"))
    return inputs


def check_format(name: str) -> str:
    """The format's name, or a clear error (TorchScript is named because users ask for it)."""
    if name.lower() == "torchscript":
        raise GanforgeError(
            "--format torchscript: torch.jit.trace is deprecated in this torch (it warns on every call)",
            "use --format pt2 (torch.export; load it with torch.export.load(FILE).module())",
        )
    if name not in FORMATS:
        raise GanforgeError(f"--format {name!r} is not a format ganforge exports", "use --format onnx or --format pt2")
    return name


def check_target(out: str | os.PathLike, fmt: str, overwrite: bool) -> tuple[Path, Path]:
    """The exported file and its JSON sidecar; neither may exist unless ``overwrite``."""
    target = Path(out)
    if target.suffix.lower() != FORMATS[fmt]:
        raise GanforgeError(f"--out {out} does not end in {FORMATS[fmt]}", f"name the {fmt} file *{FORMATS[fmt]}")
    sidecar = sidecar_path(target)
    for path in (target, sidecar):
        if path.exists() and not overwrite:
            raise GanforgeError(f"{path} already exists", "choose another --out or pass --overwrite")
    return target, sidecar


def sidecar_path(target: Path) -> Path:
    """Where the description of an exported file lies: ``G.onnx`` -> ``G.onnx.json``."""
    return target.with_name(target.name + ".json")


def export_run(
    run: str | os.PathLike,
    fmt: str,
    out: str | os.PathLike,
    overwrite: bool = False,
    images: str | os.PathLike | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Export RUN's sampling generator to ``out`` in ``fmt`` (onnx | pt2) and write its JSON sidecar.

    The file is checked against ganforge's own output: on latents drawn from ``seed`` for generation from
    noise, and on ``images`` (required: a .npy, an image file or a folder, as ``ganforge translate`` reads)
    for an image-to-image task run. The sidecar's ``max_abs_difference`` records the largest difference
    (None for ONNX when onnxruntime is not installed to run the file).
    """
    fmt = check_format(fmt)
    target, sidecar = check_target(out, fmt, overwrite)
    trained = load(run, device="cpu")
    inputs = generator_inputs(trained)
    feeds, expected = _check_feeds(trained, inputs, images, seed)
    with trained.gan.sampling_generator():
        module = SamplingGenerator(trained.gan, inputs, task_of(trained.config) is not None).eval()
        examples = tuple(_at_least(value, EXAMPLE_BATCH) for value in feeds.values())
        with atomic_path(target) as tmp:
            (_export_onnx if fmt == "onnx" else _export_pt2)(module, examples, inputs, tmp)
    description = describe(trained, fmt, inputs, tuple(expected.shape[1:]))
    actual = run_exported(target, fmt, feeds)
    description["max_abs_difference"] = None if actual is None else float((actual - expected).abs().max())
    write_text_atomic(sidecar, json.dumps(description, indent=2) + "\n")
    return description


def _check_feeds(
    trained: TrainedGAN, inputs: list[ExportInput], images: str | os.PathLike | None, seed: int
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """(inputs by name, ganforge's own output on them): what the exported file must reproduce."""
    cfg, gan = trained.config, trained.gan
    task = task_of(cfg)
    if task is None:
        if images is not None:
            raise GanforgeError(f"{trained.path} generates from noise and reads no images", "drop --input")
        generator = torch.Generator().manual_seed(seed)
        feeds = {spec.name: spec.example(CHECK_BATCH, generator, gan) for spec in inputs}
        z = torch.cat([feeds["z"], feeds["codes"]], dim=1) if "codes" in feeds else feeds["z"]
        return feeds, trained.generate(z, labels=feeds.get("labels"))
    if images is None:
        raise GanforgeError(
            f"{trained.path} is a {task.name} run: its generator reads images, and export checks the file on some",
            f"pass --input IMAGES (a .npy, an image or a folder, as 'ganforge translate {trained.path}' reads)",
        )
    pictures, _names = read_images(Path(images))
    expected, _shown = trained.translate_with_inputs(pictures, seed=seed, where=str(images))  # checks the shape
    return {"source": task.inputs(cfg, pictures, seed).source}, expected


def _at_least(value: torch.Tensor, n: int) -> torch.Tensor:
    """``value`` repeated along the batch to at least n rows: traced at a batch of one, the batch would be fixed."""
    return value.repeat(-(-n // len(value)), *([1] * (value.dim() - 1)))


def _export_onnx(module: nn.Module, examples: tuple, inputs: list[ExportInput], path: Path) -> None:
    try:
        import onnxscript  # noqa: F401 - the exporter needs it; say so before torch fails deep inside
    except ImportError:
        raise GanforgeError(
            "--format onnx needs the onnx and onnxscript packages", "pip install 'ganforge[export]'"
        ) from None
    batch = torch.export.Dim("batch")
    with warnings.catch_warnings():  # the exporter notes that every input shares the one batch dimension
        warnings.filterwarnings("ignore", message=".*axis name: batch.*")
        torch.onnx.export(
            module, examples, str(path), input_names=[spec.name for spec in inputs], output_names=["images"],
            dynamic_shapes=(tuple({0: batch} for _ in inputs),), opset_version=ONNX_OPSET, dynamo=True, verbose=False,
            external_data=False,
        )  # fmt: skip


def _export_pt2(module: nn.Module, examples: tuple, inputs: list[ExportInput], path: Path) -> None:
    batch = torch.export.Dim("batch")
    program = torch.export.export(module, examples, dynamic_shapes=(tuple({0: batch} for _ in inputs),))
    torch.export.save(program, path)


def run_exported(path: Path, fmt: str, feeds: dict[str, torch.Tensor]) -> torch.Tensor | None:
    """The exported file's output on ``feeds``, run by its own runtime (None: onnxruntime is not installed)."""
    if fmt == "pt2":
        with torch.no_grad():
            return torch.export.load(path).module()(*feeds.values())
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return torch.from_numpy(session.run(None, {name: value.numpy() for name, value in feeds.items()})[0])


def describe(trained: TrainedGAN, fmt: str, inputs: list[ExportInput], output: tuple[int, ...]) -> dict[str, Any]:
    """The sidecar JSON: inputs, output, latent prior and the run's config, so the file is usable alone."""
    cfg, gan = trained.config, trained.gan
    codes = None if gan.codes is None else {"categorical": gan.codes.categorical, "continuous": gan.codes.continuous}
    generates = "translates" if task_of(cfg) is not None else "generates from noise"
    return {
        "format": fmt,
        "ganforge_version": metadata.version("ganforge"),
        "run": str(trained.path),
        "step": trained.step,
        "generator": "G_ema" if cfg.train.ema is not None else "G",
        "what": f"{cfg.model.name}/{cfg.train.loss} on {cfg.data.name}: {generates}",
        "inputs": [spec.describe() for spec in inputs],
        "output": {"name": "images", "shape": ["batch", *output], "dtype": "float32", "range": [-1.0, 1.0]},
        "latent_prior": None if task_of(cfg) is not None else {
            "distribution": gan.prior, "z_dim": gan.z_dim, "codes": codes, "num_classes": gan.num_classes,
        },  # fmt: skip
        "config": cfg.to_dict(),
    }
