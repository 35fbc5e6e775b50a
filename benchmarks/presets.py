"""Every preset on every built-in dataset it accepts, each for the same short CPU-time budget.

    python -m benchmarks.presets                                   # every pair, 60 CPU s each, 2 workers
    python -m benchmarks.presets --budget 20 --jobs 2
    python -m benchmarks.presets --presets cgan acgan projection --datasets fashion-mnist

A pair (preset, dataset) is *accepted* when ``resolve`` takes ``--preset P --dataset D`` with nothing else, as
``ganforge train`` would (a preset given 2-D data and no ``--model`` trains the dataset's network); a refused pair
is listed with its one-line reason. Presets of the image-to-image, video and text tasks (their own data and task
measures) are listed with the benchmark that measures them (``ELSEWHERE``). cifar10 needs a download: a dataset
that cannot be loaded here is listed as unavailable.

Each accepted pair trains in its own worker process on ONE torch thread for ``--budget`` seconds of the process's
CPU time (``time.process_time``, which other jobs on a shared machine do not shrink) or the preset's step count,
whichever comes first; the learning-rate decay reads the budget's share spent, as ``ganforge train --time`` does.
Ten times in the budget the clock stops and the training health probe measures (``ganforge.health``: the signals
and D's mean outputs of the interval, as ``ganforge train`` records them); the alarms are judged at the end by
``health.diagnose`` with today's thresholds over the steps reached. Observing does not change the run: the probe
has its own random streams and reads G and D in eval mode, and its time is not counted in the budget.

Then the pair is measured (from G_ema where the preset keeps one): images by the dataset's shipped classifier
(mnist-cnn, fashion-cnn; Stacked MNIST per channel by mnist-cnn): FID of ``--n`` samples against the first ``--n``
test images (fewer where the test split is smaller), classes covered (of 10, a class holding at least 1% of the
samples), Stacked MNIST's modes (of 1,000, from the same ``--n`` samples: an undercount beside PacGAN's 26,000);
for a class-conditional preset the same samples asked for classes 0..9 in turn and the share the classifier reads
as the class asked (mean and worst class); 2-D points in PacGAN's protocol (2,500 samples: modes, high-quality
share). A pair *collapses* when a collapse alarm fires (mode-collapse, low-diversity), *saturates* when the d-saturated
alarm fires; beside them the table says how many of the 10 classes (images) or of the modes (2-D) it misses, and
marks *few modes* on Stacked MNIST below 100 of the 1,000 (a generator drawing every mode alike shows about 865 in
2,000 samples).

Writes benchmarks/results/presets.json (``--out``); pairs not rerun keep their rows there when the budget is the
same. docs/models.md ("Every preset on every dataset") quotes it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import logging
import math
import multiprocessing
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from benchmarks.common import RESULTS, machine_description, write_json
from ganforge import stats
from ganforge.config import Config, apply_overrides
from ganforge.data import describe_datasets, load_dataset
from ganforge.errors import GanforgeError
from ganforge.evaluate import embed
from ganforge.health import HealthProbe, diagnose
from ganforge.metrics import classes, fid, recovery
from ganforge.metrics.extractors import default_extractor, get_extractor
from ganforge.metrics.modes import PROTOCOL_SAMPLES, mode_coverage
from ganforge.presets import PRESETS
from ganforge.resolve import resolve
from ganforge.train import build_session, train_step
from ganforge.trained import render

DATASETS = ("mnist", "fashion-mnist", "stacked-mnist", "cifar10", "ring", "grid")
CLASSIFIED = ("mnist", "fashion-mnist")  # datasets whose shipped classifier reads the 10 classes
# Presets with their own task, data and measures, and the benchmark that measures them.
ELSEWHERE = {
    "pix2pix": "benchmarks/learning_seeds.py suite (its learning test on seeds 0-4: L1 against identity and mean)",
    "cyclegan": "benchmarks/learning_seeds.py suite (its learning test on seeds 0-4: domain accuracy both ways)",
    "discogan": "the cyclegan task's measures (ganforge eval: domain accuracy, cycle error); no benchmark runs it",
    "srgan": "benchmarks/sr_filters.py (PSNR and SSIM against bicubic, on a held-out downscaling filter)",
    "inpaint": "benchmarks/learning_seeds.py suite (its learning test on seeds 0-4: hole PSNR over the mean fill)",
    "stackgan-stage1": "benchmarks/text2image.py (attribute and class accuracy, R-precision, FID)",
    "stackgan": "benchmarks/text2image.py (attribute and class accuracy, R-precision, FID)",
    "video-gan": "benchmarks/video.py (MSE, PSNR, SSIM, sharpness per predicted frame)",
    "video-l2": "benchmarks/video.py (MSE, PSNR, SSIM, sharpness per predicted frame)",
    "video-gdl": "benchmarks/video.py (MSE, PSNR, SSIM, sharpness per predicted frame)",
}
PROBES = 10  # health measurements per budget
TARGET_CLASS_ACCURACY = 0.8  # conditional presets on Fashion-MNIST (issue 15)
COLLAPSE_ALARMS = ("mode-collapse", "low-diversity")
FEW_STACKED_MODES = 100  # of Stacked MNIST's 1,000: below a tenth of them a pair is marked "few modes"


def config_for(preset: str, dataset: str, seed: int, sets: dict[str, str] | None = None) -> Any:
    """``ganforge train --preset PRESET --dataset DATASET --seed SEED --device cpu [--set KEY=VALUE ...]``, resolved
    (GanforgeError when refused)."""

    overrides = {"preset": preset, "data.name": dataset, "train.seed": seed, "train.device": "cpu", **(sets or {})}
    return resolve(apply_overrides(Config(), overrides))


def plan(
    presets: list[str], datasets: list[str], seed: int, sets: dict[str, str] | None = None
) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """The accepted pairs to train, and every other pair with why it is not trained here."""

    accepted, skipped = [], []
    rows = {row["name"]: row for row in describe_datasets(None)}  # what `ganforge datasets` lists
    available = {dataset: None if rows[dataset]["available"] else
                 f"dataset not available here (source: {rows[dataset]['source']})" for dataset in datasets}  # fmt: skip
    for preset in presets:
        for dataset in datasets:
            if preset in ELSEWHERE:
                skipped.append({"preset": preset, "dataset": dataset, "reason": f"measured by {ELSEWHERE[preset]}"})
                continue
            if available[dataset] is not None:
                skipped.append({"preset": preset, "dataset": dataset, "reason": available[dataset]})
                continue
            try:
                config_for(preset, dataset, seed, sets)
                accepted.append((preset, dataset))
            except GanforgeError as error:
                skipped.append({"preset": preset, "dataset": dataset, "reason": f"refused: {error}"})
    return accepted, skipped


def train_pair(
    preset: str, dataset: str, budget: float, seed: int, n: int, sets: dict[str, str] | None = None
) -> dict[str, Any]:
    """Train one pair for ``budget`` seconds of this process's CPU time (or its steps) and measure it (on one
    torch thread in the benchmark, where ``_run`` sets it)."""

    started_wall = time.perf_counter()
    cfg = config_for(preset, dataset, seed, sets)
    session = build_session(cfg)
    probe = HealthProbe(session)
    stats.reset()
    records: list[dict[str, Any]] = []
    trained = observed = 0.0
    next_probe = budget / PROBES
    while session.step < cfg.train.steps and trained < budget:
        session.time_progress = trained / budget  # optim.lr_decay reads the budget's share, as with --time
        session.gan.G.train()
        session.gan.D.train()
        before = time.process_time()
        train_step(session)
        trained += time.process_time() - before
        if trained >= next_probe or trained >= budget or session.step >= cfg.train.steps:
            before = time.process_time()
            records.append({"step": session.step, **stats.collect(), **probe.measure()})
            observed += time.process_time() - before
            next_probe += budget / PROBES
            if not all(math.isfinite(v) for v in records[-1].values()):
                break  # diverged: measured as it is
    findings = diagnose(records, cfg.train.loss, session.step)
    before = time.process_time()
    result = {
        "preset": preset,
        "dataset": dataset,
        "steps": session.step,
        "step_cap": cfg.train.steps,
        "cpu_seconds": round(trained, 1),
        "probe_cpu_seconds": round(observed, 1),
        "alarms": [finding.alarm for finding in findings],
        "final_signals": {k: round(v, 4) for k, v in records[-1].items() if k != "step"} if records else {},
        **measure(session, n, seed),
    }
    result["measure_cpu_seconds"] = round(time.process_time() - before, 1)
    result["wall_seconds"] = round(time.perf_counter() - started_wall, 1)
    result.update(verdict(result))
    return result


def measure(session: Any, n: int, seed: int) -> dict[str, Any]:
    """FID, classes, modes and (conditional) class accuracy of the session's G (G_ema where kept)."""

    gan, data, cfg = session.gan, session.data, session.cfg
    generator = torch.Generator().manual_seed(seed + 100)
    if data.kind == "points":
        z = gan.sample_latent(PROTOCOL_SAMPLES, generator)
        coverage = mode_coverage(render(gan, z), data.centers, data.std)
        return {"modes": coverage.modes_covered, "modes_total": coverage.modes_total,
                "high_quality": round(coverage.high_quality, 4)}  # fmt: skip
    net = get_extractor(default_extractor(cfg.data.name), "cpu", 500)
    z = gan.sample_latent(n, generator)
    labels = torch.arange(n) % gan.num_classes if gan.num_classes else None  # classes 0..K-1 in turn
    samples = torch.cat([render(gan, z[i : i + 500], None if labels is None else labels[i : i + 500])
                         for i in range(0, n, 500)])  # fmt: skip
    finite = torch.isfinite(samples.flatten(1)).all(1)
    if not finite.all():  # G's weights diverged: nothing to measure
        return {"extractor": net.name, "n": n, "nonfinite_samples": int((~finite).sum())}
    fake = embed(samples, net)
    test = load_dataset(dataclasses.replace(cfg.data, split="test"))
    real = embed(test.real(min(n, len(test))), net)  # not evaluate.reference's disk cache: computed here, checked
    out: dict[str, Any] = {"extractor": net.name, "n": n, "n_real": len(real.features),
                           "fid": round(fid.fid(real.features, fake.features), 2)}  # fmt: skip
    if cfg.data.name == "stacked-mnist":
        stacked = classes.stacked_mnist_modes(fake.samples)  # embed keeps the three digits read per sample
        out.update(stacked_modes=stacked["modes_covered"], stacked_kl=round(stacked["kl_to_uniform"], 3))
        return out
    predicted = fake.probabilities.argmax(1)
    shares = torch.bincount(predicted, minlength=10) / len(predicted)
    out["classes_covered"] = int((shares >= 0.01).sum())
    if labels is not None and net.num_classes == gan.num_classes:
        accuracy = recovery.class_accuracy(predicted, labels, gan.num_classes)
        worst = accuracy.per_class[accuracy.worst]
        out.update(class_accuracy=round(accuracy.accuracy, 4), class_accuracy_worst=round(worst, 4),
                   worst_class=int(accuracy.worst))  # fmt: skip
    return out


