"""Training curves drawn from a run's metrics.jsonl."""

from __future__ import annotations

import math
import os
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError
from ganforge.run import parse_metrics

D_OUTPUT_KEYS = ("D(x)", "D(G(z))")  # mean discriminator probabilities on real and generated batches


def read_metrics(metrics_path: str | os.PathLike) -> list[dict]:
    """Read a metrics.jsonl file into one dict per logging interval, ordered by step.

    A truncated last line (the run crashed mid-write) is skipped quietly; a damaged line elsewhere is
    skipped with a warning (``run.parse_metrics``). When a resumed run logged a step twice, the later record wins.
    """
    metrics_path = Path(metrics_path)
    if not metrics_path.is_file():
        raise GanforgeError(f"no metrics file at {metrics_path}", "pass the metrics.jsonl of a run folder")
    records = {record["step"]: record for record in parse_metrics(metrics_path.read_bytes(), metrics_path, True)}
    if not records:
        raise GanforgeError(
            f"{metrics_path} holds no metrics",
            "train for at least one logging interval before plotting",
        )
    return [records[step] for step in sorted(records)]


def plot_losses(metrics_path: str | os.PathLike, out_path: str | os.PathLike) -> Path:
    """Plot the losses and the discriminator's outputs against step from metrics.jsonl; return ``out_path``.

    The panels are described in ``losses_figure``; the title names the run folder.
    """
    records = read_metrics(metrics_path)
    figure = losses_figure(records, Path(metrics_path).parent.name or Path(metrics_path).name, source=metrics_path)
    with atomic_path(out_path) as tmp:
        figure.savefig(tmp, format="png")
    return Path(out_path)


def losses_figure(records: list[dict], run_name: str, source: str | os.PathLike = "the metrics") -> Figure:
    """The training curves of ``records`` as a figure with one panel per group of keys, top to bottom:

    - every key starting with ``loss/``;
    - D(x) and D(G(z)) with a dashed line at 1/2, where both sit at the equilibrium of Goodfellow et al.
      (2014), Sec. 4.1 (D*(x) = p_data / (p_data + p_g) = 1/2 once p_g = p_data);
    - every key starting with ``eval/`` (FID, KID, precision, ... measured during training).

    A panel is left out when the run recorded none of its keys.
    """
    loss_keys = _keys_starting_with(records, "loss/")
    d_keys = [key for key in D_OUTPUT_KEYS if any(key in record for record in records)]
    eval_keys = eval_keys_of(records)
    if not loss_keys and not d_keys and not eval_keys:
        raise GanforgeError(
            f"{source} has no 'loss/...', 'D(x)' or 'eval/...' values to plot",
            "check that the file is a ganforge metrics.jsonl",
        )

    panels = int(bool(loss_keys)) + int(bool(d_keys)) + int(bool(eval_keys))
    figure = Figure(figsize=(9, 3.2 * panels + 0.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = iter(figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0])
    if loss_keys:
        panel = next(axes)
        _draw_series(panel, records, loss_keys)
        panel.set_title("Losses")
        panel.set_ylabel("loss")
    if d_keys:
        panel = next(axes)
        _draw_series(panel, records, d_keys)
        panel.axhline(0.5, color="0.3", linestyle="--", linewidth=1, label="equilibrium (1/2)")
        panel.set_title("Discriminator outputs")
        panel.set_ylabel("mean D output")
        if _within_unit_interval(records, d_keys):
            panel.set_ylim(-0.02, 1.02)
    if eval_keys:
        panel = next(axes)
        _draw_series(panel, records, eval_keys)
        panel.set_title("Evaluation metrics")
        panel.set_ylabel("value")
    for panel in figure.axes:
        panel.grid(True, color="0.9", linewidth=0.5)
        panel.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")  # beside, not over, the data
    figure.axes[-1].set_xlabel("step")
    figure.suptitle(f"Training curves: {run_name}")
    figure.tight_layout()
    return figure


def eval_keys_of(records: list[dict], prefix: str = "eval/") -> list[str]:
    """Keys starting with ``prefix`` that hold a number in at least one record, in order of first appearance."""
    return [key for key in _keys_starting_with(records, prefix) if any(_is_number(r.get(key)) for r in records)]


def _keys_starting_with(records: list[dict], prefix: str) -> list[str]:
    """Keys with ``prefix`` in order of first appearance, so colours stay put as new keys arrive."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update((key, None) for key in record if key.startswith(prefix))
    return list(keys)


def _draw_series(axes: Axes, records: list[dict], keys: list[str]) -> None:
    """Draw one line per key against step; records without a numeric value for a key are skipped."""
    for key in keys:
        points = [(r["step"], r[key]) for r in records if _is_number(r.get(key))]
        if not points:
            continue
        steps = [step for step, _ in points]
        values = [value for _, value in points]
        marker = "o" if len(points) < 30 else None  # a single point is invisible without a marker
        axes.plot(steps, values, label=key, linewidth=1.2, marker=marker, markersize=3)


def _within_unit_interval(records: list[dict], keys: list[str]) -> bool:
    values = [r[k] for r in records for k in keys if _is_number(r.get(k))]
    return all(0.0 <= value <= 1.0 for value in values if math.isfinite(value))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
