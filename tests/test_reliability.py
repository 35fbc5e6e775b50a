"""Training never loses work: reproducible, resumable after a kill, crash-safe and safe to load."""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import ganforge
import ganforge.run
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.gans import GANS
from ganforge.gans.gan import OriginalGAN
from ganforge.run import RunDir, load_checkpoint_file

RING = {
    "data.name": "ring", "model.z_dim": 2, "model.g_hidden": [32], "model.d_hidden": [32],
    "train.batch_size": 32, "train.log_every": 10, "train.sample_every": 1000, "train.checkpoint_every": 20,
}  # fmt: skip


def ring(out, steps, **overrides) -> Config:
    return apply_overrides(Config(), {**RING, "train.steps": steps, "out": str(out), **overrides})


def tensors_of(run: Path) -> dict[str, torch.Tensor]:
    return load_file(run / "checkpoints/latest.safetensors")


def assert_same_tensors(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def history(run: Path) -> list[dict]:
    """The metrics records without the wall-clock fields, which differ between runs by nature."""
    return [{k: v for k, v in r.items() if k not in ("time", "it/s")} for r in RunDir(run).read_metrics()]


def test_same_config_and_seed_give_bitwise_identical_weights(tmp_path):
    first = ganforge.train(ring(tmp_path / "a", 60))
    second = ganforge.train(ring(tmp_path / "b", 60))
    assert_same_tensors(tensors_of(first), tensors_of(second))
    assert history(first) == history(second)
    third = ganforge.train(ring(tmp_path / "c", 60, **{"train.seed": 1}))
    assert not torch.equal(tensors_of(first)["G.net.0.weight"], tensors_of(third)["G.net.0.weight"])


def start_training(out: Path, steps: int) -> subprocess.Popen:
    config = out.parent / f"{out.name}.yaml"
    config.write_text(ring(out, steps).to_yaml())
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ganforge", "train", "--config", str(config), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def wait_for_checkpoint(run: Path, process: subprocess.Popen, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            step = load_checkpoint_file(run / "checkpoints/latest.safetensors")[1]["step"]
            if step >= at_least:
                return step
        except (GanforgeError, FileNotFoundError):
            pass
        time.sleep(0.02)
    raise AssertionError("no checkpoint in time")


def test_resume_after_sigkill_equals_never_stopping(tmp_path):
    process = start_training(tmp_path / "killed", 100_000)
    wait_for_checkpoint(tmp_path / "killed", process, at_least=60)
    process.kill()  # SIGKILL: no handler runs, whatever the process was doing
    process.wait()
    killed_at = RunDir(tmp_path / "killed").read_metrics()[-1]["step"]

    resumed = ganforge.resume(tmp_path / "killed", steps=killed_at + 200)
    straight = ganforge.train(ring(tmp_path / "straight", killed_at + 200))
    assert_same_tensors(tensors_of(resumed), tensors_of(straight))
    assert history(resumed) == history(straight)


def test_sigterm_finishes_the_step_saves_and_says_how_to_resume(tmp_path):
    run = tmp_path / "stopped"
    process = start_training(run, 100_000)
    wait_for_checkpoint(run, process, at_least=20)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "SIGTERM" in errors[0] and f"ganforge resume {run}" in errors[0], stderr
    assert "Traceback" not in stderr
    step = load_checkpoint_file(run / "checkpoints/latest.safetensors")[1]["step"]
    assert step >= 20
    ganforge.resume(run, steps=step + 10)


def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_good_one(tmp_path, caplog):
    run = ganforge.train(ring(tmp_path / "run", 40))
    latest = run / "checkpoints/latest.safetensors"
    data = bytearray(latest.read_bytes())
    data[-10] ^= 0xFF  # one flipped bit in the tensor data: only the checksum can tell
    latest.write_bytes(bytes(data))
    with pytest.raises(GanforgeError, match="checksum mismatch"):
        load_checkpoint_file(latest)
    path, _, meta = RunDir(run).load_latest()
    assert path.name == "step_000040.safetensors" and meta["step"] == 40
    assert "latest.safetensors" in caplog.text and "step_000040.safetensors" in caplog.text

    latest.write_bytes(latest.read_bytes()[:100])  # truncated, as by a full disk in another tool
    (run / "checkpoints/step_000040.safetensors").unlink()
    path, _, meta = RunDir(run).load_latest()
    assert meta["step"] == 20  # previous.safetensors or step_000020: both hold step 20
    ganforge.resume(run, steps=50)


class NaNOnce(OriginalGAN):
    """The original GAN whose G loss turns NaN once, at a chosen call: a divergence to recover from."""

    calls, poison_at = 0, 25

    def g_loss(self, step):
        NaNOnce.calls += 1
        loss = super().g_loss(step)
        return loss * float("nan") if NaNOnce.calls == NaNOnce.poison_at else loss


@pytest.fixture
def nan_once(monkeypatch):
    monkeypatch.setitem(GANS, "nan-once", NaNOnce)
    NaNOnce.calls = 0
    return "nan-once"


def test_a_nan_stops_the_run_and_never_replaces_a_good_checkpoint(tmp_path, nan_once):
    with pytest.raises(GanforgeError, match=r"diverged at step 30: .*loss/G became NaN or Inf"):
        ganforge.train(ring(tmp_path / "run", 60, **{"train.loss": nan_once}))
    tensors, meta = load_checkpoint_file(tmp_path / "run/checkpoints/latest.safetensors")
    assert meta["step"] == 20
    assert all(torch.isfinite(t.float()).all() for t in tensors.values())


def test_rollback_reloads_the_last_good_checkpoint_and_lowers_the_learning_rates(tmp_path, nan_once, caplog):
    cfg = ring(tmp_path / "run", 60, **{"train.loss": nan_once, "train.on_divergence": "rollback"})
    run = ganforge.train(cfg)
    tensors, meta = load_checkpoint_file(run / "checkpoints/latest.safetensors")
    assert meta["step"] == 60 and meta["rollbacks"] == 1
    assert meta["opt_G"]["param_groups"][0]["lr"] == pytest.approx(1e-3 * 0.5)
    assert [r["step"] for r in RunDir(run).read_metrics()] == [10, 20, 30, 40, 50, 60]
    assert "rolled back to step 20" in caplog.text


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    real_save = ganforge.run.save_file
    calls = []

    def save_until_full(tensors, path, metadata=None):
        calls.append(path)
        if len(calls) > 1:  # the second checkpoint: half a file, then the disk is full
            Path(path).write_bytes(b"\0" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(tensors, path, metadata=metadata)

    monkeypatch.setattr(ganforge.run, "save_file", save_until_full)
    with pytest.raises(GanforgeError, match="No space left on device.*previous checkpoint is intact"):
        ganforge.train(ring(tmp_path / "run", 40))
    _, meta = load_checkpoint_file(tmp_path / "run/checkpoints/latest.safetensors")
    assert meta["step"] == 20
    assert not [p for p in (tmp_path / "run/checkpoints").iterdir() if p.name.startswith(".")]


def test_latest_checkpoint_is_never_missing_while_a_new_one_is_saved(tmp_path, monkeypatch):
    # A reader (resume, serve, a test polling a running run) must always find latest.safetensors: the old file
    # becomes previous.safetensors under a second name, and the new one then replaces latest in one rename.
    latest = tmp_path / "run/checkpoints/latest.safetensors"
    real_replace, missing = os.replace, []

    def replace_and_look(source, target):
        existed = latest.is_file()
        real_replace(source, target)
        if existed and not latest.is_file():
            missing.append((Path(source).name, Path(target).name))

    monkeypatch.setattr(os, "replace", replace_and_look)
    ganforge.train(ring(tmp_path / "run", 60))
    assert load_checkpoint_file(latest)[1]["step"] == 60
    assert load_checkpoint_file(tmp_path / "run/checkpoints/previous.safetensors")[1]["step"] == 40
    assert missing == []
    assert not [p for p in (tmp_path / "run/checkpoints").iterdir() if p.name.startswith(".")]


def test_a_checkpoint_file_that_vanishes_while_opened_is_a_ganforge_error(tmp_path, monkeypatch):
    # safetensors checks the path, then opens it in Rust: a file replaced in between raises RuntimeError there
    def vanished(path, framework):
        raise RuntimeError(f"unable to open file <{path}> in read-only mode: No such file or directory (2)")

    monkeypatch.setattr(ganforge.run, "safe_open", vanished)
    with pytest.raises(GanforgeError, match="cannot be read: unable to open file"):
        load_checkpoint_file(tmp_path / "latest.safetensors")


def test_a_checkpoint_that_does_not_fit_the_config_is_a_clear_error(tmp_path):
    run = ganforge.train(ring(tmp_path / "run", 20))
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("g_hidden:\n  - 32", "g_hidden:\n  - 64"))
    with pytest.raises(GanforgeError, match=r"G.net.0.weight is \(32, 2\) there but \(64, 2\) here"):
        ganforge.load(run)


def test_a_dataset_smaller_than_a_batch_trains_with_a_notice(tmp_path, caplog):
    from PIL import Image

    folder = tmp_path / "tiny"
    folder.mkdir()
    for i in range(5):
        Image.new("L", (20, 20), color=40 * i).save(folder / f"{i}.png")
    cfg = apply_overrides(Config(), {
        "data.name": f"folder:{folder}", "data.image_size": 28, "train.steps": 5, "train.batch_size": 16,
        "out": str(tmp_path / "run"),
    })  # fmt: skip
    run = ganforge.train(cfg)
    assert "fewer than the batch size 16" in caplog.text
    assert ganforge.load(run).sample(3).shape == (3, 1, 28, 28)


def test_an_image_folder_skips_and_counts_broken_files(tmp_path, caplog):
    from PIL import Image

    from ganforge.config import DataConfig
    from ganforge.data import load_dataset

    folder = tmp_path / "pictures"
    (folder / "cats").mkdir(parents=True)
    (folder / "dogs").mkdir()
    Image.new("RGB", (40, 30), color=(200, 10, 10)).save(folder / "cats/a.png")
    Image.new("RGB", (64, 64), color=(10, 200, 10)).save(folder / "dogs/b.jpg")
    (folder / "dogs/empty.png").write_bytes(b"")
    (folder / "dogs/broken.jpg").write_bytes(b"not a jpeg at all")
    Image.new("RGB", (3, 3)).save(folder / "cats/tiny.png")
    data = load_dataset(DataConfig(name=f"folder:{folder}", image_size=32))
    assert data.images.shape == (2, 3, 32, 32) and data.class_names == ["cats", "dogs"]
    assert data.labels.tolist() == [0, 1]
    assert "skipped 3 of 5 files (1 empty, 1 smaller than 8 px, 1 unreadable)" in caplog.text
    assert data.images[0, 0].float().mean() > 150  # the red cat, centre-cropped, still red

    again = load_dataset(DataConfig(name=f"folder:{folder}", image_size=32))  # from the cache
    assert torch.equal(again.images, data.images)


def test_sampling_more_than_memory_holds_is_a_clear_error(tmp_path):
    run = ganforge.train(ring(tmp_path / "run", 20))
    with pytest.raises(GanforgeError, match="GiB but only"):
        ganforge.load(run).generate(torch.zeros(1, 2).expand(10**12, 2))


def test_checkpoints_never_unpickle(tmp_path):
    run = ganforge.train(ring(tmp_path / "run", 20))
    raw = (run / "checkpoints/latest.safetensors").read_bytes()
    size = int.from_bytes(raw[:8], "little")  # safetensors: an 8-byte length, a JSON header, raw tensor bytes
    header = json.loads(raw[8 : 8 + size])
    assert header["__metadata__"]["format"] == "ganforge-checkpoint-2"
    assert json.loads(header["__metadata__"]["meta"])["step"] == 20
    source = "\n".join(p.read_text() for p in Path(ganforge.__file__).parent.rglob("*.py"))
    calls = re.findall(r"torch\.load\([^)]*\)", source)
    assert all("weights_only=True" in call for call in calls), calls
    assert "pickle.load(" not in source and "pickle.loads(" not in source
