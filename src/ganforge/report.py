"""One self-contained HTML page per run: what was trained, what it produced, and how well.

    ganforge report RUN [--out FILE]

Every picture is inlined as a base64 data URI and the styling is a few lines of CSS in the page,
so the file can be mailed, archived or opened offline: it makes no requests and runs no script.
A piece the run folder lacks is shown as "not available" with the command that makes it.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import shlex
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ganforge.atomic import atomic_path
from ganforge.config import Config
from ganforge.errors import excerpt
from ganforge.output import check_output, writing
from ganforge.run import OutsideRun, RunDir
from ganforge.viz.plots import eval_keys_of, losses_figure

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fafafa;
       max-width: 1000px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 1.2em; }
dl.summary dt { color: #666; }
dl.summary dd { margin: 0; }
pre { background: #f0f0f0; padding: 0.8em; overflow-x: auto; font-size: 13px; }
img { max-width: 100%; height: auto; background: #fff; }
.curves { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 1em; }
.missing { color: #8a5a00; background: #fff6e0; padding: 0.6em 0.8em; border-left: 3px solid #e0a800; }
code { background: #eee; padding: 0 0.25em; }
table { border-collapse: collapse; }
th, td { padding: 0.25em 1em; border-bottom: 1px solid #ddd; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
p.meta { color: #666; font-size: 13px; }
"""


