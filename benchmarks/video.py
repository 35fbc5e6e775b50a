"""Video frame prediction on Moving MNIST: video-gan against video-l2, L2 + GDL (video-gdl) and the baselines.

    python -m benchmarks.video [--dataset moving-mnist-small] [--time 4m] [--presets video-gan,video-l2,video-gdl]
                               [--n 512] [--set KEY=VALUE ...]

Trains each preset on ``--dataset`` for ``--time`` of training (or ``--steps``), the same seed for all, then
measures it with ``ganforge eval`` on the first ``--n`` clips of the fixed, seeded test set (held-out digits):
MSE (summed over a frame's pixels in [0, 1]), MAE, PSNR, SSIM and sharpness, per predicted frame, beside
copy-the-last-frame, a blank frame and the mean training frame. Writes
benchmarks/results/video-<dataset>.json (rewritten after every run) and, per preset, a GIF of four test
clips, context looping | prediction | truth, to docs/images/video-<dataset>-<preset>.gif.

On a shared machine a time budget buys fewer steps than on a quiet one: the file records the steps reached,
the wall time and the CPU seconds of each run's training, and says the machine was shared when ``--shared``
is given.

``--merge`` adds this command's presets to the rows already in the results file (when it holds the same
dataset, settings and ``--n``), so presets can train in parallel processes, one preset each::

    python -m benchmarks.video --dataset moving-mnist --time 30m --n 1000 --presets video-gan --merge --shared &
    python -m benchmarks.video --dataset moving-mnist --time 30m --n 1000 --presets video-l2 --merge --shared &

Each row records the command that wrote it; the file's ``command`` is their sequence.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
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
from ganforge.data.moving_mnist import unstack
from ganforge.data.video_clips import write_gif
from ganforge.tasks import task_of
from ganforge.tasks.video import BASELINES, clip_gif_frames

IMAGES = Path(__file__).parent.parent / "docs" / "images"
GIF_CLIPS = 4


def _rounded(per_frame: dict[str, list[float]]) -> dict[str, list[float]]:
    return {name: [round(value, 4) for value in series] for name, series in per_frame.items()}


def write_clip_gif(run: Path, gif: Path) -> None:
    """Four test clips of ``run``: context looping | prediction | truth, one GIF frame per predicted frame."""
    trained = ganforge.load(run, device="cpu")
    cfg, task = trained.config, task_of(trained.config)
    data = task.load_data(apply_overrides(cfg, {"data.split": "test"}), "cpu")
    examples = data.examples(GIF_CLIPS)
    channels = data.shape[0]
    context, truth = unstack(examples.source, channels), unstack(examples.target, channels)
    prediction = task.predict(trained.gan, context, truth.shape[1])
    gif.parent.mkdir(parents=True, exist_ok=True)
    write_gif(clip_gif_frames(context, prediction, truth), gif, duration_ms=300)


def measure(preset: str, overrides: dict[str, Any], n: int, folder: Path, gif: Path | None) -> dict[str, Any]:
    """Train one preset and evaluate it; its per-frame figures, the baselines', its steps and wall time."""
    settings = {**overrides, "preset": preset, "out": str(folder / preset)}
    started, cpu_started = time.perf_counter(), time.process_time()
    run = ganforge.train(apply_overrides(Config(), settings))
    seconds = round(time.perf_counter() - started, 1)
    cpu_seconds = round(time.process_time() - cpu_started, 1)  # this process's CPU time: < wall when shared
    result = evaluate.evaluate_run(run, n=n, device="cpu")
    if gif is not None:
        write_clip_gif(Path(run), gif)
    return {
        "steps": result["step"],
        "train_seconds": seconds,
        "train_cpu_seconds": cpu_seconds,
        "budget": {key: overrides[key] for key in BUDGET if key in overrides},
        "context": result["context"],
        "horizon": result["horizon"],
        "test_source": result["reference"]["source"],
        "per_frame": _rounded(result["per_frame"]["model"]),
        "baselines": {name: _rounded(result["per_frame"][name]) for name in BASELINES},
        "gif": None if gif is None else str(gif.relative_to(gif.parents[2])),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="moving-mnist-small")
    parser.add_argument("--presets", default="video-gan,video-l2,video-gdl")
    parser.add_argument("--time", default="4m", help="training time per preset (train.time)")
    parser.add_argument("--steps", type=int, default=100_000, help="at most this many steps per preset")
    parser.add_argument("--n", type=int, default=512, help="test clips measured")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--shared", action="store_true", help="say in the file that the machine was shared")
    parser.add_argument("--no-gifs", action="store_true")
    parser.add_argument("--out", help="default: benchmarks/results/video-<dataset>.json")
    parser.add_argument("--runs", help="keep the trained runs in this folder (default: a temporary one)")
    parser.add_argument("--merge", action="store_true", help="keep the file's other presets (same settings, --n)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    out = Path(args.out) if args.out else RESULTS / f"video-{args.dataset}.json"
    overrides = {
        "data.name": args.dataset, "train.steps": args.steps, "train.time": args.time, "train.device": "cpu",
        "train.seed": 0, **parse_sets(args.set),
    }  # fmt: skip
    command = " ".join(["python -m benchmarks.video", *(sys.argv[1:] if argv is None else argv)])
    result: dict[str, Any] = {
        "command": command,
        "machine": machine_description() + (" (shared with other jobs: fewer steps than a quiet machine)"
                                            if args.shared else ""),  # fmt: skip
        "torch": torch.__version__,
        "dataset": args.dataset,
        "overrides": overrides,
        "n": args.n,
        "complete": False,  # rewritten after every run, so a benchmark cut short keeps its rows
        "runs": {},
    }
    presets = [name.strip() for name in args.presets.split(",")]
    if args.merge:
        result["pending"] = list(presets)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.runs) if args.runs else Path(tmp)
        for preset in presets:
            gif = None if args.no_gifs else IMAGES / f"video-{args.dataset}-{preset}.gif"
            row = {"command": command, **measure(preset, overrides, args.n, folder, gif)}
            result["runs"][preset] = row
            if args.merge:
                result["pending"].remove(preset)
            means = {name: round(sum(s) / len(s), 3) for name, s in row["per_frame"].items()}
            print(f"{preset}: {row['steps']} steps in {row['train_seconds']} s; {json.dumps(means)}", flush=True)
            save(out, result, args.merge)
    result["complete"] = True
    return save(out, result, args.merge)


