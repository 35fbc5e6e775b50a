"""The settings of the suite's other learning and alarm tests on several seeds: the suite runs one seed, this
shows it is not a lucky one (the grid test has its own: python -m benchmarks.grid_seeds).

python -m benchmarks.learning_seeds ring             # each loss of the ring test, seeds 0-4
python -m benchmarks.learning_seeds ring --loss wgan --seeds 0 1
python -m benchmarks.learning_seeds overfit          # the overfitting alarm's run, seeds 0-4
python -m benchmarks.learning_seeds suite            # the other learning tests' runs, seeds 0-4 (~30 min, 1 thread)

ring: per loss and seed, the modes each holding 1% of the samples within the target's radius and the share
within it, beside the best control's (tests/test_family_learning.py). overfit: per seed, the health signal
health/d_overfit over the run and the alarms raised (tests/test_health.py). suite: per test and seed, the
figures the test asserts on and whether its target is met (tests/test_learning.py's ring, the conditional and
InfoGAN learning tests, and the four task tests of tests/tasks/test_learning.py), each read from its test file.
Writes benchmarks/results/SECTION-seeds.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS, machine_description, test_module, write_json


def ring(seeds: list[int], losses: list[str]) -> dict:
    import ganforge
    from ganforge.config import Config, apply_overrides
    from ganforge.data import load_dataset

    test = test_module("test_family_learning")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for loss in losses:
            settings, target = test.LOSS_SETTINGS[loss]
            overrides = {**test.RING_RUN, "train.loss": loss, **settings}
            cfg = apply_overrides(Config.load(test.CONFIGS / "ring.yaml"), {**overrides, "out": f"{tmp}/control"})
            data = load_dataset(cfg.data)
            controls = [target.coverage(samples, data) for samples in test.ring_controls(cfg, target).values()]
            best = max((c.high_quality for c in controls if c.modes_covered == c.modes_total), default=0.0)
            for seed in seeds:
                started = time.perf_counter()
                cfg = apply_overrides(cfg, {"train.seed": seed, "out": f"{tmp}/{loss}-{seed}"})
                coverage = target.coverage(test.samples_of(ganforge.train(cfg)), data)
                row = {"loss": loss, "seed": seed, "modes": coverage.modes_covered,
                       "high_quality": coverage.high_quality, "target_met": target.met_by(coverage),
                       "best_control": best, "radius_std": target.radius, "quality_needed": target.quality,
                       "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
                rows.append(row)
                print(f"{loss} seed {seed}: {row['modes']} of 8 modes, {row['high_quality']:.3f} within "
                      f"{target.radius:g} std (needs > {target.quality}; best control {best:.3f}) "
                      f"{'met' if row['target_met'] else 'MISSED'}", flush=True)  # fmt: skip
    return {"settings": {loss: test.LOSS_SETTINGS[loss][0] for loss in losses}, "runs": rows}


def overfit(seeds: list[int]) -> dict:
    import ganforge
    from ganforge.config import Config, apply_overrides
    from ganforge.health import diagnose
    from ganforge.run import RunDir

    test = test_module("test_health")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            cfg = apply_overrides(Config(), {**test.OVERFIT_RUN, "train.seed": seed, "out": f"{tmp}/{seed}"})
            records = RunDir(ganforge.train(cfg)).read_metrics()
            signal = [round(r["health/d_overfit"], 3) for r in records if "health/d_overfit" in r]
            alarms = {f.alarm: f.step for f in diagnose(records, cfg.train.loss, cfg.train.steps)}
            rows.append({"seed": seed, "d_overfit": signal, "alarms": alarms})
            print(f"seed {seed}: d_overfit {signal}; alarms {alarms}", flush=True)
    return {"settings": test.OVERFIT_RUN, "runs": rows}


SUITE_TESTS = ("ring", "acgan", "projection", "infogan", "srgan", "inpaint", "pix2pix", "cyclegan")


def suite(seeds: list[int], only: list[str]) -> dict:
    """Each remaining learning test's run (those ``only`` names) on every seed, judged by the test's own target."""
    import ganforge
    from ganforge.config import Config, apply_overrides
    from ganforge.data import load_dataset
    from ganforge.evaluate import evaluate_run
    from ganforge.metrics.modes import mode_coverage
    from ganforge.run import RunDir

    learning, conditional = test_module("test_learning"), test_module("test_conditional")
    infogan, tasks = test_module("test_infogan"), test_module("tasks/test_learning")
    rows = []

    def record(test: str, seed: int, started: float, met: bool, **figures: float) -> None:
        rows.append({"test": test, "seed": seed, "met": met, **figures,
                     "seconds": round(time.perf_counter() - started, 1)})  # fmt: skip
        print(f"{test} seed {seed}: {figures} {'met' if met else 'MISSED'}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            started = time.perf_counter()
            if "ring" in only:
                cfg = apply_overrides(Config.load(learning.CONFIGS / "ring.yaml"),
                                      {"train.seed": seed, "out": f"{tmp}/ring-{seed}"})  # fmt: skip
                ring = load_dataset(cfg.data)
                samples = ganforge.load(ganforge.train(cfg)).sample(2000, seed=1)
                coverage = mode_coverage(samples, ring.centers, ring.std)
                record("ring", seed, started, coverage.modes_covered >= learning.MODES_NEEDED
                       and coverage.high_quality > learning.QUALITY_NEEDED,
                       modes=coverage.modes_covered, high_quality=coverage.high_quality)  # fmt: skip
            for condition, steps in sorted(conditional.LEARNING_STEPS.items()):
                if condition not in only:
                    continue
                started = time.perf_counter()
                overrides = {**conditional.LEARNING_RUN, "model.condition": condition, "train.steps": steps,
                             "train.seed": seed, "out": f"{tmp}/{condition}-{seed}"}  # fmt: skip
                accuracy = conditional._class_accuracy(ganforge.train(apply_overrides(Config(), overrides)))
                record(condition, seed, started, accuracy >= conditional.ACCURACY_NEEDED, class_accuracy=accuracy)
            started = time.perf_counter()
            if "infogan" in only:
                overrides = {**infogan.LEARNING_RUN, "train.seed": seed, "out": f"{tmp}/infogan-{seed}"}
                accuracy, correlations = infogan._q_recovers(ganforge.train(apply_overrides(Config(), overrides)))
                record("infogan", seed, started, accuracy >= infogan.Q_ACCURACY_NEEDED
                       and min(correlations) >= infogan.Q_CORRELATION_NEEDED,
                       q_accuracy=accuracy, q_correlation_min=min(correlations))  # fmt: skip
            for task, settings in tasks.TASK_RUNS.items():
                if task not in only:
                    continue
                started = time.perf_counter()
                overrides = {**tasks.SMALL, **settings, "train.seed": seed, "out": f"{tmp}/{task}-{seed}"}
                run = ganforge.train(apply_overrides(Config(), overrides))
                first = RunDir.open(run).read_metrics()[0]
                metrics = evaluate_run(run, n=tasks.HELD_OUT)["metrics"]
                record(task, seed, started, bool(tasks.TARGETS[task](metrics, first)),
                       **{name: value for name, value in metrics.items() if isinstance(value, float)})  # fmt: skip
    return {"settings": {task: tasks.TASK_RUNS[task] for task in only if task in tasks.TASK_RUNS}, "runs": rows}


def merged(path: Path, fresh: dict, command: str) -> dict:
    """``fresh`` suite results over what ``path`` holds: the tests rerun replace their old rows and settings, and
    the command that wrote each part is kept."""
    if not path.is_file():
        return {**fresh, "commands": [command]}
    old = json.loads(path.read_text())
    rerun = {row["test"] for row in fresh["runs"]}
    return {
        "settings": {**old.get("settings", {}), **fresh["settings"]},
        "runs": [row for row in old["runs"] if row["test"] not in rerun] + fresh["runs"],
        "commands": [*old.get("commands", [old.get("command")]), command],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("section", choices=["ring", "overfit", "suite"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--loss", nargs="+", default=None, help="ring: the losses to run (default: every one)")
    parser.add_argument("--tests", nargs="+", choices=SUITE_TESTS, default=list(SUITE_TESTS),
                        help="suite: the tests to run (default: every one); their rows replace those in --out")
    parser.add_argument("--out", default=None, help="the results file (default: results/SECTION-seeds.json)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the suite runs on a shared machine
    if args.section == "ring":
        losses = args.loss or list(test_module("test_family_learning").LOSS_SETTINGS)
        results = ring(args.seeds, losses)
    elif args.section == "suite":
        results = suite(args.seeds, args.tests)
    else:
        results = overfit(args.seeds)
    command = " ".join(["python -m benchmarks.learning_seeds", *(sys.argv[1:] if argv is None else argv)])
    out = Path(args.out) if args.out else RESULTS / f"{args.section}-seeds.json"
    if args.section == "suite":
        results = merged(out, results, command)
    write_json(out, {"command": command, "machine": machine_description(), **results})


if __name__ == "__main__":
    main()
