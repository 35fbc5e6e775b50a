"""The HTML report of a run folder."""

from __future__ import annotations

import base64
import json
import re

import pytest
from PIL import Image

from ganforge.config import Config
from ganforge.errors import GanforgeError
from ganforge.report import write_report

EVAL = {
    "step": 300,
    "n": 10000,
    "extractor": "mnist-cnn",
    "extractor_sha256": "ab12",
    "reference": {"dataset": "mnist", "split": "test", "n": 1000},
    "metrics": {"fid": 12.3, "kid": 0.011, "kid_std": 0.001, "precision": 0.71, "classes_covered": 10},
    "created": "2026-11-23T09:00:00Z",
    "seconds": 12.5,
}


def make_run(path, *, evaluated=True, animated=True, losses_png=False, eval_every=None, data_dir=None):
    """A run folder as training leaves it, written by hand: config, metrics, pictures, maybe eval.json."""
    path.mkdir()
    cfg = Config()
    cfg.out, cfg.model.name, cfg.train.loss, cfg.train.steps = str(path), "dcgan", "wgan-gp", 300
    cfg.data.name, cfg.data.data_dir = "fashion-mnist", data_dir
    (path / "config.yaml").write_text(cfg.to_yaml())
    records = []
    for step in (100, 200, 300):
        record = {"step": step, "time": step * 0.5, "loss/D": 1.2, "loss/G": 0.8, "D(x)": 0.6, "D(G(z))": 0.4}
        if eval_every and step % eval_every == 0:
            record["eval/fid"] = 300.0 / step
        records.append(record)
    (path / "metrics.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    Image.new("L", (8, 8), 200).save(path / "final.png")
    if animated:
        frames = [Image.new("L", (8, 8), shade) for shade in (0, 128, 255)]
        frames[0].save(path / "progress.gif", save_all=True, append_images=frames[1:])
    if losses_png:
        Image.new("RGB", (8, 8), "red").save(path / "losses.png")
    if evaluated:
        (path / "eval.json").write_text(json.dumps(EVAL))
    return path


def images(page):
    return re.findall(r"<img [^>]*src='([^']*)'", page)


def test_the_report_is_one_self_contained_file(tmp_path):
    run = make_run(tmp_path / "mnist-dcgan-run", losses_png=True)
    out = write_report(run)
    assert out == run / "report.html"
    page = out.read_text()
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?://", page)
    assert "<script" not in page
    sources = images(page)
    assert len(sources) == 3  # final samples, animation, losses
    assert all(source.startswith(("data:image/png;base64,", "data:image/gif;base64,")) for source in sources)
    gif = next(source for source in sources if source.startswith("data:image/gif"))
    assert base64.b64decode(gif.split(",", 1)[1]) == (run / "progress.gif").read_bytes()
    assert [p.name for p in run.iterdir() if ".tmp" in p.name] == []


def test_the_report_names_the_run_and_its_settings(tmp_path):
    page = write_report(make_run(tmp_path / "mnist-dcgan-run")).read_text()
    assert "<h1>mnist-dcgan-run</h1>" in page
    for value in ("fashion-mnist", "dcgan", "wgan-gp", "300 of 300", "2 min 30 s"):  # time: last record's 150 s
        assert value in page
    assert "batch_size: 128" in page  # the config.yaml text itself


def test_the_final_metrics_table_shows_eval_json(tmp_path):
    page = write_report(make_run(tmp_path / "run")).read_text()
    for number in ("12.3", "0.011", "0.001", "0.71", ">10<"):
        assert number in page
    assert "mnist-cnn" in page
    assert "Not available" not in page.split("Final metrics")[1]


def test_text_from_the_run_is_escaped(tmp_path):
    attack = "<script>alert(1)</script>"
    page = write_report(make_run(tmp_path / "run", data_dir=attack)).read_text()
    assert attack not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_missing_pieces_say_not_available_with_the_command(tmp_path):
    run = make_run(tmp_path / "run", evaluated=False, animated=False)
    page = write_report(run).read_text()
    assert f"Not available: no eval.json in the run folder; run <code>ganforge eval {run}</code>" in page
    assert f"progress.gif is written when training finishes; run <code>ganforge resume {run}</code>" in page


def test_missing_losses_png_is_drawn_from_the_metrics(tmp_path):
    page = write_report(make_run(tmp_path / "run", losses_png=False)).read_text()
    losses = page.split("<h2>Losses</h2>")[1].split("</section>")[0]
    assert len(images(losses)) == 1


def test_eval_metrics_logged_in_training_get_one_plot_each(tmp_path):
    page = write_report(make_run(tmp_path / "run", eval_every=100)).read_text()
    curves = page.split("<h2>Metrics during training</h2>")[1].split("</section>")[0]
    assert re.findall(r"alt='([^']*)'", curves) == ["eval/fid"]


def test_an_unreadable_eval_json_is_reported_not_raised(tmp_path):
    run = make_run(tmp_path / "run")
    (run / "eval.json").write_text('{"step": 3')
    assert "eval.json is unreadable" in write_report(run).read_text()


def test_the_report_can_be_written_elsewhere(tmp_path):
    run = make_run(tmp_path / "run")
    (tmp_path / "site").mkdir()
    assert write_report(run, tmp_path / "site") == tmp_path / "site" / "report.html"
    assert write_report(run, tmp_path / "other.html").is_file()
    assert not (run / "report.html").exists()


@pytest.mark.parametrize("make", [lambda p: p, lambda p: p.mkdir() or p])
def test_a_missing_or_foreign_folder_is_an_error(tmp_path, make):
    with pytest.raises(GanforgeError, match="run"):
        write_report(make(tmp_path / "nothing"))


def test_an_unwritable_destination_is_an_error(tmp_path):
    run = make_run(tmp_path / "run")
    (tmp_path / "file").write_text("")
    with pytest.raises(GanforgeError, match=r"--out .*file/report.html is under .*file, which is a file"):
        write_report(run, tmp_path / "file" / "report.html")
