"""Text to image on captioned Fashion-MNIST: StackGAN and its controls, measured by ``ganforge eval``'s text
measures (attribute accuracy from pixels, class by the shipped classifier, R-precision, FID, diversity).

    python -m benchmarks.text2image --rows stage1 --steps 400      # one row per call; calls may run side by side
    python -m benchmarks.text2image --rows stage1,no-ca,shuffled,stackgan --steps 400
    python -m benchmarks.text2image --rows stage1 --steps 6000 --dataset captioned-mnist \
        --out-dir benchmarks/results/text2image-mnist                # the preset on captioned digits
    python -m benchmarks.text2image --rows stage1 --set task.class_weight=3 --out-dir /tmp/cw3   # a variant

Rows (each trained from scratch with ``train.seed`` 0, then measured on the first 2,000 test items):

- ``stage1``: ``--preset stackgan-stage1`` (32 px) for STEPS steps (the preset: conditioning augmentation with
  KL weight 0.1, D's class head with weight 1, Adam 2e-3);
- ``no-class-head``: ``stage1`` without D's class head (``task.class_weight=0``);
- ``class-head``: the preset's settings spelled out, for a run as long as the ablations below;
- ``kl-0.1``: ``class-head`` without the class head;
- ``kl-1``: ``kl-0.1`` with the paper's KL weight, 1;
- ``no-ca``: ``kl-1`` with ``task.augment_text=false`` (c = mu: no conditioning augmentation, no sampling);
- ``shuffled``: ``kl-1`` trained on shuffled captions (each picture paired with another's), measured against
  the true captions: what the text contributes;
- ``paper-rate``: ``kl-1`` at the paper's Adam rate, 2e-4 (the presets train at 2e-3);
- ``stackgan``: ``--preset stackgan`` (64 px) with KL weight 1: stage I for STEPS G updates, then stage II for
  STEPS more with stage I held fixed; its stage-I pictures are measured too (``stage1`` inside its metrics).

The rows from ``kl-1`` down keep the KL weight 1 they were measured with when it was the presets'
(``task.kl_weight=1``); every row but ``stage1`` and ``class-head`` was measured before the presets took D's
class head (``task.class_weight=0``).

``--remeasure DIR`` measures again the run folders a ``--keep DIR`` call kept (``DIR/<row>``), without training:
each row's file keeps its training facts and gets the new measurements, and records the command that made them
(``remeasured``), e.g. after a measure changed.

The real pictures' own measurements come with every row (``metrics.real``). Each row writes
``benchmarks/results/text2image-<row>.json`` with the command, the steps, the training wall time and a note
on the machine: wall times on a shared machine say little about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

import ganforge
from benchmarks.common import parse_sets
from ganforge.atomic import write_text_atomic
from ganforge.config import Config, apply_overrides
from ganforge.tasks import TASKS

ROOT = Path(__file__).parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAPER_KL = {"task.kl_weight": 1.0}
NO_HEAD = {"task.class_weight": 0.0}  # the rows measured before the presets took D's class head
ROWS: dict[str, dict[str, Any]] = {
    "stage1": {"preset": "stackgan-stage1"},
    "no-class-head": {"preset": "stackgan-stage1", **NO_HEAD},
    "class-head": {"preset": "stackgan-stage1", "task.kl_weight": 0.1, "task.class_weight": 1.0},
    "kl-0.1": {"preset": "stackgan-stage1", "task.kl_weight": 0.1, **NO_HEAD},
    "kl-1": {"preset": "stackgan-stage1", **PAPER_KL, **NO_HEAD},
    "no-ca": {"preset": "stackgan-stage1", **PAPER_KL, **NO_HEAD, "task.augment_text": False},
    "shuffled": {"preset": "stackgan-stage1", **PAPER_KL, **NO_HEAD, "task.shuffle_captions": True},
    "stackgan": {"preset": "stackgan", **PAPER_KL, **NO_HEAD},
    "paper-rate": {"preset": "stackgan-stage1", **PAPER_KL, **NO_HEAD, "optim.lr_g": 2e-4, "optim.lr_d": 2e-4},
}
EVAL_ITEMS = 2000


def measure(run: Path) -> dict[str, Any]:
    """``ganforge eval``'s text measures of the run in ``run`` on the first EVAL_ITEMS test items."""
    trained = ganforge.load(run, device="cpu")
    return TASKS["text2image"].evaluate(trained.gan, trained.config, "test", EVAL_ITEMS, 500)


def run_row(name: str, steps: int, folder: Path, dataset: str | None = None,
            sets: dict | None = None) -> dict[str, Any]:  # fmt: skip
    """Train row ``name`` for ``steps`` (stage I's steps; stackgan trains twice as many) and measure it; on
    ``dataset`` (a captioned data set) instead of the preset's when given, with ``sets`` overriding the row's."""
    overrides = dict(ROWS[name], **({"data.name": dataset} if dataset else {}), **(sets or {}))
    total = 2 * steps if name == "stackgan" else steps
    overrides.update({"train.steps": total, "train.checkpoint_every": total, "out": str(folder / name)})
    if name == "stackgan":
        overrides["task.stage1_steps"] = steps
    cfg = apply_overrides(Config(), overrides)
    started = time.time()
    run = ganforge.train(cfg, progress=False)
    seconds = time.time() - started
    measured = measure(run)
    return {"row": name, "overrides": {k: v for k, v in overrides.items() if k != "out"}, "steps": total,
            "train_seconds": round(seconds, 1), **measured}  # fmt: skip


