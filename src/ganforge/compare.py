"""Several runs side by side: a plain-text table of their settings and results, and one metric plotted.

    ganforge compare RUN [RUN ...] [--metric eval/fid] [--out curves.png]

A run's results are its final metrics from eval.json when ``ganforge eval`` measured it, else the
last training record's losses and discriminator outputs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError
from ganforge.run import RunDir
from ganforge.viz.plots import read_metrics

TRAINING_KEYS = ("loss/D", "loss/G", "D(x)", "D(G(z))")  # the results of a run that was never evaluated
SETTINGS = ("run", "dataset", "model", "loss", "steps")


@dataclass
class RunSummary:
    """What the table and the plot need of one run."""

    name: str
    settings: dict[str, Any]
    results: dict[str, Any]  # eval.json's metrics, or the last record's TRAINING_KEYS
    records: list[dict[str, Any]] = field(repr=False)


def compare_runs(runs: list[str | Path], metric: str | None = None, out: Path | None = None) -> tuple[str, Path | None]:
    """Return a table with one row per run and, when ``out`` is given, the path of a PNG plotting ``metric``
    (default: the first ``eval/`` key every run logged, else ``loss/G``) against step for every run."""
    if not runs:
        raise GanforgeError("no runs to compare", "give one or more run folders")
    summaries = [_summarise(RunDir.open(run)) for run in runs]
    _name_uniquely(summaries, runs)
    table = format_table(summaries)
    if metric is not None or out is not None:
        metric = metric or _default_metric(summaries)
        _check_metric(metric, summaries)
    if out is None:
        return table, None
    return table, _plot(summaries, metric, Path(out))


def _summarise(run: RunDir) -> RunSummary:
    cfg = run.read_config()
    records = _records(run)
    step = records[-1].get("step") if records else cfg.train.steps
    settings = {"dataset": cfg.data.name, "model": cfg.model.name, "loss": cfg.train.loss, "steps": step}
    results = _eval_metrics(run.path / "eval.json")
    if results is None:
        last = records[-1] if records else {}
        results = {key: last[key] for key in TRAINING_KEYS if key in last}
    return RunSummary(run.path.resolve().name, settings, results, records)


def _records(run: RunDir) -> list[dict[str, Any]]:
    if not run.metrics_path.is_file():
        return []
    try:
        return read_metrics(run.metrics_path)
    except GanforgeError:  # an empty metrics file: the run shows blanks, as one never evaluated would
        return []


def _eval_metrics(path: Path) -> dict[str, Any] | None:
    """The ``metrics`` of eval.json; None when the run was never evaluated."""
    if not path.is_file():
        return None
    try:
        metrics = json.loads(path.read_text())["metrics"]
        if not isinstance(metrics, dict):
            raise TypeError("'metrics' is not a mapping")
    except (ValueError, KeyError, TypeError) as error:
        raise GanforgeError(
            f"{path} is unreadable ({error})", f"measure the run again with 'ganforge eval {path.parent}'"
        ) from None
    return metrics


def _name_uniquely(summaries: list[RunSummary], runs: list[str | Path]) -> None:
    """Runs from different folders may share a name (two 'mnist-mlp-non-saturating'): show their paths then."""
    names = [summary.name for summary in summaries]
    for summary, run in zip(summaries, runs, strict=True):
        if names.count(summary.name) > 1:
            summary.name = str(run)


def format_table(summaries: list[RunSummary]) -> str:
    """Settings, then the union of result keys in order of first appearance; blank where a run lacks one."""
    result_keys = list(dict.fromkeys(key for summary in summaries for key in summary.results))
    header = [*SETTINGS, *result_keys]
    rows = [
        [summary.name, *(summary.settings[key] for key in SETTINGS[1:]), *(summary.results.get(k) for k in result_keys)]
        for summary in summaries
    ]
    cells = [header, *([_format(value) for value in row] for row in rows)]
    widths = [max(len(line[column]) for line in cells) for column in range(len(header))]
    numeric = [all(_is_number(row[column]) or row[column] is None for row in rows) for column in range(len(header))]

    def line(values: list[str]) -> str:
        padded = (v.rjust(w) if right else v.ljust(w) for v, w, right in zip(values, widths, numeric, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * width for width in widths]), *(line(row) for row in cells[1:])])


def _default_metric(summaries: list[RunSummary]) -> str:
    """The first ``eval/`` key that every run logged during training, else ``loss/G``."""
    logged = [_numeric_keys(summary.records) for summary in summaries]
    common = [key for key in logged[0] if key.startswith("eval/") and all(key in keys for keys in logged)]
    return common[0] if common else "loss/G"


def _check_metric(metric: str, summaries: list[RunSummary]) -> None:
    available = list(dict.fromkeys(key for summary in summaries for key in _numeric_keys(summary.records)))
    if metric in available:
        return
    if not available:
        raise GanforgeError(f"no run logged '{metric}': the runs have no metrics", "train them first")
    raise GanforgeError(f"no run logged the metric '{metric}'", f"choose one of: {', '.join(available)}")


def _numeric_keys(records: list[dict[str, Any]]) -> list[str]:
    """Keys with a number in some record, in order of first appearance (step is the x axis, not a metric)."""
    keys = dict.fromkeys(key for record in records for key, value in record.items() if _is_number(value))
    keys.pop("step", None)
    return list(keys)


def _plot(summaries: list[RunSummary], metric: str, out: Path) -> Path:
    """One line per run on shared axes; a run that never logged ``metric`` is left out of the legend."""
    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for summary in summaries:
        points = [(record["step"], record[metric]) for record in summary.records if _is_number(record.get(metric))]
        if not points:
            continue
        marker = "o" if len(points) < 30 else None  # a single point is invisible without a marker
        steps, values = zip(*points, strict=True)
        axes.plot(steps, values, label=summary.name, linewidth=1.2, marker=marker, markersize=3)
    axes.set_title(f"{metric} against step")
    axes.set_xlabel("step")
    axes.set_ylabel(metric)
    axes.grid(True, color="0.9", linewidth=0.5)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")  # beside, not over, the data
    figure.tight_layout()
    try:
        with atomic_path(out) as tmp:
            figure.savefig(tmp, format="png")
    except OSError as error:
        raise GanforgeError(f"cannot write the plot {out} ({error.strerror})", "choose a writable --out") from None
    return out


def _format(value: object) -> str:
    """Numbers to four significant digits, integers whole, blanks for absent values."""
    if value is None:
        return ""
    if _is_number(value):
        return str(value) if isinstance(value, int) or not math.isfinite(value) else f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
