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

import hashlib
import json
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ganforge.atomic import atomic_path, write_text_atomic
from ganforge.checkpoint import BadMetadata, check_meta, kind_mismatch
from ganforge.config import Config
from ganforge.errors import GanforgeError, excerpt

log = logging.getLogger("ganforge")

CHECKPOINT_FORMAT = "ganforge-checkpoint-2"  # the checksum covers the metadata too
TENSORS_ONLY_FORMAT = "ganforge-checkpoint-1"  # older: the checksum covers the tensors alone
MAX_METRICS_BYTES = 512 * 2**20  # a metrics.jsonl larger than this was not written by training
MAX_META_BYTES = 64 * 2**20  # the JSON metadata (mostly the metrics history) of any real run is far below


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
        return Config.load(self.inside(self.config_path))

    # -- reading a file of the run: the one way, for every reader -----------------------------------

    def inside(self, path: str | os.PathLike) -> Path:
        """``path`` (a path this RunDir made, an absolute one, or a name within the run) resolved, every symlink
        followed; refused (``OutsideRun``) unless the result is still inside the run folder. A symlink within
        the folder is fine; one that leads out of it (to ~/.ssh, /etc, another run) is never read or served."""
        root = self.path.resolve()
        shown = Path(path)
        if not shown.is_absolute() and shown.parts[: len(self.path.parts)] != self.path.parts:
            shown = self.path / shown  # a name within the run, e.g. "samples/step_000100.png"
        resolved = shown.resolve()
        if resolved != root and root not in resolved.parents:
            raise OutsideRun(
                f"{shown} leads outside the run folder {self.path}",
                "replace the link with the file itself; ganforge reads only files inside a run",
            )
        return resolved

    def read_bytes(self, path: str | os.PathLike, limit: int = 512 * 2**20) -> bytes:
        """The bytes of a regular file of the run (``inside`` checks where it leads), at most ``limit``."""
        resolved = self.inside(path)
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # a link swapped in meanwhile fails
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise OutsideRun(f"{resolved} is not a regular file", "give a file of the run folder")
            if info.st_size > limit:
                raise GanforgeError(f"{resolved} is {info.st_size:,} bytes, over the {limit:,} read",
                                    "it is not a file ganforge wrote")  # fmt: skip
            return handle.read(limit + 1)[:limit]

    def write_config(self, cfg: Config) -> None:
        write_text_atomic(self.config_path, cfg.to_yaml())

    # -- metrics -----------------------------------------------------------------------------------

    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one line to metrics.jsonl (readers skip a half-written last line after a crash)."""
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every sound record of metrics.jsonl, in file order (see ``parse_metrics``: damaged lines are skipped
        with a warning). The file is read through ``read_bytes``: a link out of the run folder is not followed."""
        if not self.metrics_path.exists():
            return []
        return parse_metrics(self.read_bytes(self.metrics_path, MAX_METRICS_BYTES), self.metrics_path)

    def write_metrics(self, records: list[dict[str, Any]]) -> None:
        """Replace metrics.jsonl with ``records`` (a resumed run restores the history its checkpoint holds)."""
        write_text_atomic(self.metrics_path, "".join(json.dumps(record) + "\n" for record in records))

    # -- samples -----------------------------------------------------------------------------------

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:06d}.png"

    def sample_frames(self) -> list[Path]:
        return sorted(self.samples_dir.glob("step_*.png"))

    # -- checkpoints -------------------------------------------------------------------------------

    def save_checkpoint(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], keep: bool) -> Path:
        """Write checkpoints/latest.safetensors (the one it replaces becomes previous.safetensors), and
        also step_XXXXXX.safetensors when ``keep``. Each write is atomic: a crash leaves the old files."""
        latest = self.checkpoints_dir / "latest.safetensors"
        partial = self.checkpoints_dir / f".step_{meta['step']:06d}.partial"
        staged = self.checkpoints_dir / ".previous.partial"
        try:
            with atomic_path(latest) as tmp:
                write_checkpoint(tmp, tensors, meta)
                if latest.exists():  # the new file is complete: only now let the old one step back
                    _second_name(latest, staged)  # latest stays in place until the new file replaces it,
                    os.replace(staged, self.checkpoints_dir / "previous.safetensors")  # so a reader never misses it
            if keep:  # a copy under its final name only once complete
                shutil.copyfile(latest, partial)
                os.replace(partial, self.checkpoints_dir / f"step_{meta['step']:06d}.safetensors")
        except OSError as error:
            partial.unlink(missing_ok=True)
            staged.unlink(missing_ok=True)
            raise GanforgeError(
                f"cannot write a checkpoint in {self.checkpoints_dir} at step {meta['step']} ({error.strerror})",
                "free disk space and continue with 'ganforge resume' (the previous checkpoint is intact)",
            ) from None
        return latest

    def checkpoints(self) -> list[Path]:
        """Every checkpoint, newest first: latest.safetensors, then the rest by the step they hold."""
        latest = self.checkpoints_dir / "latest.safetensors"
        others = [self.checkpoints_dir / "previous.safetensors", *self.checkpoints_dir.glob("step_*.safetensors")]
        others = sorted((path for path in others if path.is_file()), key=_header_step, reverse=True)
        return ([latest] if latest.is_file() else []) + others

    def latest_checkpoint(self) -> Path:
        """The newest checkpoint file (not yet verified; see ``load_latest``)."""
        return self._existing_checkpoints()[0]

    def _existing_checkpoints(self) -> list[Path]:
        found = self.checkpoints()
        if not found:
            raise GanforgeError(
                f"run folder {self.path} has no checkpoint",
                "train it first, or give a run folder that has checkpoints/",
            )
        return found

    def load_latest(self, cfg: Config | None = None) -> tuple[Path, dict[str, torch.Tensor], dict[str, Any]]:
        """Load the newest checkpoint that verifies and belongs to this run (its config, or ``cfg``); a corrupt
        one (unreadable, checksum, metadata, another kind of run) is skipped with a warning naming both."""
        cfg = cfg if cfg is not None else self.read_config()
        skipped: list[str] = []
        for path in self._existing_checkpoints():
            try:
                tensors, meta = load_checkpoint_file(self.inside(path))
                mismatch = kind_mismatch(meta, cfg)
                if mismatch:
                    raise CorruptCheckpoint(path, mismatch)
            except (CorruptCheckpoint, OutsideRun) as error:
                skipped.append(f"{path.name} ({getattr(error, 'reason', error.message)})")
                continue
            if skipped:
                log.warning("checkpoint %s is unusable; using %s (step %d) instead", skipped[0], path, meta["step"])
            return path, tensors, meta
        raise GanforgeError(
            f"no usable checkpoint in {self.checkpoints_dir}: {'; '.join(skipped)}",
            "the run cannot be continued; train a new run",
        )


