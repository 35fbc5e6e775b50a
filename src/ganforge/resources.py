"""Memory checks: a clear error before an allocation that cannot fit, instead of a crash."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

from ganforge.errors import GanforgeError


def available_bytes(device: torch.device) -> int:
    """Memory free for new allocations on ``device`` (MemAvailable on the CPU, the CUDA allocator's view on GPU)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_fits(nbytes: int, device: torch.device, what: str, hint: str, share: float = 0.8) -> None:
    """Raise ``GanforgeError`` when ``nbytes`` exceed ``share`` of the memory available on ``device``."""
    free = available_bytes(device)
    if nbytes > share * free:
        raise GanforgeError(
            f"{what} needs {nbytes / 2**30:.1f} GiB but only {free / 2**30:.1f} GiB is free on {device}", hint
        )


@contextlib.contextmanager
def out_of_memory_as_error(what: str, hint: str) -> Iterator[None]:
    """Turn a CUDA (or CPU allocator) out-of-memory error inside the block into a one-line ``GanforgeError``."""
    try:
        yield
    except torch.OutOfMemoryError:
        raise GanforgeError(f"{what} ran out of memory", hint) from None
