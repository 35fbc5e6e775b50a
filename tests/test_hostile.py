"""Hostile and careless input (issue 21): each class of failure, its one mechanism, several examples each.

One small ring run is trained once per module and copied for every test that changes it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors import safe_open
from safetensors.torch import save_file

import ganforge
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.run import CHECKPOINT_FORMAT, RunDir, load_checkpoint_file, tensors_digest
from ganforge.runlock import RunLocked, run_lock

RING = {
    "data.name": "ring", "model.z_dim": 2, "model.g_hidden": [16], "model.d_hidden": [16],
    "train.batch_size": 32, "train.log_every": 10, "train.sample_every": 20, "train.checkpoint_every": 20,
}  # fmt: skip
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(ganforge.__file__).parents[1])}


def ring(out, steps=40, **overrides) -> Config:
    return apply_overrides(Config(), {**RING, "train.steps": steps, "out": str(out), **overrides})


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    return ganforge.train(ring(tmp_path_factory.mktemp("hostile") / "ring", 40))


@pytest.fixture
def run(trained, tmp_path) -> Path:
    """A fresh copy of the trained ring run, free to damage."""
    return Path(shutil.copytree(trained, tmp_path / "run"))


def cli(*args: str, capsys) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def write_with_meta(path: Path, meta_json: str, tensors: dict | None = None, source: Path | None = None) -> None:
    """A checkpoint whose metadata is ``meta_json`` and whose checksum is *valid*: only the schema can tell."""
    tensors = tensors if tensors is not None else load_checkpoint_file(source)[0]
    metadata = {"format": CHECKPOINT_FORMAT, "meta": meta_json, "sha256": tensors_digest(tensors, meta_json)}
    save_file(tensors, str(path), metadata=metadata)


def meta_of(path: Path) -> dict:
    return load_checkpoint_file(path)[1]


# -- 1. one writer per run folder ---------------------------------------------------------------------


HOLD = "import sys, time; from ganforge.runlock import run_lock\nwith run_lock(sys.argv[1], 'test holder'):\n" \
       "    print('held', flush=True); time.sleep(60)\n"  # fmt: skip


def hold_lock(folder: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True, env=ENV)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_is_refused_naming_the_holder_and_a_killed_holder_leaves_no_lock(run, capsys):
    holder = hold_lock(run)
    try:
        with pytest.raises(RunLocked, match=rf"in use by pid {holder.pid} .*test holder"), run_lock(run):
            pass
        for command in (["resume", str(run), "--steps", "60", "--quiet"], ["resume", str(run), "--quiet"]):
            code, _, err = cli(*command, capsys=capsys)
            assert code == 2 and f"pid {holder.pid}" in one_error_line(err) and str(run) in err
        assert meta_of(run / "checkpoints/latest.safetensors")["step"] == 40  # nothing was written
    finally:
        holder.kill()  # SIGKILL: the holder's lock file stays behind, stale
        holder.wait()
    assert "test holder" in (run / ".lock").read_text()
    assert ganforge.resume(run, steps=50) == run  # the stale lock is no obstacle
    assert "ganforge resume" in (run / ".lock").read_text()


def test_two_resumes_started_together_one_trains_and_the_other_refuses(run, capsys):
    command = ["resume", str(run), "--steps", "100000", "--quiet"]
    first = subprocess.Popen([sys.executable, "-m", "ganforge", *command], stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 60
    while "ganforge resume" not in (run / ".lock").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    code, _, err = cli(*command, capsys=capsys)
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)
    assert code == 2 and f"in use by pid {first.pid}" in one_error_line(err)
    steps = [record["step"] for record in RunDir(run).read_metrics()]
    assert steps == sorted(set(steps))  # one writer: no duplicated or out-of-order steps


# -- 2. checkpoint metadata is checked before use -------------------------------------------------------


def test_edited_metadata_fails_the_checksum_and_falls_back_to_the_previous_checkpoint(run, caplog):
    latest = run / "checkpoints/latest.safetensors"
    tensors, meta = load_checkpoint_file(latest)
    for edit in ({"step": 10**6}, {"data_shape": [1, 1000, 1000]}, {"history": []}):
        with safe_open(str(latest), framework="pt") as handle:
            metadata = handle.metadata()
        save_file(tensors, str(latest), metadata={**metadata, "meta": json.dumps({**meta, **edit})})
        path, _, used = RunDir(run).load_latest()
        assert path.name != "latest.safetensors" and used["step"] == 40
        assert "latest.safetensors (checksum mismatch)" in caplog.text
    assert ganforge.load(run).step == 40


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"step": "forty"}, "step="),
        ({"step": -3}, "step="),
        ({"step": 10**30}, "step="),
        ({"data_shape": "1x28x28"}, "data_shape="),
        ({"data_shape": [1, 100000, 100000]}, "data_shape="),
        ({"data_shape": [2, 2]}, "data_shape="),
        ({"num_classes": 1.5}, "num_classes="),
        ({"history": {"step": 1}}, "history"),
        ({"history": [1, 2]}, "history"),
        ({"opt_G": None}, "opt_G"),
        ({"opt_D": {"param_groups": [{"params": ["x"]}], "plain": {}}}, "opt_D.param_groups.params"),
        ({"opt_G": {"param_groups": [{"params": [0], "lr": "fast"}], "plain": {}}}, "opt_G.param_groups.lr"),
        ({"opt_G": {"param_groups": [{"params": [0]}], "plain": {"../x": 1}}}, "opt_G.plain"),
        ({"seconds": float("nan")}, "seconds="),
        ({"run": [1]}, "run="),
    ],
)
def test_metadata_outside_the_schema_is_corrupt_naming_the_field(run, edit, field, caplog):
    latest = run / "checkpoints/latest.safetensors"
    meta = meta_of(latest)
    write_with_meta(latest, json.dumps({**meta, **edit}), source=latest)
    with pytest.raises(GanforgeError, match="bad metadata") as error:
        load_checkpoint_file(latest)
    assert field in str(error.value)
    path, _, used = RunDir(run).load_latest()  # falls back like a truncated file does
    assert path.name != "latest.safetensors" and used["step"] == 40
    assert field in caplog.text


@pytest.mark.parametrize("meta_json", ["", "{", "[1, 2]", '"text"', "null", "{" * 5000 + "}" * 5000, "\udcff"])
def test_metadata_that_is_not_a_json_object_is_corrupt(run, meta_json):
    latest = run / "checkpoints/latest.safetensors"
    write_with_meta(latest, meta_json.encode("utf-8", "replace").decode(), source=latest)
    with pytest.raises(GanforgeError, match="latest.safetensors is unusable"):
        load_checkpoint_file(latest)
    assert ganforge.load(run).step == 40


def test_a_checkpoint_of_another_kind_of_run_is_refused(run, tmp_path, caplog, capsys):
    for other in ({"data.name": "grid"}, {"model.z_dim": 3}):
        theirs = ganforge.train(ring(tmp_path / f"other-{len(caplog.records)}", 20, **other))
        for name in ("latest", "previous"):
            shutil.copyfile(theirs / "checkpoints/latest.safetensors", run / f"checkpoints/{name}.safetensors")
        for kept in (run / "checkpoints").glob("step_*"):
            kept.unlink()
        code, _, err = cli("sample", str(run), "--n", "4", "--out", str(tmp_path / "x.npy"), capsys=capsys)
        key = next(iter(other))
        line = one_error_line(err)
        assert code == 2 and f"written by a run with {key}=" in line and "latest.safetensors" in line
        assert not (tmp_path / "x.npy").exists()


def test_a_data_shape_the_weights_do_not_have_is_refused_before_allocating(run):
    """A forged checkpoint (valid checksum) saying 3 x 1000 x 1000: the networks it would size are built on
    the meta device first, so the mismatch is found without gigabytes of weights."""
    import tracemalloc

    latest = run / "checkpoints/latest.safetensors"
    for shape in ([3, 1000, 1000], [1, 64, 64], [3]):
        write_with_meta(latest, json.dumps({**meta_of(latest), "data_shape": shape}), source=latest)
        tracemalloc.start()
        with pytest.raises(GanforgeError, match="does not fit the model its config builds"):
            ganforge.load(run)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 50 * 2**20
