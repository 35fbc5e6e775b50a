"""Training on several processes: G and D under DistributedDataParallel (DDP), launched by torchrun.

    torchrun --nproc-per-node 4 -m ganforge train --preset wgan-gp --batch-size 256

``train.batch_size`` is the global batch: every process draws the whole batch (indices, latents,
WGAN-GP's interpolation weights) from the same seeded streams and keeps its own rows
(``engine.local_rows``). DDP averages the gradients, so for losses that are batch means N processes
take the step one process would take on the whole batch, up to float rounding, and a checkpoint's
random streams are valid for any number of processes.

Why each network goes through its DDP wrapper only while it learns (``Replicas.updating``): DDP's
reducer prepares for a backward pass after every forward it runs with gradients on, and expects
that backward to reach every parameter. In G's step D is frozen (no parameter of it gets a gradient),
and in D's step G runs without gradients; routing those calls through the wrappers would leave a
reduction half-prepared. So D's step calls the wrapped D (any number of times: real, fake, the
gradient penalty's and R1's double backward all end in one ``backward`` that reaches each of D's
weights once) and the plain G; G's step calls the wrapped G and the plain D. The wrappers share
their parameters with the plain modules, which is what optimisers, checkpoints and pictures use.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ganforge import engine
from ganforge.errors import GanforgeError
from ganforge.tasks import task_of

if TYPE_CHECKING:
    from ganforge.config import Config
    from ganforge.gans import GAN

log = logging.getLogger("ganforge")


def check_world(cfg: Config, world: int | None = None) -> None:
    """Reject settings that cannot run on ``world`` processes (default: the running group), before any work."""
    world = engine.world_size() if world is None else world
    batch = cfg.train.batch_size
    if batch % world:
        below, above = batch - batch % world, batch - batch % world + world
        raise GanforgeError(
            f"--batch-size {batch} does not split evenly over {world} processes (it is the global batch; "
            f"each process takes batch_size / {world} of it)",
            f"use a batch size that is a multiple of {world} (e.g. {below or above} or {above}), "
            f"or a number of processes that divides {batch}",
        )
    task = task_of(cfg)
    if world > 1 and task is not None and not task.distributed:
        raise GanforgeError(
            f"the {task.name} task trains on one process; torchrun started {world}",
            "drop --devices / torchrun for image-to-image tasks (docs/distributed.md lists what runs distributed)",
        )
    if world > 1 and cfg.train.device.startswith("cuda:"):
        raise GanforgeError(
            f"--device {cfg.train.device} names one GPU, but torchrun started {world} processes",
            "use --device cuda (or auto): each process takes the GPU of its LOCAL_RANK",
        )
    if cfg.train.sync_batchnorm and world > 1 and engine.pick_device(cfg.train.device).type != "cuda":
        raise GanforgeError(
            "train.sync_batchnorm needs CUDA GPUs: PyTorch's SyncBatchNorm does not run on the CPU",
            "train on GPUs, or leave train.sync_batchnorm off (each process then normalises its own rows)",
        )


class Replicas:
    """G and D wrapped in DistributedDataParallel; ``updating(name)`` routes calls through one of them."""

    def __init__(self, gan: GAN, device: torch.device, sync_batchnorm: bool = False) -> None:
        self.gan = gan
        if sync_batchnorm:  # statistics over the global batch, as one process would compute them (Ioffe 2015)
            gan.G = nn.SyncBatchNorm.convert_sync_batchnorm(gan.G)  # reuses the same Parameter objects
            gan.D = nn.SyncBatchNorm.convert_sync_batchnorm(gan.D)
        device_ids = [device.index] if device.type == "cuda" else None
        # DDP broadcasts rank 0's weights and buffers here, so every process starts from the same networks
        self.wrapped = {name: DistributedDataParallel(getattr(gan, name), device_ids=device_ids) for name in "GD"}

    @contextmanager
    def updating(self, name: str) -> Iterator[None]:
        """While the block runs, ``gan.<name>`` is its DDP wrapper: its gradients are averaged over processes."""
        plain = getattr(self.gan, name)
        setattr(self.gan, name, self.wrapped[name])
        try:
            yield
        finally:
            setattr(self.gan, name, plain)


def replicate(cfg: Config, gan: GAN, device: torch.device) -> Replicas | None:
    """Wrap G and D for the running process group; None on one process (nothing to wrap)."""
    if engine.world_size() == 1:
        if cfg.train.sync_batchnorm:
            log.info("train.sync_batchnorm has no effect on one process (batch norm already sees the whole batch)")
        return None
    return Replicas(gan, device, cfg.train.sync_batchnorm)


def updating(replicas: Replicas | None, name: str) -> Any:
    """``replicas.updating(name)``, or nothing to do on one process."""
    return nullcontext() if replicas is None else replicas.updating(name)


def local_batch(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """This process's rows of each tensor of a globally drawn batch (``engine.local_rows``)."""
    return tuple(engine.local_rows(tensor) for tensor in batch)


# -- launching: ``ganforge train --devices N`` starts torchrun on this machine --------------------------


def check_devices(processes: int, device: str) -> None:
    """Reject a ``--devices`` count that this machine cannot run, before any process starts."""
    if processes < 1:
        raise GanforgeError(f"--devices {processes} must be 1 or more", "e.g. --devices 2")
    if engine.launched_world_size() > 1:
        raise GanforgeError(
            f"--devices {processes} starts torchrun, but this process already runs under torchrun",
            "drop --devices: torchrun's --nproc-per-node already sets the number of processes",
        )
    gpus = torch.cuda.device_count() if device != "cpu" else 0
    if gpus and processes > gpus:
        raise GanforgeError(
            f"--devices {processes} asks for more processes than the {gpus} GPUs here",
            f"use --devices {gpus} or fewer (one process per GPU), or torchrun for several machines",
        )


def torchrun_command(argv: list[str], processes: int) -> list[str]:
    """The torchrun command line that runs ``ganforge ARGV`` on ``processes`` processes of this machine."""
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
        "-m", "ganforge", *without_option(argv, "--devices"),
    ]  # fmt: skip


def without_option(argv: list[str], name: str) -> list[str]:
    """``argv`` without ``name VALUE`` or ``name=VALUE``."""
    kept, skip = [], False
    for token in argv:
        if skip:
            skip = False
        elif token == name:
            skip = True
        elif not token.startswith(f"{name}="):
            kept.append(token)
    return kept


def launch(argv: list[str], processes: int) -> int:
    """Run ``ganforge ARGV`` under torchrun on ``processes`` local processes; return its exit code."""
    command = torchrun_command(argv, processes)
    log.info("starting %d processes: %s", processes, " ".join(command[1:]))
    return subprocess.run(command, check=False).returncode