def verdict(row: dict[str, Any]) -> dict[str, Any]:
    """Whether the pair collapsed (a collapse alarm fired), saturated (the d-saturated alarm fired) or diverged (G
    drew samples that are not finite), and how many of the 10 classes (images) or of the modes (2-D) its samples
    miss."""
    out: dict[str, Any] = {
        "collapsed": any(alarm in COLLAPSE_ALARMS for alarm in row["alarms"]),
        "saturated": "d-saturated" in row["alarms"],
    }
    if "nonfinite_samples" in row:
        out["diverged"] = True
    if "classes_covered" in row:
        out["classes_missing"] = 10 - row["classes_covered"]
    if "modes" in row:
        out["modes_missing"] = row["modes_total"] - row["modes"]
    if "stacked_modes" in row:  # a generator drawing each of the 1,000 alike shows about 865 in 2,000 samples
        out["few_modes"] = row["stacked_modes"] < FEW_STACKED_MODES
    if "class_accuracy" in row and row["dataset"] == "fashion-mnist":
        out["meets_class_accuracy_target"] = row["class_accuracy"] >= TARGET_CLASS_ACCURACY
    return out


def _run(args: tuple[str, str, float, int, int, dict[str, str]]) -> dict[str, Any]:
    torch.set_num_threads(1)  # each worker one thread: the budget is one thread's CPU time
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    try:
        return train_pair(*args)
    except Exception as error:  # noqa: BLE001 - one pair's failure is a row of the table, not the end of the run
        return {"preset": args[0], "dataset": args[1], "error": f"{type(error).__name__}: {error}"}