LABELS = {  # row -> what the table calls it
    "real": "real test pictures",
    "stage1": "StackGAN stage I (32 px), the preset: CA's KL weight 0.1, D's class head",
    "no-class-head": "the preset without D's class head",
    "class-head": "stage I, the preset's settings",
    "kl-0.1": "KL 0.1, without the class head",
    "kl-1": "stage I with the paper's KL weight, 1 (no class head, as below)",
    "paper-rate": "KL 1, Adam at the paper's 2e-4 (the presets: 2e-3)",
    "no-ca": "KL 1, without conditioning augmentation",
    "shuffled": "KL 1, trained on shuffled captions",
    "stackgan": "StackGAN stage I + II (64 px), KL 1",
    "stackgan/stage1": "its stage I alone (32 px)",
    "chance": "stage I's pictures scored against other captions",
}
ACCURACY = ("class", "colour", "background", "size", "position")


def load_results(folder: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """The committed results of each row that has one, by row name."""
    return {row: json.loads(path.read_text()) for row in ROWS if (path := folder / f"text2image-{row}.json").is_file()}


def table(results: dict[str, dict[str, Any]]) -> str:
    """The docs' table (markdown) from the rows' results: attribute accuracy on seen and held-out (class, colour)
    combinations, R-precision, FID and diversity, with each row's steps and training wall time."""
    header = ("| | steps (wall s) | " + " | ".join(ACCURACY) + " | held out: " + " / ".join(ACCURACY)
              + " | R-precision | FID | diversity |")  # fmt: skip
    lines = [header, "|" + "---|" * (header.count("|") - 1)]

    def cells(measured: dict[str, Any]) -> str:
        seen = " | ".join(f"{measured['seen'].get(name, float('nan')):.2f}" for name in ACCURACY)
        held = measured.get("held_out", {})
        held_cell = " / ".join(f"{held[name]:.2f}" if name in held else "-" for name in ACCURACY)
        diversity = f"{measured['diversity']:.3f}" if "diversity" in measured else "-"
        return f"{seen} | {held_cell} | {measured['r_precision']:.2f} | {measured['fid']:.1f} | {diversity}"

    def add(label: str, result: dict[str, Any] | None, measured: dict[str, Any]) -> None:
        budget = f"{result['steps']} ({result['train_seconds']:.0f})" if result else "-"
        lines.append(f"| {label} | {budget} | {cells(measured)} |")

    first = next(iter(results.values()), None)
    if first is not None:
        add(LABELS["real"], None, first["metrics"]["real"])
    order = ("stage1", "no-class-head", "class-head", "kl-0.1", "kl-1", "paper-rate", "no-ca", "shuffled", "stackgan")
    for row in order:
        if row in results:
            add(LABELS[row], results[row], results[row]["metrics"]["model"])
        if row == "stackgan" and row in results and "stage1" in results[row]["metrics"]:
            add(LABELS["stackgan/stage1"], None, results[row]["metrics"]["stage1"])
    if "stage1" in results:
        chance = results["stage1"]["metrics"]["shuffled"]
        lines.append(f"| {LABELS['chance']} | - | " + " | ".join(f"{chance.get(n, float('nan')):.2f}" for n in ACCURACY)
                     + " | | | | |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated rows: " + ", ".join(ROWS))
    parser.add_argument("--steps", type=int, default=400, help="stage I's G updates (stackgan: as many more)")
    parser.add_argument("--dataset", help="train on this captioned data set instead of the preset's "
                        "(captioned-fashion), e.g. captioned-mnist; give it its own --out-dir")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one of the row's settings (recorded in the result)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="keep the run folders here (for figures), not in a temporary folder")
    parser.add_argument("--remeasure", type=Path, metavar="DIR",
                        help="measure the run folders DIR/<row> that --keep DIR kept again, without training")
    parser.add_argument("--table", action="store_true", help="print the docs' table from the results and stop")
    args = parser.parse_args()
    if args.table:
        print(table(load_results(args.out_dir)))
        return
    rows = [row.strip() for row in args.rows.split(",") if row.strip()]
    unknown = [row for row in rows if row not in ROWS]
    if unknown:
        sys.exit(f"unknown rows: {', '.join(unknown)} (choose from {', '.join(ROWS)})")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if args.remeasure:
        for row in rows:
            path = args.out_dir / f"text2image-{row}.json"
            result = json.loads(path.read_text())
            result.update(measure(args.remeasure / row))
            result["remeasured"] = f"python -m benchmarks.text2image --rows {row} --remeasure {args.remeasure}"
            write_text_atomic(path, json.dumps(result, indent=1) + "\n")
            print(f"{row}: {path} (remeasured)", flush=True)
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        for row in rows:
            result = run_row(row, args.steps, folder, args.dataset, parse_sets(args.set))
            options = "".join(f" --set {item}" for item in args.set)
            options += f" --dataset {args.dataset} --out-dir {args.out_dir}" if args.dataset else ""
            result["command"] = f"python -m benchmarks.text2image --rows {row} --steps {args.steps}{options}"
            result["machine"] = (f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
                                 f"{torch.get_num_threads()} thread(s); shared machine (other jobs running): "
                                 "wall times are an upper bound")  # fmt: skip
            path = args.out_dir / f"text2image-{row}.json"
            write_text_atomic(path, json.dumps(result, indent=1) + "\n")
            print(f"{row}: {path}", flush=True)


if __name__ == "__main__":
    main()
