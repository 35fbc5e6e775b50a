"""The run folder: where a run's config, metrics, pictures and checkpoints live.

    runs/<name>/
      config.yaml            the resolved config: enough to rebuild and rerun everything
      metrics.jsonl          one JSON object per logging interval
      samples/step_XXXXXX.png  grids of the fixed latent batch
      checkpoints/latest.safetensors, checkpoints/step_XXXXXX.safetensors
      losses.png  progress.gif  final.png

Checkpoints are safetensors files: weights, optimiser state and RNG state as tensors, everything
else as JSON metadata. Loading one never unpickles anything. Every file is written atomically.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganforge.atomic import atomic_path, write_text_atomic
from ganforge.config import Config
from ganforge.errors import GanforgeError

CHECKPOINT_FORMAT = "ganforge-checkpoint-1"
_STEP_FILE = re.compile(r"step_(\d+)\.safetensors$")


class RunDir:
    """Paths and file operations of one run folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.config_path = self.path / "config.yaml"
        self.metrics_path = self.path / "metrics.jsonl"
        self.samples_dir = self.path / "samples"
        self.checkpoints_dir = self.path / "checkpoints"

    def __repr__(self) -> str:
        return f"RunDir('{self.path}')"

    @classmethod
    def create(cls, path: str | os.PathLike, cfg: Config) -> RunDir:
        """Make a new run folder and write its config; an existing, non-empty folder is never reused."""
        run = cls(path)
        run.check_free()
        try:
            run.samples_dir.mkdir(parents=True, exist_ok=True)
            run.checkpoints_dir.mkdir(exist_ok=True)
            run.write_config(cfg)
        except OSError as error:
            raise GanforgeError(
                f"cannot write the run folder {run.path} ({error.strerror})", "choose a writable --out folder"
            ) from None
        return run

    def check_free(self) -> None:
        """Refuse a folder that exists and holds anything: training never overwrites earlier work."""
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise GanforgeError(
                f"run folder {self.path} already exists and is not empty",
                f"choose another --out, or continue it with 'ganforge resume {self.path}'",
            )

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDir:
        """Open an existing run folder (one with a config.yaml)."""
        run = cls(path)
        if not run.path.is_dir():
            raise GanforgeError(f"run folder {run.path} does not exist", "give the folder a training run wrote")
        if not run.config_path.is_file():
            raise GanforgeError(f"{run.path} is not a ganforge run (no config.yaml)", "give a folder made by training")
        return run

    def read_config(self) -> Config:
        return Config.load(self.config_path)

    def write_config(self, cfg: Config) -> None:
        write_text_atomic(self.config_path, cfg.to_yaml())

    # -- metrics -----------------------------------------------------------------------------------

    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one line to metrics.jsonl (readers skip a half-written last line after a crash)."""
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every complete record of metrics.jsonl, in order."""
        if not self.metrics_path.exists():
            return []
        records = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
        return records

    def truncate_metrics(self, step: int) -> None:
        """Keep only records up to ``step``: a resumed run rewrites what came after its checkpoint."""
        kept = [record for record in self.read_metrics() if record.get("step", 0) <= step]
        write_text_atomic(self.metrics_path, "".join(json.dumps(record) + "\n" for record in kept))

    # -- samples -----------------------------------------------------------------------------------

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:06d}.png"

    def sample_frames(self) -> list[Path]:
        return sorted(self.samples_dir.glob("step_*.png"))

    # -- checkpoints -------------------------------------------------------------------------------

    def save_checkpoint(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], keep: bool) -> Path:
        """Write checkpoints/latest.safetensors, and also step_XXXXXX.safetensors when ``keep``."""
        latest = self.checkpoints_dir / "latest.safetensors"
        save_checkpoint_file(latest, tensors, meta)
        if keep:
            save_checkpoint_file(self.checkpoints_dir / f"step_{meta['step']:06d}.safetensors", tensors, meta)
        return latest

    def latest_checkpoint(self) -> Path:
        """The newest checkpoint: latest.safetensors, else the highest-numbered step file."""
        latest = self.checkpoints_dir / "latest.safetensors"
        if latest.is_file():
            return latest
        numbered = sorted(self.checkpoints_dir.glob("step_*.safetensors"), key=_step_of_file)
        if numbered:
            return numbered[-1]
        raise GanforgeError(
            f"run folder {self.path} has no checkpoint", "train it first, or give a run folder that has checkpoints/"
        )


def _step_of_file(path: Path) -> int:
    match = _STEP_FILE.search(path.name)
    return int(match.group(1)) if match else -1


def save_checkpoint_file(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write tensors plus JSON metadata to one safetensors file, atomically."""
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in tensors.items()}
    metadata = {"format": CHECKPOINT_FORMAT, "meta": json.dumps(meta)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)


def load_checkpoint_file(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by ``save_checkpoint_file``: (tensors on the CPU, metadata)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise GanforgeError(
            f"checkpoint {path} cannot be read ({error})", "delete it to fall back to an earlier checkpoint"
        ) from None
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise GanforgeError(f"{path} is not a ganforge checkpoint", "give a checkpoint from a ganforge run folder")
    return tensors, json.loads(metadata["meta"])


def default_run_path(cfg: Config, root: str | os.PathLike = "runs") -> Path:
    """runs/<dataset>-<model>-<loss>, with -2, -3, ... appended if that folder is taken."""
    base = Path(root) / f"{cfg.data.name}-{cfg.model.name}-{cfg.train.loss}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path
