"""The sample grids of docs/models.md: each generation preset trained briefly on Fashion-MNIST, then measured.

    PYTHONPATH=src python scripts/gallery.py [--steps 1000] [--width 32] [--presets gan,dcgan,...]

Every preset keeps its paper's loss, optimiser and D steps; only the length (``--steps`` generator steps)
and, for DCGAN networks, the width (``model.width``) are cut so the whole gallery trains on a CPU in
minutes. Each run's final.png is copied to docs/images/gallery-<preset>.png, and FID (fashion-cnn
features) and class coverage are measured on 2,000 samples against 2,000 test images. Prints the
markdown table that docs/models.md shows.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.evaluate import evaluate_run

ROOT = Path(__file__).resolve().parents[1]
GENERATION_PRESETS = ["gan", "dcgan", "wgan", "wgan-gp", "sngan", "lsgan", "ttur"]


def train_and_measure(preset: str, steps: int, width: int, out: Path) -> dict:
    """Train ``preset`` on Fashion-MNIST for ``steps`` steps; return its row of the table."""
    overrides = {
        "preset": preset,
        "data.name": "fashion-mnist",
        "train.steps": steps,
        "model.width": width,
        "train.sample_every": max(steps // 10, 1),
        "train.checkpoint_every": steps,
        "train.health_every": 0,
        "out": str(out / preset),
    }
    started = time.perf_counter()
    run = ganforge.train(apply_overrides(Config(), overrides), progress=False)
    seconds = time.perf_counter() - started
    metrics = evaluate_run(run, "fid,classes", n=2000)["metrics"]
    shutil.copyfile(run / "final.png", ROOT / "docs" / "images" / f"gallery-{preset}.png")
    cfg = ganforge.load(run).config
    return {
        "preset": preset,
        "model": cfg.model.name,
        "loss": cfg.train.loss,
        "d_steps": cfg.train.d_steps,
        "steps": steps,
        "seconds": seconds,
        "fid": metrics["fid"],
        "classes": int(metrics["classes_covered"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--presets", default=",".join(GENERATION_PRESETS))
    parser.add_argument("--out", type=Path, default=Path("runs/gallery"))
    args = parser.parse_args()
    rows = [train_and_measure(name, args.steps, args.width, args.out) for name in args.presets.split(",")]
    columns = ["preset", "network", "loss", "D steps", "G steps", "train time", "FID (fashion-cnn)", "classes of 10"]
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for row in rows:
        cells = [row["preset"], row["model"], row["loss"], row["d_steps"], row["steps"], f"{row['seconds']:.0f} s",
                 f"{row['fid']:.1f}", row["classes"]]  # fmt: skip
        print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