def write_report(run: str | Path, out: Path | None = None, overwrite: bool = False) -> Path:
    """Write ``report.html`` for the run folder ``run`` (or to ``out``, a file or a folder); return its path.

    ``out`` must not exist unless ``overwrite`` (RUN/report.html, the report's own file, is always replaced),
    and is never one of the run's own files. Only files inside the run folder are read (``RunDir.inside``).
    """
    run_dir = RunDir.open(run)
    target = _target(run_dir, out, overwrite)
    cfg = run_dir.read_config()
    records = _records(run_dir)
    name = run_dir.path.resolve().name
    command = shlex.quote(str(run_dir.path))  # the run as the user named it, ready to paste into a shell
    body = [
        _summary(name, cfg, records),
        _section("Config", f"<pre>{_escape(run_dir.read_bytes(run_dir.config_path).decode('utf-8', 'replace'))}</pre>"),
        _section("Final samples", _picture(run_dir, "final.png", "final samples", command)),
        _section("Training progress", _picture(run_dir, "progress.gif", "training progress", command)),
        _section("Losses", _losses(run_dir, name, records, command)),
        _section("Metrics during training", _eval_curves(records, command)),
        _section("Final metrics", _eval_table(run_dir, command)),
    ]
    page = (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{_escape(name)}: ganforge report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    with writing(target, "--out"), atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


def _target(run_dir: RunDir, out: Path | None, overwrite: bool) -> Path:
    out = run_dir.path if out is None else Path(out)
    if out.is_dir():
        out = out / "report.html"
    own = "report.html"  # the report's own file in the run folder: regenerating it replaces it
    if out.resolve() == (run_dir.path / own).resolve():
        overwrite = True
    return check_output(out, "--out", (".html", ".htm"), overwrite, run=run_dir.path, own=(own,))


def _records(run_dir: RunDir) -> list[dict[str, Any]]:
    """The run's metrics, one record per step (the later one where a resumed run logged a step twice); none
    when metrics.jsonl is missing or empty (shown as such). Damaged lines are skipped with a warning."""
    by_step = {record["step"]: record for record in run_dir.read_metrics()}
    return [by_step[step] for step in sorted(by_step)]


# -- sections ----------------------------------------------------------------------------------------


def _summary(name: str, cfg: Config, records: list[dict[str, Any]]) -> str:
    """The title and one line each for what was trained and for how long."""
    last = records[-1] if records else {}
    steps = str(last.get("step", "none logged"))
    if cfg.train.steps is not None:
        steps += f" of {cfg.train.steps}"
    rows = {
        "dataset": cfg.data.name,
        "model": cfg.model.name,
        "loss": cfg.train.loss,
        "steps": steps,
        "training time": _duration(last["time"]) if _is_number(last.get("time")) else "not recorded",
    }
    items = "".join(f"<dt>{_escape(key)}</dt><dd>{_escape(value)}</dd>" for key, value in rows.items())
    return f"<h1>{_escape(name)}</h1>\n<dl class='summary'>{items}</dl>"


def _section(title: str, content: str) -> str:
    return f"<section>\n<h2>{_escape(title)}</h2>\n{content}\n</section>"


def _picture(run_dir: RunDir, name: str, alt: str, command: str) -> str:
    """An image file of the run inlined, or a note that training writes it when it finishes. Read through
    ``RunDir.read_bytes``: a link leading out of the run folder is never inlined into a page meant to be shared."""
    if not (run_dir.path / name).is_file():
        return _missing(f"{name} is written when training finishes", f"ganforge resume {command}")
    try:
        data = run_dir.read_bytes(name)
    except OutsideRun as error:
        return _missing(error.message, "replace the link with the file itself")
    return _img(data, "image/gif" if name.endswith(".gif") else "image/png", alt)


def _losses(run_dir: RunDir, name: str, records: list[dict[str, Any]], command: str) -> str:
    """losses.png as training wrote it, else the same plot drawn now from metrics.jsonl."""
    if (run_dir.path / "losses.png").is_file():
        return _picture(run_dir, "losses.png", "loss curves", command)
    if not records:
        return _missing("metrics.jsonl holds no records yet", f"ganforge resume {command}")
    return _img(_png(losses_figure(records, name, source=run_dir.metrics_path)), "image/png", "loss curves")


def _eval_curves(records: list[dict[str, Any]], command: str) -> str:
    """One small plot per ``eval/`` and ``health/`` key that training logged, against step."""
    keys = eval_keys_of(records) + eval_keys_of(records, "health/")
    if not keys:
        return _missing("this run logged no eval/ metrics during training", f"ganforge eval {command}")
    plots = "".join(_img(_png(_curve(records, key)), "image/png", key) for key in keys)
    return f"<div class='curves'>{plots}</div>"


def _curve(records: list[dict[str, Any]], key: str) -> Figure:
    points = [(record["step"], record[key]) for record in records if _is_number(record.get(key))]
    figure = Figure(figsize=(4, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot([step for step, _ in points], [value for _, value in points], marker="o", markersize=3, linewidth=1.2)
    axes.set_title(key)
    axes.set_xlabel("step")
    axes.grid(True, color="0.9", linewidth=0.5)
    figure.tight_layout()
    return figure


def _eval_table(run_dir: RunDir, command: str) -> str:
    """eval.json as a table of metric, value and spread (``kid`` with ``kid_std``), under a line of provenance."""
    if not (run_dir.path / "eval.json").is_file():
        return _missing("no eval.json in the run folder", f"ganforge eval {command}")
    try:
        result = json.loads(run_dir.read_bytes("eval.json"))
        metrics = result["metrics"]
        if not isinstance(metrics, dict):
            raise TypeError("'metrics' is not a mapping")
    except (ValueError, KeyError, TypeError, RecursionError, OutsideRun) as error:
        return _missing(f"eval.json is unreadable ({excerpt(str(error))})", f"ganforge eval {command}")
    rows = "".join(
        f"<tr><th>{_escape(key)}</th><td class='number'>{_escape(_format(value))}</td>"
        f"<td class='number'>{_escape(_format(metrics[key + '_std'])) if key + '_std' in metrics else ''}</td></tr>"
        for key, value in metrics.items()
        if not (key.endswith("_std") and key[: -len("_std")] in metrics)
    )
    table = f"<table>\n<tr><th>metric</th><th>value</th><th>&plusmn; std</th></tr>\n{rows}\n</table>"
    return f"<p class='meta'>{_escape(_provenance(result))}</p>\n{table}"


def _provenance(result: dict[str, Any]) -> str:
    """Where the numbers come from: step, sample count, feature extractor, real data, date."""
    parts = []
    if "step" in result:
        parts.append(f"step {result['step']}")
    if "n" in result:
        parts.append(f"{result['n']} samples")
    if "extractor" in result:
        parts.append(f"extractor {result['extractor']}")
    reference = result.get("reference")
    if isinstance(reference, dict):
        parts.append(f"against {reference.get('dataset')} {reference.get('split')} (n = {reference.get('n')})")
    if "created" in result:
        parts.append(f"measured {result['created']}")
    if _is_number(result.get("seconds")):
        parts.append(f"in {_duration(result['seconds'])}")
    return " · ".join(parts)


# -- pieces ------------------------------------------------------------------------------------------


def _missing(reason: str, command: str) -> str:
    return f"<p class='missing'>Not available: {_escape(reason)}; run <code>{_escape(command)}</code>.</p>"


def _img(data: bytes, mime: str, alt: str) -> str:
    source = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f"<img alt='{_escape(alt)}' src='{source}'>"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _format(value: object) -> str:
    """Numbers to four significant digits (12.3, 0.011), integers whole, anything else as JSON."""
    if _is_number(value):
        return str(value) if isinstance(value, int) or not math.isfinite(value) else f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value)


def _duration(seconds: float) -> str:
    """12.5 s, 3 min 04 s, 2 h 05 min."""
    if not math.isfinite(seconds) or seconds < 0:
        return "not recorded"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
