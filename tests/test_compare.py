"""Comparing run folders: one table, one plot."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from ganforge.compare import compare_runs
from ganforge.config import Config
from ganforge.errors import GanforgeError


def make_run(path, model="mlp", loss="non-saturating", metrics=None, eval_every=None, last_loss_G=0.8):
    """A run folder written by hand: config.yaml, three metrics records and, given ``metrics``, eval.json."""
    path.mkdir(parents=True)
    cfg = Config()
    cfg.out, cfg.model.name, cfg.train.loss, cfg.train.steps = str(path), model, loss, 300
    (path / "config.yaml").write_text(cfg.to_yaml())
    records = []
    for step in (100, 200, 300):
        record = {"step": step, "time": step / 10, "loss/D": 1.25, "loss/G": last_loss_G, "D(x)": 0.6, "D(G(z))": 0.4}
        if eval_every and step % eval_every == 0:
            record["eval/fid"] = 3000.0 / step
        records.append(record)
    (path / "metrics.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    if metrics is not None:
        (path / "eval.json").write_text(json.dumps({"step": 300, "n": 1000, "metrics": metrics}))
    return path


def rows(table):
    """(header cells, the rule line, the run lines): split a line on spaces to get its non-blank cells."""
    lines = table.splitlines()
    return lines[0].split(), lines[1], lines[2:]


def test_the_table_has_a_row_per_run_and_the_union_of_eval_keys(tmp_path):
    first = make_run(tmp_path / "a", metrics={"fid": 12.3, "kid": 0.011})
    second = make_run(tmp_path / "b", model="dcgan", loss="hinge", metrics={"fid": 20.5, "precision": 0.71})
    table, plot = compare_runs([first, second])
    assert plot is None
    header, rule, lines = rows(table)
    assert header == ["run", "dataset", "model", "loss", "steps", "fid", "kid", "precision"]
    assert set(rule) == {"-", " "}
    assert lines[0].split() == ["a", "mnist", "mlp", "non-saturating", "300", "12.3", "0.011"]
    assert lines[1].split() == ["b", "mnist", "dcgan", "hinge", "300", "20.5", "0.71"]
    kid_column = table.splitlines()[0].index("kid")
    assert lines[1][kid_column : kid_column + 5].strip() == ""  # b has no kid: blank, not zero


def test_a_run_never_evaluated_shows_its_last_training_record(tmp_path):
    evaluated = make_run(tmp_path / "a", metrics={"fid": 12.3})
    trained = make_run(tmp_path / "b", last_loss_G=0.9)
    header, _, lines = rows(compare_runs([evaluated, trained])[0])
    assert header[5:] == ["fid", "loss/D", "loss/G", "D(x)", "D(G(z))"]
    assert lines[1].split()[5:] == ["1.25", "0.9", "0.6", "0.4"]


def test_the_plot_draws_the_metric_for_every_run(tmp_path):
    runs = [make_run(tmp_path / name, eval_every=100) for name in ("a", "b")]
    table, plot = compare_runs(runs, out=tmp_path / "curves.png")
    assert plot == tmp_path / "curves.png"
    with Image.open(plot) as image:
        assert image.format == "PNG"
    assert "a" in table and "b" in table


def test_the_default_metric_is_loss_G_without_common_eval_keys(tmp_path):
    runs = [make_run(tmp_path / "a", eval_every=100), make_run(tmp_path / "b")]
    assert compare_runs(runs, out=tmp_path / "curves.png")[1].is_file()


def test_an_unknown_metric_names_it_and_lists_the_available_ones(tmp_path):
    runs = [make_run(tmp_path / "a", eval_every=100), make_run(tmp_path / "b")]
    with pytest.raises(
        GanforgeError, match=r"'eval/is'.*choose one of: time, loss/D, loss/G, D\(x\), D\(G\(z\)\), eval/fid"
    ):
        compare_runs(runs, metric="eval/is", out=tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


def test_runs_with_the_same_name_are_told_apart_by_path(tmp_path):
    runs = [make_run(tmp_path / "x" / "run"), make_run(tmp_path / "y" / "run")]
    table = compare_runs(runs)[0]
    assert str(runs[0]) in table and str(runs[1]) in table


def test_no_runs_or_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(GanforgeError, match="no runs"):
        compare_runs([])
    with pytest.raises(GanforgeError, match="does not exist"):
        compare_runs([tmp_path / "missing"])