def targets(runs: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets for video-gan, per predicted frame: its MSE below and SSIM above each baseline's,
    and against video-l2 its sharpness above and its MSE at most 15% worse (the mean over frames, too)."""
    if "video-gan" not in runs:
        return {}
    gan = runs["video-gan"]["per_frame"]
    out: dict[str, Any] = {}
    for name, base in runs["video-gan"]["baselines"].items():
        out[f"mse_below_{name}"] = [a < b for a, b in zip(gan["mse"], base["mse"], strict=True)]
        out[f"ssim_above_{name}"] = [a > b for a, b in zip(gan["ssim"], base["ssim"], strict=True)]
    if "video-l2" in runs:
        l2 = runs["video-l2"]["per_frame"]
        out["mse_over_l2"] = [round(a / b, 3) for a, b in zip(gan["mse"], l2["mse"], strict=True)]
        out["sharpness_over_l2"] = [round(a / max(b, 1e-12), 2) for a, b in zip(gan["sharpness"], l2["sharpness"],
                                                                               strict=True)]  # fmt: skip
        out["mean_mse_over_l2"] = round(sum(gan["mse"]) / sum(l2["mse"]), 3)
        out["mean_sharpness_over_l2"] = round(sum(gan["sharpness"]) / max(sum(l2["sharpness"]), 1e-12), 2)
    checks = [all(v) for k, v in out.items() if k.startswith(("mse_below", "ssim_above"))]
    if "video-l2" in runs:
        checks += [max(out["mse_over_l2"]) <= 1.15, min(out["sharpness_over_l2"]) > 1]
    out["all_met"] = all(checks)
    return out


BUDGET = ("train.time", "train.steps")  # each row records its own budget and the steps it reached


def _setting(result: dict[str, Any], key: str) -> Any:
    """A file's setting as merging compares it: the overrides without the training budget."""
    value = result.get(key)
    return {k: v for k, v in value.items() if k not in BUDGET} if key == "overrides" else value


def save(out: Path, result: dict[str, Any], merge: bool) -> dict[str, Any]:
    """Write ``result``; with ``merge``, first add the rows of other presets that ``out`` holds for the same
    dataset, settings and ``--n`` (under a lock: parallel processes each add their own presets)."""
    if not merge:
        write_json(out, {**result, "targets": targets(result["runs"])})
        return result
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(Path(tempfile.gettempdir()) / f"{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = dict(result)
        if out.exists():
            before = json.loads(out.read_text())
            same = all(_setting(before, key) == _setting(result, key) for key in ("dataset", "overrides", "n"))
            if same:
                runs = {name: row for name, row in before["runs"].items() if name not in result["runs"]}
                merged["runs"] = {**runs, **result["runs"]}
                pending = set(before.get("pending", [])) - set(result["runs"]) | set(result["pending"])
                merged["pending"] = sorted(pending)  # presets a writer of the file has still to train
                merged["complete"] = not pending
                merged["machine"] = before["machine"] if before["machine"] == result["machine"] else (
                    f"{before['machine']}; {result['machine']}")  # fmt: skip
        merged["command"] = " && ".join(dict.fromkeys(row.get("command", result["command"])
                                                      for row in merged["runs"].values()))  # fmt: skip
        merged["targets"] = targets(merged["runs"])
        write_json(out, merged)
    return merged


if __name__ == "__main__":
    main()
