"""Training curves from metrics.jsonl."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.viz.plots import eval_keys_of, losses_figure, plot_losses, read_metrics


def write_metrics(path, records, tail=""):
    path.write_text("".join(json.dumps(record) + "\n" for record in records) + tail)
    return path


def records(steps):
    return [
        {
            "step": step,
            "time": step / 10,
            "loss/D": 1.4 - step / 1000,
            "loss/D/real": 0.7,
            "loss/D/fake": 0.7,
            "loss/G": 0.7 + step / 1000,
            "D(x)": 0.5 + step / 2000,
            "D(G(z))": 0.5 - step / 2000,
            "it/s": 40.0,
        }
        for step in steps
    ]


def test_plot_losses_writes_a_png(tmp_path):
    metrics = write_metrics(tmp_path / "metrics.jsonl", records(range(0, 500, 10)))
    out = plot_losses(metrics, tmp_path / "losses.png")
    with Image.open(out) as image:
        assert image.format == "PNG"
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_a_truncated_last_line_is_skipped(tmp_path):
    metrics = write_metrics(tmp_path / "metrics.jsonl", records([10, 20]), tail='{"step": 30, "loss/D": 1.')
    assert [record["step"] for record in read_metrics(metrics)] == [10, 20]
    assert plot_losses(metrics, tmp_path / "losses.png").is_file()


def test_a_single_line_and_unseen_loss_keys_are_plotted(tmp_path):
    metrics = write_metrics(tmp_path / "metrics.jsonl", [{"step": 1, "loss/D": 1.0, "loss/D/gp": 0.3}])
    assert plot_losses(metrics, tmp_path / "losses.png").is_file()


def test_a_step_logged_twice_after_a_resume_keeps_the_later_record(tmp_path):
    logged = records([10, 20, 30]) + [{"step": 20, "loss/D": 9.0}]
    metrics = write_metrics(tmp_path / "metrics.jsonl", logged)
    kept = read_metrics(metrics)
    assert [record["step"] for record in kept] == [10, 20, 30]
    assert kept[1] == {"step": 20, "loss/D": 9.0}


def test_a_damaged_line_in_the_middle_is_skipped_with_a_warning(tmp_path, caplog):
    metrics = write_metrics(
        tmp_path / "metrics.jsonl", records([10]), tail='{"step": 2\n' + json.dumps(records([30])[0]) + "\n"
    )
    assert [record["step"] for record in read_metrics(metrics)] == [10, 30]
    assert "skipped damaged line 2 (not JSON)" in caplog.text


@pytest.mark.parametrize("content", ["", "\n\n", '{"step": 1, "loss'])
def test_an_empty_metrics_file_is_an_error(tmp_path, content):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(content)
    with pytest.raises(GanforgeError, match="no metrics"):
        plot_losses(metrics, tmp_path / "losses.png")
    assert not (tmp_path / "losses.png").exists()


def test_a_missing_metrics_file_is_an_error(tmp_path):
    with pytest.raises(GanforgeError, match="no metrics file"):
        plot_losses(tmp_path / "metrics.jsonl", tmp_path / "losses.png")


def test_metrics_without_losses_or_d_outputs_are_an_error(tmp_path):
    metrics = write_metrics(tmp_path / "metrics.jsonl", [{"step": 1, "it/s": 3.0}])
    with pytest.raises(GanforgeError, match="no 'loss/...'"):
        plot_losses(metrics, tmp_path / "losses.png")


def with_eval(logged, every=100):
    """Add FID and precision to every ``every``-th record, as evaluation during training would."""
    for record in logged:
        if record["step"] % every == 0:
            record["eval/fid"] = 100.0 / (1 + record["step"] / 100)
            record["eval/precision"] = record["step"] / 1000
    return logged


def test_eval_metrics_get_a_third_panel_with_one_line_per_key():
    figure = losses_figure(with_eval(records(range(0, 500, 10))), "run")
    assert [panel.get_title() for panel in figure.axes] == ["Losses", "Discriminator outputs", "Evaluation metrics"]
    eval_panel = figure.axes[2]
    assert [line.get_label() for line in eval_panel.get_lines()] == ["eval/fid", "eval/precision"]
    assert eval_panel.get_yscale() == "linear"
    steps, _ = eval_panel.get_lines()[0].get_data()
    assert list(steps) == [0, 100, 200, 300, 400]  # records without the key are skipped, not drawn as gaps


def test_without_eval_metrics_the_figure_keeps_two_panels():
    assert len(losses_figure(records(range(0, 500, 10)), "run").axes) == 2


def test_the_eval_panel_makes_the_png_taller(tmp_path):
    plain = plot_losses(write_metrics(tmp_path / "metrics.jsonl", records(range(0, 500, 10))), tmp_path / "a.png")
    logged = with_eval(records(range(0, 500, 10)))
    evaluated = plot_losses(write_metrics(tmp_path / "metrics.jsonl", logged), tmp_path / "b.png")
    with Image.open(plain) as before, Image.open(evaluated) as after:
        assert after.height > before.height
        assert after.width == before.width


def test_eval_keys_without_numbers_are_ignored():
    logged = records([10, 20])
    logged[1]["eval/fid"] = None
    assert eval_keys_of(logged) == []
    assert len(losses_figure(logged, "run").axes) == 2