def parse_metrics(data: bytes, source: str | os.PathLike, fill_step: bool = False) -> list[dict[str, Any]]:
    """The records of a metrics.jsonl text: each line a JSON object of numbers with an integer ``step``.

    A damaged line (not UTF-8, not JSON, not an object, a value that is not a number, a step that is not a
    whole number from 0 to 10^12) is skipped with one warning naming the file, the line and what is wrong; a
    last line cut short by a crash is skipped quietly. ``fill_step``: a record without a step takes its
    line number (hand-written files)."""
    lines = [(number, line) for number, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
    records = []
    for index, (number, line) in enumerate(lines):
        record, problem = _metrics_record(line, number if fill_step else None)
        if problem is None:
            records.append(record)
        elif not (index == len(lines) - 1 and problem == "not JSON" and not data.endswith(b"\n")):
            _warn_once(source, number, problem)
    return records


def _metrics_record(line: bytes, default_step: int | None) -> tuple[dict[str, Any], str | None]:
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return {}, "not UTF-8"
    except (ValueError, RecursionError):
        return {}, "not JSON"
    if not isinstance(record, dict):
        return {}, f"a JSON {type(record).__name__}, not an object"
    if default_step is not None:
        record.setdefault("step", default_step)
    step = record.get("step")
    if not (isinstance(step, int) and not isinstance(step, bool) and 0 <= step <= 10**12):
        return {}, f"step={excerpt(step)} is not a whole number from 0 to 10^12"
    for key, value in record.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return {}, f"{excerpt(key)}={excerpt(value)} is not a number"
    return record, None


_WARNED: set[tuple[str, int, str]] = set()  # a damaged line is reported once per process, however often read


def _warn_once(source: str | os.PathLike, number: int, problem: str) -> None:
    key = (str(source), number, problem)
    if key not in _WARNED:
        _WARNED.add(key)
        log.warning("%s: skipped damaged line %d (%s)", source, number, problem)


def _header_step(path: Path) -> int:
    """The step a checkpoint holds, read from its header alone; -1 when unreadable (tried last)."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            return int(json.loads((handle.metadata() or {})["meta"])["step"])
    except (SafetensorError, OSError, ValueError, KeyError, TypeError):
        return -1


class OutsideRun(GanforgeError):
    """A file of a run folder that is a link to somewhere outside it, or not a regular file."""


class CorruptCheckpoint(GanforgeError):
    """A checkpoint file that cannot be read or fails its checksum."""

    def __init__(self, path: Path, reason: str) -> None:
        self.reason = reason
        super().__init__(f"checkpoint {path} is unusable ({reason})", "delete it to fall back to an earlier one")


def tensors_digest(tensors: dict[str, torch.Tensor], meta_json: str | None = None) -> str:
    """sha256 over the metadata's JSON text (when given), then every tensor's name, dtype, shape and bytes,
    in name order."""
    digest = hashlib.sha256()
    if meta_json is not None:
        digest.update(f"meta|{len(meta_json)}|".encode() + meta_json.encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous().cpu()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def write_checkpoint(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write tensors plus JSON metadata and a checksum to one safetensors file (not atomic by itself)."""
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in tensors.items()}
    meta_json = json.dumps(meta)
    metadata = {"format": CHECKPOINT_FORMAT, "meta": meta_json, "sha256": tensors_digest(tensors, meta_json)}
    save_file(tensors, str(path), metadata=metadata)


