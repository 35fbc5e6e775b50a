"""The run folder as the live view reads it, while training may still be writing it.

Training writes metrics.jsonl by appending (a reader may meet a half-written last line) and every other
file atomically (a reader sees the old file or the new one). So reading never fails on a run in
progress: a cut line is skipped, a file replaced between listing and reading is simply missing this time.
Only names this module builds from integers are ever opened, all inside the run folder.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

from ganforge.run import RunDir

FRAME_NAME = re.compile(r"step_(\d{6,})\.(png|json)")
LIVE_SECONDS = 60.0  # a run whose metrics or checkpoint changed this recently, and that has not finished, is live
MAX_RECORDS = 5000  # metric records per reply; the page asks again from the last step it has


def frame_steps(run: RunDir, suffix: str) -> list[int]:
    """Steps of the sample pictures (``png``) or 2-D game frames (``json``) present, ascending."""
    try:
        names = [path.name for path in run.samples_dir.iterdir()]
    except OSError:
        return []
    steps = []
    for name in names:
        match = FRAME_NAME.fullmatch(name)
        if match and match.group(2) == suffix:
            steps.append(int(match.group(1)))
    return sorted(steps)


def frame_file(run: RunDir, step: int, suffix: str) -> Path | None:
    """The frame file of ``step``, if it exists: a path built from the integer, never from the request."""
    path = run.samples_dir / f"step_{int(step):06d}.{suffix}"
    return path if path.is_file() else None


def numeric_records(run: RunDir, since: int, limit: int = MAX_RECORDS) -> list[dict[str, Any]]:
    """Metric records after step ``since`` (finite numbers only; JSON has no NaN), at most ``limit``."""
    records = []
    for record in run.read_metrics():
        step = record.get("step")
        if not isinstance(step, int) or step <= since:
            continue
        records.append(
            {
                key: value
                for key, value in record.items()
                if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            }
        )
        if len(records) >= limit:
            break
    return records


def status(run: RunDir, total_steps: int | None) -> dict[str, Any]:
    """Where training stands: step, rate, time, newest frames, and whether the run looks live."""
    records = run.read_metrics()
    last = records[-1] if records else {}
    step = int(last.get("step", 0))
    age = min(_age(run.metrics_path), _age(run.checkpoints_dir / "latest.safetensors"))
    finished = (run.path / "final.png").is_file() and bool(total_steps) and step >= total_steps
    samples = frame_steps(run, "png")
    game = frame_steps(run, "json")
    return {
        "step": step,
        "steps": total_steps,
        "rate": _finite(last.get("it/s")),
        "seconds": _finite(last.get("time")),
        "training": not finished and age < LIVE_SECONDS,
        "finished": bool(finished),
        "latest_sample": samples[-1] if samples else None,
        "latest_game": game[-1] if game else None,
        "records": len(records),
    }


def _age(path: Path) -> float:
    """Seconds since ``path`` last changed; infinite when it does not exist."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return math.inf


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
