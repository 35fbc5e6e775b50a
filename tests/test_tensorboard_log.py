"""``--tensorboard``: the run's metrics and progress pictures as TensorBoard events, read back."""

import json

import pytest

from ganforge import tensorboard_log

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

TINY = ["--dataset", "ring", "--z-dim", "2", "--set", "model.g_hidden=16", "--set", "model.d_hidden=16",
        "--batch-size", "16", "--quiet", "--steps", "30", "--sample-every", "10", "--set", "train.log_every=10",
        "--set", "train.health_every=10"]  # fmt: skip




def test_the_event_files_hold_every_number_of_metrics_jsonl_and_the_progress_pictures(tmp_path, run_cli):
    out = tmp_path / "run"
    code, _, err = run_cli("train", *TINY, "--tensorboard", "--out", out)
    assert code == 0, err
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    events = event_accumulator.EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    numbers = {key for record in records for key, value in record.items() if key != "step"
               if isinstance(value, (int, float))}  # fmt: skip
    assert any(key.startswith("health/") for key in numbers)  # the health signals are among them
    assert tags == numbers
    for key in ("loss/D", "loss/G"):
        logged = {event.step: event.value for event in events.Scalars(key)}
        assert logged == pytest.approx({record["step"]: record[key] for record in records if key in record})
    pictures = events.Images("samples")
    assert [picture.step for picture in pictures] == [10, 20, 30]
    assert pictures[0].width > 100 and pictures[0].height > 100


def test_runs_without_the_flag_write_no_events(tmp_path, run_cli):
    code, _, err = run_cli("train", *TINY, "--steps", "10", "--out", tmp_path / "run")
    assert code == 0, err
    assert not (tmp_path / "run" / "tensorboard").exists()


def test_tensorboard_without_the_package_is_a_one_line_error(tmp_path, monkeypatch, run_cli):
    monkeypatch.setattr(tensorboard_log, "installed", lambda: False)
    code, _, err = run_cli("train", *TINY, "--tensorboard", "--out", tmp_path / "run")
    lines = [line for line in err.splitlines() if not line.startswith("ganforge: ")]
    assert code == 2 and len(lines) == 1 and "pip install 'ganforge[tensorboard]'" in lines[0]
    assert not (tmp_path / "run").exists()
