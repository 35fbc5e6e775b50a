"""The Python API: train a config, resume a run, load a trained run and sample from it (``trained.py``).

import ganforge
cfg = ganforge.Config()
cfg.data.name, cfg.train.steps = "ring", 2000
run = ganforge.train(cfg)                     # -> runs/ring-mlp-non-saturating
gan = ganforge.load(run)
x = gan.sample(16, seed=0)                    # (16, 2) on the CPU
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from ganforge.checkpoint import restore_session
from ganforge.config import Config, duration_seconds
from ganforge.distributed import check_world
from ganforge.engine import on_main, process_group, world_size
from ganforge.errors import GanforgeError
from ganforge.finetune import check_source, start_from
from ganforge.resolve import resolve
from ganforge.run import RunDir, default_run_path
from ganforge.runlock import run_lock
from ganforge.train import build_session, fit, module_count
from ganforge.trained import TrainedGAN, load, sample

__all__ = ["TrainedGAN", "load", "resume", "sample", "train"]

log = logging.getLogger("ganforge")


def train(cfg: Config | None = None, progress: bool = False) -> Path:
    """Train a new run of ``cfg`` (defaults: the tutorial MLP GAN on MNIST) and return its folder.

    Started by torchrun, every process calls this; they train together and rank 0 writes the run.
    """
    cfg = resolve(cfg or Config())
    with process_group(cfg.train.device):
        check_world(cfg)
        cfg.out = on_main(lambda: _free_run_path(cfg))  # fail before loading anything; rank 0 alone reads the disk
        on_main(lambda: check_source(cfg))  # --init-from: a run with a checkpoint
        session = build_session(cfg)  # loads data and builds networks before the run folder exists
        if cfg.train.init_from is not None:  # fine-tuning: trained weights, fresh optimisers (finetune.py)
            log.info("starting from the weights of %s", start_from(session.gan, cfg))
        run = RunDir(on_main(lambda: RunDir.create(cfg.out, cfg).path))
        data = session.data
        size = f"{len(data):,} images" if data.kind == "image" else f"{data.num_classes} modes"
        where = f"{session.device} x {world_size()} processes" if world_size() > 1 else str(session.device)
        if session.bf16:  # precision auto says what it chose
            where += " (bf16 forward passes)"
        log.info(
            "training %s/%s on %s (%s, %s) on %s: G %s, D %s parameters -> %s",
            cfg.model.name, cfg.train.loss, cfg.data.name, data.source, size, where,
            f"{module_count(session.gan.G):,}", f"{module_count(session.gan.D):,}", run.path,
        )  # fmt: skip
        with contextlib.ExitStack() as held:
            _hold_lock(held, run.path, "ganforge train")
            fit(session, run, progress=progress)
    return run.path


def _hold_lock(held: contextlib.ExitStack, path: str | os.PathLike, command: str) -> None:
    """Take the run folder's write lock on rank 0 (which alone writes) until ``held`` closes; a refusal
    there stops every process with the same line."""
    on_main(lambda: held.enter_context(run_lock(RunDir.open(path).path, command)) and None)


def _free_run_path(cfg: Config) -> str:
    path = str(cfg.out or default_run_path(cfg))
    RunDir(path).check_free()
    return path


def resume(
    path: str | os.PathLike,
    steps: int | None = None,
    device: str | None = None,
    progress: bool = False,
    time: str | None = None,
) -> Path:
    """Continue a run from its latest checkpoint, up to ``steps`` in total (default: the config's) and within
    ``time`` of training time in total (default: the config's budget, if it has one).

    Under torchrun rank 0 reads the checkpoint and hands it to every process; the number of
    processes may differ from the run's before (the batch size is global, the random streams shared).
    """
    with process_group(device), contextlib.ExitStack() as held:
        _hold_lock(held, path, "ganforge resume")  # before reading: a second resume must not start at all
        run, cfg, checkpoint, tensors, meta = on_main(lambda: _read_latest(path))
        if steps is not None:
            cfg.train.steps = steps
        if time is not None:
            cfg.train.time = time
        if device is not None:
            cfg.train.device = device
        cfg = resolve(cfg)
        check_world(cfg)
        session = build_session(cfg)
        restore_session(session, tensors, meta, checkpoint)
        if session.step >= cfg.train.steps:
            raise GanforgeError(
                f"run {run.path} is already at step {session.step} of {cfg.train.steps}",
                f"pass --steps with a total above {session.step} to train further",
            )
        if cfg.train.time is not None and session.seconds >= duration_seconds(cfg.train.time):
            raise GanforgeError(
                f"run {run.path} has used its time budget ({session.seconds:.0f} s of {cfg.train.time})",
                f"pass --time with a total above {session.seconds:.0f}s to train further",
            )
        on_main(lambda: _restart_files(run, cfg, session.history))
        log.info("resuming %s from step %d to %d", run.path, session.step, cfg.train.steps)
        fit(session, run, progress=progress)
    return run.path


def _read_latest(path: str | os.PathLike) -> tuple:
    run = RunDir.open(path)
    return run, run.read_config(), *run.load_latest()


def _restart_files(run: RunDir, cfg: Config, history: list) -> None:
    run.write_config(cfg)
    run.write_metrics(history)  # the history as of the checkpoint: later lines came from lost steps