def main(argv: list[str] | None = None) -> dict[str, Any]:

    parser = argparse.ArgumentParser(prog="python -m benchmarks.presets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="CPU seconds of training per pair (one thread)")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one torch thread each")
    parser.add_argument("--n", type=int, default=2000, help="samples per image measurement (and real test images)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "presets.json")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", help="settings over every preset's")
    parser.add_argument("--note", default="", help="e.g. 'shared machine': recorded in the results")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    command = shlex.join(["python", "-m", "benchmarks.presets", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    sets = {key: yaml.safe_load(value) for key, value in (item.split("=", 1) for item in args.set)}  # as --set does
    accepted, skipped = plan(args.presets, args.datasets, args.seed, sets)
    print(f"{len(accepted)} pairs at {args.budget:g} CPU s each, {args.jobs} workers", flush=True)
    rows = []
    jobs = [(preset, dataset, args.budget, args.seed, args.n, sets) for preset, dataset in accepted]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max(1, args.jobs), mp_context=context) as pool:
        for row in pool.map(_run, jobs):
            rows.append({**row, "command": command})
            print(json.dumps(row), flush=True)
    wall = time.perf_counter() - started
    kept = json.loads(args.out.read_text()) if args.out.is_file() else {}
    done = {(row["preset"], row["dataset"]) for row in rows}
    this_run = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "jobs": args.jobs,
                "pairs_trained": len(jobs), "wall_seconds": round(wall, 1),
                "cpu_seconds": round(sum(_cpu(row) for row in rows), 1)}  # fmt: skip
    runs = [this_run]
    if kept.get("budget_cpu_seconds") == args.budget:  # a rerun of some pairs keeps the others' rows
        earlier = kept.get("runs") or [{"command": kept["command"], "date": kept["date"], "jobs": kept["jobs"],
                                        "pairs_trained": kept["pairs_trained_by_this_command"],
                                        "wall_seconds": kept["wall_seconds_of_this_command"],
                                        "cpu_seconds": kept["cpu_seconds_of_this_command"]}]  # fmt: skip
        runs = [*earlier, this_run]
        rows = [row for row in kept.get("pairs", []) if (row["preset"], row["dataset"]) not in done] + rows
        skipped = [row for row in kept.get("not_trained", [])
                   if (row["preset"], row["dataset"]) not in done | {(s["preset"], s["dataset"]) for s in skipped}
                   ] + skipped  # fmt: skip
    for row in rows:  # judged afresh, so rows kept from an earlier run read by today's verdict
        if "error" not in row:
            row.update(verdict(row))
    order = {name: i for i, name in enumerate(PRESETS)}
    rows.sort(key=lambda row: (order[row["preset"]], DATASETS.index(row["dataset"])))
    result = {
        "command": command,
        "machine": machine_description(),
        "note": args.note,
        "budget_cpu_seconds": args.budget,
        "settings": sets,
        "threads_per_pair": 1,
        "runs": runs,  # each command that trained (or listed) pairs of this file, the latest last
        "cpu_seconds_all_pairs": round(sum(_cpu(row) for row in rows), 1),  # training, probing and measuring
        "minutes_on_2_quiet_cores": round(sum(_cpu(row) for row in rows) / 2 / 60, 1),  # set-up not counted
        "measure": f"{args.n} samples against up to {args.n} test images; 2-D: 2,500 samples (PacGAN's protocol)",
        "pairs": rows,
        "not_trained": skipped,
        "summary": summary(rows),
    }
    write_json(args.out, result)
    return result


