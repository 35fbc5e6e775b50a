"""Devices and processes: the device a run trains on, and the thin layer over ``torch.distributed``.

One process trains alone; under ``torchrun`` (WORLD_SIZE > 1) every process joins one process group
and the helpers below become collectives. Each of them is a no-op on one process, so the loop reads
the same either way. Rank 0 is the main process: it alone reads and writes the run folder.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from ganforge.errors import GanforgeError

log = logging.getLogger("ganforge")

T = TypeVar("T")


def pick_device(name: str) -> torch.device:
    """'auto' -> the first CUDA GPU if there is one, else the CPU; anything else as named.

    Under torchrun each process takes the GPU of its LOCAL_RANK for 'auto' and 'cuda'.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and world_size() > 1:
        return torch.device("cuda", local_rank())
    return torch.device(name)


def set_deterministic(enabled: bool, device: torch.device) -> None:
    """Ask PyTorch for deterministic kernels (``train.deterministic``).

    On the CPU ganforge's training is bitwise reproducible without this. On CUDA it disables cuDNN's
    autotuner, selects deterministic algorithms and sets the cuBLAS workspace PyTorch requires for
    them; an operation with no deterministic implementation then raises instead of varying silently.
    What stays unpromised: identical results across GPU models, driver, CUDA or PyTorch versions.
    """
    if not enabled:
        return
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True)


# -- the process group -------------------------------------------------------------------------------


def launched_world_size() -> int:
    """How many processes torchrun started (its WORLD_SIZE), 1 when not started by torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def launched_rank() -> int:
    """This process's rank as torchrun numbered it (0 when not started by torchrun); valid before joining."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """Processes in the running process group (1 when there is none)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank in the group (0 when alone)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def local_rank() -> int:
    """This process's index on its machine, as torchrun numbers them (its GPU)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    """True on the one process that writes files (rank 0)."""
    return rank() == 0


@contextmanager
def process_group(device_name: str | None = None) -> Iterator[None]:
    """Join torchrun's process group for the block (nothing to do on one process).

    ``device_name`` 'cpu' keeps a machine's GPUs out of it; anything else uses them when there are some.

    The group speaks gloo for CPU tensors and NCCL for CUDA tensors, so small control messages travel
    on the CPU while DistributedDataParallel reduces GPU gradients over NCCL. It is joined once and
    kept until the process exits: a group destroyed and joined again (train, then evaluate) could
    meet a peer's stale address in torchrun's store. Processes other than rank 0 log errors only, so
    every message is said once.
    """
    if launched_world_size() <= 1:
        yield
        return
    if not dist.is_initialized():
        cuda = torch.cuda.is_available() and device_name != "cpu"
        if cuda and local_rank() < torch.cuda.device_count():
            torch.cuda.set_device(local_rank())
        backend = "cpu:gloo,cuda:nccl" if cuda and dist.is_nccl_available() else "gloo"
        dist.init_process_group(backend, timeout=timedelta(minutes=30))
        atexit.register(_leave)
    level = log.level
    if not is_main():
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


# -- collectives (each a no-op on one process) -------------------------------------------------------


def barrier() -> None:
    """Wait until every process gets here."""
    if world_size() > 1:
        dist.barrier()


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """The mean of ``tensor`` over processes (every process gets it)."""
    if world_size() == 1:
        return tensor
    tensor = tensor.clone()
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor / world_size()


def broadcast_object(value: T) -> T:
    """Rank 0's ``value`` on every process (pickled; for small things and checkpoints)."""
    if world_size() == 1:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def on_main(work: Callable[[], T]) -> T:
    """Run ``work`` on rank 0 alone and give its result to every process.

    A ``GanforgeError`` raised there is raised on every process, so a user mistake found by rank 0
    stops them all with the same line instead of leaving the others waiting.
    """
    if world_size() == 1:
        return work()
    outcome: Any = None
    if is_main():
        try:
            outcome = ("value", work())
        except GanforgeError as error:
            outcome = ("error", error)
    kind, value = broadcast_object(outcome)
    if kind == "error":
        raise value
    return value


@contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first (say, downloading a dataset into a cache), then the others do."""
    if not is_main():
        barrier()
    try:
        yield
    finally:
        if is_main():
            barrier()


def first_signal(name: str) -> str:
    """The name of a stop signal any process received ('' for none), agreed by all processes.

    Stopping is decided together at a step boundary: a process that stopped alone would leave the
    others waiting in the next step's gradient reduction.
    """
    if world_size() == 1:
        return name
    import signal

    number = torch.tensor([int(getattr(signal, name)) if name else 0])  # a CPU tensor: travels over gloo
    dist.all_reduce(number, op=dist.ReduceOp.MAX)
    return signal.Signals(int(number)).name if int(number) else ""


def max_over_processes(value: float) -> float:
    """The largest of every process's ``value``, on every process: a quantity all must agree on (time spent)."""
    if world_size() == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)  # a CPU tensor: travels over gloo
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return float(tensor)


# -- rows of a batch ---------------------------------------------------------------------------------


def local_rows(tensor: torch.Tensor) -> torch.Tensor:
    """This process's rows of a batch every process drew whole: rows [rank * b, (rank + 1) * b), b = n / world.

    Drawing the global batch from the same seeded stream on every process and keeping one slice makes
    N processes see exactly the batch one process would, and leaves the stream where one process
    would leave it, whatever the number of processes.
    """
    world = world_size()
    if world == 1:
        return tensor
    rows = tensor.shape[0] // world
    return tensor[rank() * rows : (rank() + 1) * rows]


def rows_of_rank(n: int) -> slice:
    """The rows of ``n`` this process handles when work is split as evenly as possible (evaluation)."""
    world, me = world_size(), rank()
    start = n * me // world
    return slice(start, n * (me + 1) // world)


def gather_rows(tensor: torch.Tensor) -> torch.Tensor | None:
    """Every process's rows, concatenated in rank order, on rank 0 (None elsewhere).

    Processes may hold different numbers of rows: each pads to the largest before the collective.
    """
    world = world_size()
    if world == 1:
        return tensor
    count = torch.tensor([tensor.shape[0]], device=tensor.device)
    counts = [torch.zeros_like(count) for _ in range(world)]
    dist.all_gather(counts, count)
    longest = int(max(counts))
    padded = torch.zeros((longest, *tensor.shape[1:]), dtype=tensor.dtype, device=tensor.device)
    padded[: tensor.shape[0]] = tensor
    parts = [torch.empty_like(padded) for _ in range(world)] if is_main() else None
    dist.gather(padded, gather_list=parts, dst=0)
    if parts is None:
        return None
    return torch.cat([part[: int(n)] for part, n in zip(parts, counts, strict=True)])
