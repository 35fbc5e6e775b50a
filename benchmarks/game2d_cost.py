"""What recording the 2-D game costs: one frame's time and size next to the training it accompanies.

For ring and grid runs the loop writes a game frame (game2d.py) at every sample interval. This times
``record_game_frame`` (D on a 64 x 64 grid, JSON, an atomic write with fsync) against the mean time of a
training step of the default MLP on the same data, and prints the share of training time at the default
sample interval (1,000 steps).

    python benchmarks/game2d_cost.py [--steps 200] [--frames 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ganforge.config import Config, apply_overrides
from ganforge.game2d import record_game_frame
from ganforge.resolve import resolve
from ganforge.train import POINT_SAMPLES, build_session, render, train_step


def measure(dataset: str, steps: int, frames: int) -> str:
    cfg = resolve(apply_overrides(Config(), {"data.name": dataset, "train.device": "cpu"}))
    session = build_session(cfg)
    started = time.perf_counter()
    for _ in range(steps):
        train_step(session)
    step_seconds = (time.perf_counter() - started) / steps
    fake, real = render(session.gan, session.fixed_z), session.data.real(POINT_SAMPLES).cpu()
    times = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(frames):
            started = time.perf_counter()
            path = record_game_frame(Path(folder) / f"step_{index:06d}.png", session.gan, real, fake, 1.5, index)
            times.append(time.perf_counter() - started)
        size = path.stat().st_size
    frame_seconds = statistics.median(times)
    share = frame_seconds / (step_seconds * cfg.train.sample_every)
    return (
        f"{dataset:<5} step {1000 * step_seconds:6.2f} ms  frame {1000 * frame_seconds:6.1f} ms  "
        f"{size / 1000:5.1f} kB  {100 * share:.2f}% of training at one frame per {cfg.train.sample_every} steps"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps timed")
    parser.add_argument("--frames", type=int, default=20, help="frames timed (the median is reported)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for dataset in ("ring", "grid"):
        print(measure(dataset, args.steps, args.frames))


if __name__ == "__main__":
    main()
