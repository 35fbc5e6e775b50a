"""What every benchmark shares: the machine's description, its measured matmul peak, peak memory, JSON out."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

RESULTS = Path(__file__).parent / "results"
TESTS = Path(__file__).parent.parent / "tests"


def parse_sets(items: list[str]) -> dict[str, Any]:
    """A benchmark's ``--set KEY=VALUE`` options as config overrides: each value read as JSON (numbers, lists,
    booleans), else kept as text."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, _, text = item.partition("=")
        try:
            overrides[key] = json.loads(text)
        except json.JSONDecodeError:
            overrides[key] = text
    return overrides


def test_module(name: str) -> Any:
    """tests/<name>.py as a module: a learning test's settings, controls and targets are defined once, there,
    and the benchmarks that show them on several seeds read them from it."""
    spec = importlib.util.spec_from_file_location(name, TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine_description(device: torch.device | str = "cpu") -> str:
    """'CPU model, N cores, T torch threads' (or the GPU's name)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"


def matmul_peak(device: torch.device | str = "cpu", size: int = 2048, repeats: int = 10) -> float:
    """The machine's float32 matrix-multiply rate in GFLOP/s: a large sgemm, timed in a loop."""
    device = torch.device(device)
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    out = torch.empty(size, size, device=device)
    for _ in range(2):
        torch.mm(a, b, out=out)
    sync(device)
    started = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b, out=out)
    sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(contenders: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run each contender ``repeats`` times in turn (A B C A B C ...), so drift in the machine's speed
    (other jobs on a shared machine) hits all alike. Returns every measurement per contender."""
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            results[name].append(run())
    return results


def median_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median of the per-round ratios: each round's two figures were measured back to back."""
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def peak_memory(device: torch.device | str = "cpu", interval: float = 0.002) -> Iterator[dict[str, float]]:
    """Peak memory above the level at entry, in MiB: the CUDA allocator's peak on a GPU, else the
    process's resident set sampled every ``interval`` seconds (so short spikes may be missed)."""
    device = torch.device(device)
    result: dict[str, float] = {}
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        yield result
        torch.cuda.synchronize(device)
        result["peak_mib"] = (torch.cuda.max_memory_allocated(device) - base) / 2**20
        return
    base = _rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        done.set()
        thread.join()
        result["peak_mib"] = (max(peak[0], _rss_bytes()) - base) / 2**20


def write_json(path: Path, values: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **values}
    path.write_text(json.dumps(values, indent=2) + "\n")
    print(f"wrote {path}")
