"""R3GAN's mode-coverage claim at our scale: the ``r3gan`` preset (or ``--preset``) on Stacked MNIST for a
training-time budget.

    python -m benchmarks.stacked_mnist --time 60m                 # the target run: 1,000 modes, KL <= 0.1
    python -m benchmarks.stacked_mnist --time 4m --label short    # a short run that proves the pipeline
    python -m benchmarks.stacked_mnist --step-cost                # ms per step: r3gan and dcgan presets, 28 px
    python -m benchmarks.stacked_mnist --run RUN --label NAME     # count the modes of a trained run
    python -m benchmarks.stacked_mnist --time 5m --label w32 --set model.width=32   # a variant of the preset
    python -m benchmarks.stacked_mnist --preset fast --time 20m --label 20m         # another preset beside it

Trains ``ganforge train --preset r3gan --dataset stacked-mnist --time T`` (every other setting the preset's),
draws ``--samples`` samples (26,000 by default, about 26 a mode) from G_ema, reads each colour channel with the
mnist-cnn classifier (``ganforge eval --metrics stacked-modes`` does the same), and reports the modes covered
out of 1,000 and KL(sample mode histogram || uniform) in nats. PacGAN (Lin et al. 2018) reports 1,000 modes
at KL 0.06 for its best model; R3GAN (Huang et al. 2024) reports all 1,000 covered.
The result goes to benchmarks/results/stacked-mnist-<preset>-<label>.json with the run's training seconds and
steps.

``--step-cost`` times ``train_step`` of the two presets on MNIST at 28 px and batch 64 in alternation (the
same machine load hits both), beside DCGAN's networks trained with R3GAN's loss and penalties and the r3gan
preset at twice its width, and writes benchmarks/results/r3gan-step-cost.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

import torch

import ganforge
from benchmarks.common import RESULTS, interleaved, machine_description, median_ratio, parse_sets, write_json
from ganforge import stats
from ganforge.config import Config, apply_overrides
from ganforge.evaluate import embed
from ganforge.metrics.classes import stacked_mnist_modes
from ganforge.metrics.extractors import get_extractor
from ganforge.presets import PRESETS
from ganforge.resolve import resolve
from ganforge.train import build_session, train_step

TARGET = {"modes": 1000, "kl_to_uniform": 0.1, "minutes": 60}


def train_and_count(budget: str, samples: int, seed: int, out: Path, run: Path | None = None,
                    overrides: dict | None = None, preset: str = "r3gan") -> dict:  # fmt: skip
    """Train ``preset`` (with ``overrides``) on Stacked MNIST for ``budget`` (or take the trained ``run``) and
    count the modes of ``samples`` samples."""
    if run is None:
        cfg = apply_overrides(Config(), {
            "preset": preset, "data.name": "stacked-mnist", "train.time": budget, "train.steps": 10**7,
            "train.seed": seed, "train.sample_every": 2000, "train.checkpoint_every": 2000, "out": str(out),
            **(overrides or {}),
        })  # fmt: skip
        run = ganforge.train(cfg)
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    trained = ganforge.load(run)
    preset = trained.config.preset or preset  # a --run records the preset it was trained with
    generated = trained.sample(samples, seed=seed + 1000)  # (n, 3, 28, 28), from G_ema
    digits = embed(generated, get_extractor("mnist-cnn")).samples  # (n, 3): the digit read in each channel
    counted = stacked_mnist_modes(digits)
    return {
        "modes": counted["modes_covered"],
        "modes_total": counted["modes_total"],
        "kl_to_uniform": round(counted["kl_to_uniform"], 4),
        "training_seconds": last["time"],
        "steps": last["step"],
        "samples": samples,
        "preset_name": preset,
        "preset": PRESETS[preset].overrides if preset in PRESETS else None,
        "overrides": overrides or {},
        "run": str(run),
    }


# What --step-cost times: the two presets, and where the r3gan preset's cost comes from: its loss and penalties
# on DCGAN's networks (D without batch norm, as the penalties ask), and its networks at twice the width.
STEP_COST_CONTENDERS = {
    "r3gan": {"preset": "r3gan"},
    "dcgan": {"preset": "dcgan"},
    "dcgan networks, r3gan loss and penalties": {"preset": "dcgan", "model.d_norm": "none", "train.loss": "rpgan",
                                                 "train.r1_gamma": 0.05, "train.r2_gamma": 0.05},
    "r3gan at model.width=32": {"preset": "r3gan", "model.width": 32},
}  # fmt: skip


def step_cost(rounds: int, steps: int) -> dict:
    """Milliseconds per ``train_step`` at 28 px and batch 64 of the ``STEP_COST_CONTENDERS``, measured in turn."""
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    sessions = {}
    for name, overrides in STEP_COST_CONTENDERS.items():
        cfg = resolve(apply_overrides(Config(), {**overrides, "data.name": "mnist", "train.batch_size": 64,
                                                 "train.health_every": 0, "out": tempfile.mkdtemp()}))  # fmt: skip
        sessions[name] = build_session(cfg)
        for _ in range(2):  # warm-up
            train_step(sessions[name])

    def timer(session):
        def run() -> float:
            started = time.perf_counter()
            for _ in range(steps):
                train_step(session)
            stats.reset()
            return (time.perf_counter() - started) / steps * 1000

        return run

    measured = interleaved({name: timer(session) for name, session in sessions.items()}, rounds)
    return {
        "ms_per_step_median": {name: round(statistics.median(values), 1) for name, values in measured.items()},
        "ms_per_step_all": {name: [round(value, 1) for value in values] for name, values in measured.items()},
        "over_dcgan_median": {name: round(median_ratio(values, measured["dcgan"]), 2)
                              for name, values in measured.items()},  # fmt: skip
        "parameters": {name: {"G": sum(p.numel() for p in s.gan.G.parameters()),
                              "D": sum(p.numel() for p in s.gan.D.parameters())}
                       for name, s in sessions.items()},  # fmt: skip
        "protocol": f"MNIST 28 px, batch 64, {steps} steps a measurement, {rounds} rounds in turn, "
        f"{torch.get_num_threads()} torch threads",
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stacked_mnist", description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="r3gan", choices=sorted(PRESETS), help="the preset trained")
    parser.add_argument("--time", default="60m", help="training-time budget (e.g. 4m, 60m)")
    parser.add_argument("--samples", type=int, default=26_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="full", help="names the result file; say 'short' for a short run")
    parser.add_argument("--out", type=Path, help="the run folder (default: a temporary one)")
    parser.add_argument("--run", type=Path, help="count the modes of this trained run instead of training one")
    parser.add_argument("--step-cost", action="store_true", help="time a training step of r3gan and dcgan")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one of the preset's settings (recorded in the result)")
    args = parser.parse_args(argv)
    if args.step_cost:
        result = {"machine": machine_description(), **step_cost(args.rounds, steps=5)}
        write_json(RESULTS / "r3gan-step-cost.json", result)
    else:
        out = args.out or Path(tempfile.mkdtemp()) / f"stacked-{args.preset}"
        counted = train_and_count(args.time, args.samples, args.seed, out, args.run, parse_sets(args.set), args.preset)
        result = {"machine": machine_description(), "label": args.label, "budget": args.time, "target": TARGET,
                  **counted}  # fmt: skip
        write_json(RESULTS / f"stacked-mnist-{counted['preset_name']}-{args.label}.json", result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