def _cpu(row: dict[str, Any]) -> float:
    return row.get("cpu_seconds", 0) + row.get("probe_cpu_seconds", 0) + row.get("measure_cpu_seconds", 0)


def summary(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Which pairs collapsed, saturated, failed, or missed the class-accuracy target."""
    name = lambda row: f"{row['preset']} on {row['dataset']}"  # noqa: E731
    return {
        "collapsed": [name(r) for r in rows if r.get("collapsed")],
        "saturated": [name(r) for r in rows if r.get("saturated")],
        "diverged": [name(r) for r in rows if r.get("diverged")],
        "missing_classes": [name(r) for r in rows if r.get("classes_missing")],
        "missing_modes": [name(r) for r in rows if r.get("modes_missing")],
        "few_stacked_modes": [name(r) for r in rows if r.get("few_modes")],
        "failed": [f"{name(r)}: {r['error']}" for r in rows if "error" in r],
        "below_class_accuracy_target": [name(r) for r in rows if r.get("meets_class_accuracy_target") is False],
    }


def _alarms(row: dict[str, Any]) -> str:
    return ", ".join(row["alarms"]) or "none"


def table(result: dict[str, Any]) -> str:
    """The results as the markdown table docs/models.md shows (its rows are checked against the file by
    tests/test_presets_benchmark.py)."""
    lines = [
        "| preset | dataset | steps | FID | classes | modes | class accuracy (worst) | alarms | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["pairs"]:
        if "error" in row:
            lines.append(f"| {row['preset']} | {row['dataset']} | | | | | | | failed: {row['error']} |")
            continue
        fid = f"{row['fid']:.1f}" if "fid" in row else ""
        classes = f"{row['classes_covered']}" if "classes_covered" in row else ""
        if "stacked_modes" in row:
            modes = f"{row['stacked_modes']} (KL {row['stacked_kl']:.2f})"
        elif "modes" in row:
            modes = f"{row['modes']}/{row['modes_total']} ({row['high_quality']:.0%} HQ)"
        else:
            modes = ""
        accuracy = (f"{row['class_accuracy']:.1%} ({row['class_accuracy_worst']:.0%})"
                    if "class_accuracy" in row else "")  # fmt: skip
        verdict = [word for word, bad in (("collapsed", row["collapsed"]), ("saturated", row["saturated"]),
                                          ("diverged", row.get("diverged"))) if bad]  # fmt: skip
        if row.get("classes_missing"):
            verdict.append(f"misses {row['classes_missing']} classes")
        if row.get("modes_missing"):
            verdict.append(f"misses {row['modes_missing']} modes")
        if row.get("few_modes"):
            verdict.append("few modes")
        if row.get("meets_class_accuracy_target") is False:
            verdict.append("below 80%")
        cells = [row["preset"], row["dataset"], f"{row['steps']:,}", fid, classes, modes, accuracy, _alarms(row),
                 ", ".join(verdict) or "ok"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
