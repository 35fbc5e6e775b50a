"""A run's measured figures over several seeds: train a config once per seed, ``ganforge eval`` each run.

    python -m benchmarks.default_run                          # the default run (`ganforge train`), seeds 0 1 2
    python -m benchmarks.default_run --steps 5000             # shorter runs (say so where the figures are quoted)
    python -m benchmarks.default_run --config configs/X.yaml --set train.loss=hinge --out benchmarks/results/x.json

Each seed trains the config (``train.seed`` set to the seed) into a temporary folder and is measured with
``ganforge eval``'s defaults for its kind of run (``--metrics`` to choose), ``--n`` samples against the held-out
split. Beside the seeds it measures the floor: as many real training samples as the metric compares, against the
same held-out ones. Writes, per metric, every seed's value and their mean, min and max, to
benchmarks/results/default-run.json; README.md quotes them, and ``make docs-check`` reruns this and compares.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

import ganforge
from benchmarks.common import RESULTS, machine_description, parse_sets, write_json
from ganforge import evaluate
from ganforge.config import Config, apply_overrides
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.extractors import default_extractor, get_extractor
from ganforge.resolve import command_line_defaults, resolve

DEFAULT_OUT = RESULTS / "default-run.json"


def _without_runs(argv: list[str]) -> list[str]:
    """The arguments less ``--runs DIR``, which only says where runs are kept (and reused)."""
    out, skip = [], False
    for item in argv:
        if skip or item == "--runs":
            skip = not skip
            continue
        if not item.startswith("--runs="):
            out.append(shlex.quote(item))
    return out


def spread(values: list[float]) -> dict[str, float]:
    """Mean, min and max of one figure over the seeds."""
    return {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}


def _same_run(folder: Path, cfg: Config) -> bool:
    """Whether ``folder`` holds a finished run of ``cfg`` (its config, every step trained)."""
    if not (folder / "config.yaml").is_file():
        return False
    try:
        kept = ganforge.load(folder, device="cpu")
    except GanforgeError:
        return False
    mine, theirs = dataclasses.asdict(resolve(cfg)), dataclasses.asdict(kept.config)
    for settings in (mine, theirs):
        settings.pop("out"), settings.pop("explicit", None)
    return mine == theirs and kept.step == kept.config.train.steps


def measure_seeds(
    cfg: Config, seeds: list[int], metrics: str | None, n: int, folder: Path
) -> list[dict[str, Any]]:  # fmt: skip
    """Train ``cfg`` once per seed (a finished run of the same config already in ``folder`` is measured
    again, not retrained) and evaluate each run; one row per seed."""
    rows = []
    for seed in seeds:
        seeded = apply_overrides(cfg, {"train.seed": seed, "out": str(folder / f"seed{seed}")})
        started = time.perf_counter()
        if _same_run(folder / f"seed{seed}", seeded):
            print(f"seed {seed}: measuring the finished run in {folder / f'seed{seed}'}", flush=True)
            run, seconds = folder / f"seed{seed}", None
        else:
            run = ganforge.train(seeded)
            seconds = round(time.perf_counter() - started, 1)
        result = evaluate.evaluate_run(run, metrics, n=n, device=cfg.train.device)
        rows.append({"seed": seed, "train_seconds": seconds, "metrics": result["metrics"]})
        shown = ", ".join(f"{name} {value:.4g}" for name, value in result["metrics"].items())
        print(f"seed {seed}: {seconds} s of training; {shown}", flush=True)
    return rows


def real_floor(cfg: Config, metrics: str | None, n: int) -> dict[str, float]:
    """Real training samples measured as the runs are: the figures a perfect copy of the training set gets."""
    training = load_dataset(cfg.data)
    kind = "points" if training.kind == "points" else "image"
    if metrics is not None:  # the metrics that apply to real samples (not class accuracy or code recovery)
        metrics = [name for name in metrics.split(",") if name in evaluate.METRICS and not evaluate.METRICS[name].needs]
        if not metrics:
            return {}
    names = evaluate.parse_metrics(metrics, kind, cfg.data.name)
    extractor = None if kind == "points" else get_extractor(default_extractor(cfg.data.name))
    held_out = dataclasses.replace(cfg.data, split="test")
    test = evaluate.reference(held_out, extractor, n, torch.device("cpu"))
    data = load_dataset(held_out) if "modes" in names else None
    return evaluate.compute(names, test, evaluate.embed(training.real(len(test.features)), extractor), data)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="a YAML config (default: the default run, `ganforge train`)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, help="train.steps (default: the config's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--metrics", help="ganforge eval --metrics (default: eval's defaults for the run)")
    parser.add_argument("--n", type=int, default=evaluate.DEFAULT_N, help="samples per evaluation")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--runs", help="keep the runs in this folder (default: a temporary one)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    overrides = parse_sets(args.set)
    if args.steps is not None:
        overrides["train.steps"] = args.steps
    cfg = command_line_defaults(apply_overrides(Config.load(args.config) if args.config else Config(), overrides))
    resolved = resolve(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure_seeds(cfg, args.seeds, args.metrics, args.n, Path(args.runs or tmp))
    names = list(rows[0]["metrics"])
    result = {
        "command": " ".join(
            ["python -m benchmarks.default_run", *_without_runs(sys.argv[1:] if argv is None else argv)]
        ),
        "machine": machine_description(),
        "torch": torch.__version__,
        "config": args.config or "ganforge train's defaults, with the overrides below",
        "overrides": overrides,
        "steps": resolved.train.steps,
        "n": args.n,
        "seeds": rows,
        "metrics": {name: spread([row["metrics"][name] for row in rows]) for name in names},
        "train_seconds": spread(timed) if (timed := [r["train_seconds"] for r in rows if r["train_seconds"]]) else None,
        "real_floor": real_floor(resolved, args.metrics, args.n),
    }
    for name, values in result["metrics"].items():
        print(f"{name:<20} mean {values['mean']:.4g}  range {values['min']:.4g} to {values['max']:.4g}")
    write_json(Path(args.out), result)
    return result


if __name__ == "__main__":
    main()