def _second_name(path: Path, other: Path) -> None:
    """Give the file at ``path`` a second name ``other`` (a hard link; a copy where links are not supported)."""
    other.unlink(missing_ok=True)
    try:
        os.link(path, other)
    except OSError:
        shutil.copyfile(path, other)


def load_checkpoint_file(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read and verify a checkpoint: (tensors on the CPU, metadata). Nothing is unpickled."""
    try:
        with safe_open(str(path), framework="pt") as handle:  # one open: a file replaced meanwhile cannot mix in
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118 - a file handle, not a dict
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:  # RuntimeError: gone between check and open
        raise CorruptCheckpoint(path, f"cannot be read: {error}") from None
    file_format, meta_json = metadata.get("format"), metadata.get("meta")
    if file_format not in (CHECKPOINT_FORMAT, TENSORS_ONLY_FORMAT):
        raise CorruptCheckpoint(path, "not a ganforge checkpoint")
    if not isinstance(meta_json, str) or len(meta_json) > MAX_META_BYTES:
        raise CorruptCheckpoint(path, "metadata missing or too large")
    covered = meta_json if file_format == CHECKPOINT_FORMAT else None
    if metadata.get("sha256") != tensors_digest(tensors, covered):
        raise CorruptCheckpoint(path, "checksum mismatch")
    return tensors, parse_meta(path, meta_json)


def parse_meta(path: Path, meta_json: str) -> dict[str, Any]:
    """A checkpoint's metadata, parsed and checked against its schema (``checkpoint.check_meta``); anything
    else is a ``CorruptCheckpoint`` naming the field at fault."""
    try:
        meta = json.loads(meta_json)
        check_meta(meta)
    except BadMetadata as error:
        raise CorruptCheckpoint(path, f"bad metadata: {error}") from None
    except (ValueError, RecursionError) as error:
        raise CorruptCheckpoint(path, f"metadata is not valid JSON ({excerpt(str(error))})") from None
    return meta



def default_run_path(cfg: Config, root: str | os.PathLike = "runs") -> Path:
    """runs/<dataset>-<model>-<loss>, with -2, -3, ... appended if that folder is taken."""
    dataset = cfg.data.name
    if dataset.startswith("folder:"):
        dataset = "folder-" + (Path(dataset[len("folder:") :]).expanduser().resolve().name or "root")
    elif dataset.startswith(("pairs:", "unpaired:")):  # two folders: pairs-A2B, named by their last parts
        kind, _, folders = dataset.partition(":")
        names = [Path(part.strip()).expanduser().resolve().name or "root" for part in folders.split(",")]
        dataset = f"{kind}-{'2'.join(names)}"
    base = Path(root) / f"{dataset}-{cfg.model.name}-{cfg.train.loss}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path
