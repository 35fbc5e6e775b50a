"""--time: a training-time budget; training stops at the steps or the time, whichever comes first."""

import pytest

from ganforge.config import duration_seconds
from ganforge.errors import GanforgeError
from ganforge.run import RunDir, load_checkpoint_file

from .test_cli import assert_one_line_error, run_cli

STEPS = "1000000"  # far more than a second of training: the budget ends these runs
RING = ["--dataset", "ring", "--z-dim", "2", "--set", "model.g_hidden=32", "--set", "model.d_hidden=32",
        "--batch-size", "32", "--sample-every", "50", "--set", "train.log_every=10", "--quiet"]  # fmt: skip


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("2m", 120), ("1.5h", 5400), ("45", 45), (" 2M ", 120)])
def test_durations_read_as_seconds(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "2x", "-5s", "0", "m", "inf", "nan"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(GanforgeError, match="not a positive duration"):
        duration_seconds(text)


def test_the_budget_stops_training_with_the_final_pictures_and_checkpoint(capsys, tmp_path):
    run = tmp_path / "timed"
    code, out, _ = run_cli(capsys, "train", *RING, "--steps", STEPS, "--time", "1s", "--out", str(run))
    assert code == 0 and "final.png" in out
    assert (run / "final.png").exists() and (run / "losses.png").exists()
    _, meta = load_checkpoint_file(run / "checkpoints/latest.safetensors")
    records = RunDir(run).read_metrics()
    assert 0 < meta["step"] < int(STEPS) and records[-1]["step"] == meta["step"]  # the last step was logged
    assert records[-1]["time"] >= 1.0  # it stopped once the budget was spent, not before

    # The budget is spent: resume says so; with a larger total it continues the same run.
    code, _, err = run_cli(capsys, "resume", str(run), "--quiet")
    assert_one_line_error(code, err, "time budget", "--time")
    # A total one second beyond the time spent: on a loaded machine one step can pass 1 s, so "2s" may be spent.
    total = records[-1]["time"] + 1.0
    code, _, err = run_cli(capsys, "resume", str(run), "--time", f"{total:.3f}s", "--quiet")
    assert code == 0, err
    _, resumed = load_checkpoint_file(run / "checkpoints/latest.safetensors")
    assert resumed["step"] > meta["step"] and RunDir(run).read_metrics()[-1]["time"] >= total - 1e-3


def test_a_bad_budget_is_one_line_before_any_work(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", *RING, "--time", "soon", "--out", str(tmp_path / "run"))
    assert_one_line_error(code, err, "--time soon", "90s, 2m or 1h")
    assert not (tmp_path / "run").exists()


def test_set_up_before_the_first_step_is_not_training_time(capsys, tmp_path, monkeypatch):
    # The health probe's set-up (a classifier, real and held-out images) happens before the first step; a
    # second of it must not count against --time or show in the run's training seconds.
    import importlib
    import time

    train = importlib.import_module("ganforge.train")  # the module (ganforge.train is also the function)

    class SlowProbe(train.HealthProbe):
        def __init__(self, session):
            time.sleep(1.0)
            super().__init__(session)

    monkeypatch.setattr(train, "HealthProbe", SlowProbe)
    run = tmp_path / "run"
    code, _, _ = run_cli(capsys, "train", *RING, "--steps", "20", "--set", "train.health_every=10", "--out", str(run))
    assert code == 0
    assert RunDir(run).read_metrics()[-1]["time"] < 0.9  # 20 steps of a 32-unit MLP take milliseconds
