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
    for index, other in enumerate(({"data.name": "grid"}, {"model.z_dim": 3})):
        theirs = ganforge.train(ring(tmp_path / f"other-{index}", 20, **other))
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


# -- 3. what an input may cost is checked from its header ------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"


def lying_png(path: Path, width: int, height: int, mode: str = "L") -> Path:
    """A tiny valid PNG whose header then claims ``width`` x ``height`` pixels (the CRC fixed to match)."""
    import struct
    import zlib

    from PIL import Image

    Image.new(mode, (8, 8), 100).save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)  # IHDR: width, height after the 8-byte signature + chunk head
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def lying_npy(path: Path, shape: tuple[int, ...], values: int = 16) -> Path:
    """An .npy file whose header says ``shape`` (float32) but which holds only ``values`` values."""
    import numpy as np

    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False, "shape": shape})
        handle.write(np.zeros(values, np.float32).tobytes())
    return path


def test_a_folder_of_images_is_reduced_as_read_and_header_bombs_are_skipped(tmp_path, monkeypatch, caplog):
    from PIL import Image

    from ganforge.data.folder import load_folder

    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "pictures"
    folder.mkdir()
    for index, size in enumerate([(300, 200), (40, 90), (64, 64)]):
        Image.new("RGB", size, (index * 60, 10, 200)).save(folder / f"ok{index}.png")
    lying_png(folder / "bomb.png", 12000, 12000)
    lying_png(folder / "huge.png", 100000, 100000, "RGB")
    data = load_folder(f"folder:{folder}", 16)
    assert tuple(data.images.shape) == (3, 3, 16, 16)
    assert "skipped 2 of 5 files (2 over 40,000,000 pixels)" in caplog.text


def test_translate_refuses_images_of_the_wrong_size_from_their_header(tmp_path, capsys):
    run = Path(shutil.copytree(FIXTURES / "inpaint-v0", tmp_path / "run"))
    for width, height, words in [(100000, 100000, "over the 40,000,000 pixels"), (5000, 4000, "5000 x 4000 pixels")]:
        picture = lying_png(tmp_path / f"in-{width}.png", width, height)
        code, _, err = cli("translate", str(run), "--input", str(picture), "--out", str(tmp_path / "o.npy"),
                           capsys=capsys)  # fmt: skip
        line = one_error_line(err)
        assert code == 2 and words in line and picture.name in line
    assert not (tmp_path / "o.npy").exists()


def test_an_npy_whose_header_lies_about_its_shape_is_refused_naming_it(tmp_path, capsys):
    run = Path(shutil.copytree(FIXTURES / "inpaint-v0", tmp_path / "run"))
    real = lying_npy(tmp_path / "real.npy", (4, 2), values=8)  # honest
    for shape in [(10**6, 1, 28, 28), (3, 1, 28, 28), (2**40, 2)]:
        fake = lying_npy(tmp_path / "fake.npy", shape)
        for command in (["eval", "--real", str(real), "--fake", str(fake)],
                        ["translate", str(run), "--input", str(fake), "--out", str(tmp_path / "o.npy")]):  # fmt: skip
            code, _, err = cli(*command, capsys=capsys)
            line = one_error_line(err)
            assert code == 2 and "fake.npy" in line and f"shape {shape}" in line


@pytest.mark.parametrize(("count", "words"), [("1000000000000", "GiB but only"), ("10000000000000", "too large")])
def test_a_huge_sample_count_is_refused_before_allocating(trained, tmp_path, capsys, count, words):
    import tracemalloc

    tracemalloc.start()
    code, _, err = cli("sample", str(trained), "--n", count, "--out", str(tmp_path / "x.npy"), capsys=capsys)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    line = one_error_line(err)
    assert code == 2 and (f"{int(count):,} samples" in line or f"--n {count}" in line)
    assert words in line and peak < 200 * 2**20


# -- 4. nothing outside the run folder is read or served --------------------------------------------------


SECRET = b"secret-from-outside-the-run"


def test_links_out_of_the_run_are_never_served_inlined_or_read(run, tmp_path, capsys):
    from fastapi.testclient import TestClient

    from ganforge.report import write_report
    from ganforge.serve.app import create_app

    outside = tmp_path / "outside.png"
    outside.write_bytes(SECRET)
    frame = run / "samples/step_000020.png"
    frame.unlink()
    frame.symlink_to(outside)
    inside_link = run / "samples/step_000099.png"
    inside_link.symlink_to(run / "samples/step_000040.png")  # a link within the run is fine
    (run / "final.png").unlink()
    (run / "final.png").symlink_to(outside)

    api = TestClient(create_app(run), "http://127.0.0.1:8000")
    refused = api.get("/api/frames/20")
    assert refused.status_code == 403 and SECRET not in refused.content
    assert "step_000020.png leads outside the run folder" in refused.json()["error"]
    assert api.get("/api/frames/99").content == (run / "samples/step_000040.png").read_bytes()

    page = write_report(run, tmp_path / "report.html").read_text()
    import base64

    assert base64.b64encode(SECRET).decode()[:20] not in page and "final.png leads outside the run folder" in page

    (run / "metrics.jsonl").rename(tmp_path / "metrics.jsonl")
    (run / "metrics.jsonl").symlink_to(tmp_path / "metrics.jsonl")
    code, _, err = cli("doctor", str(run), capsys=capsys)
    assert code == 2 and "metrics.jsonl leads outside the run folder" in one_error_line(err)
    (run / "config.yaml").rename(tmp_path / "config.yaml")
    (run / "config.yaml").symlink_to(tmp_path / "config.yaml")
    code, _, err = cli("sample", str(run), "--out", str(tmp_path / "x.npy"), capsys=capsys)
    assert code == 2 and "config.yaml leads outside the run folder" in one_error_line(err)


# -- 5. configs are bounded ---------------------------------------------------------------------------------


def laughs(levels: int, width: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + f"\ntrain: {{steps: *a{levels - 1}}}\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (laughs(9, 9), "expands to over 100,000 values"),
        (laughs(4, 30), "expands to over 100,000 values"),
        ("train: &a [*a]\n", "expands to over 100,000 values"),
        ("[" * 3000 + "]" * 3000, "nests too deeply"),
        ("train:\n  steps: " + "9" * 2_000_000 + "\n", "over the 1,048,576 a config may have"),
        ("train:\n  steps: " + "x" * 100_000 + "\n", "train.steps='xxxx"),
    ],
)
def test_configs_are_bounded_in_size_and_aliases_and_errors_quote_an_excerpt(tmp_path, capsys, text, words):
    config = tmp_path / "bomb.yaml"
    config.write_text(text)
    started = time.monotonic()
    code, _, err = cli("train", "--config", str(config), "--out", str(tmp_path / "out"), capsys=capsys)
    line = one_error_line(err)
    assert code == 2 and words in line and len(line) < 400 and time.monotonic() - started < 30


def test_a_huge_set_value_is_quoted_as_an_excerpt(tmp_path, capsys):
    for setting in ("train.steps=" + "z" * 1_000_000, "train.nothing=" + "1" * 1_000_000, "=" + "y" * 500_000):
        code, _, err = cli("train", "--set", setting, "--out", str(tmp_path / "out"), capsys=capsys)
        assert code == 2 and len(one_error_line(err)) < 400


# -- 6. one output path: checked first, atomic, never over a user's or a run's file -------------------------


@pytest.mark.parametrize(
    ("command", "out"),
    [
        (["sample"], "x.npy"),
        (["sample"], "x.png"),
        (["interpolate", "--walks", "1"], "x.gif"),
        (["traverse"], "x.png"),
    ],
)
def test_unwritable_outputs_are_one_line_before_any_work(run, tmp_path, capsys, command, out):
    (tmp_path / "a-file").write_text("mine")
    (tmp_path / out).mkdir()
    cases = {
        f"/proc/{out}": "/proc does not take new files",
        str(tmp_path / "a-file" / out): "which is a file",
        str(tmp_path / out): "is an existing folder, not a file",
        str(run / "samples" / out): "is a file of the run folder",
    }
    for target, words in cases.items():
        code, _, err = cli(command[0], str(run), *command[1:], "--out", target, capsys=capsys)
        assert code == 2 and words in one_error_line(err) and target in err
    assert (tmp_path / "a-file").read_text() == "mine"


def test_report_and_translate_outputs_never_replace_a_users_or_the_runs_files(run, tmp_path, capsys):
    mine = tmp_path / "mine.html"
    mine.write_text("mine")
    config = (run / "config.yaml").read_text()
    for target, extra, words in [
        (mine, [], "already exists"),
        (run / "config.yaml", ["--overwrite"], "unsupported suffix"),
        (run / "final.html", ["--overwrite"], None),
        (run / "checkpoints" / "x.html", ["--overwrite"], "is a file of the run folder"),
        ("/proc/report.html", [], "does not take new files"),
    ]:
        code, _, err = cli("report", str(run), "--out", str(target), *extra, capsys=capsys)
        if words is None:
            assert code == 0
        else:
            assert code == 2 and words in one_error_line(err)
    assert mine.read_text() == "mine" and (run / "config.yaml").read_text() == config
    (run / "final.html").rename(tmp_path / "moved.html")
    code, _, _ = cli("report", str(run), capsys=capsys)  # RUN/report.html is the report's own: replaced freely
    code_again, _, _ = cli("report", str(run), capsys=capsys)
    assert code == code_again == 0
    inpaint = Path(shutil.copytree(FIXTURES / "inpaint-v0", tmp_path / "inpaint"))
    for target, words in [(tmp_path / "a-file" / "o.npy", "which is a file"), ("/proc/o.npy", "does not take")]:
        (tmp_path / "a-file").write_text("")
        code, _, err = cli("translate", str(inpaint), "--input", "x.npy", "--out", str(target), capsys=capsys)
        assert code == 2 and words in one_error_line(err)


def test_sigterm_while_writing_removes_the_temporary_file_and_says_so(run, tmp_path, capsys, monkeypatch):
    import numpy as np

    real_save = np.save

    def save_then_terminated(handle, array):
        handle.write(b"half")
        os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-write, as from a scheduler
        real_save(handle, array)

    monkeypatch.setattr(np, "save", save_then_terminated)
    for name in ("a.npy", "b.npy"):
        code, _, err = cli("sample", str(run), "--out", str(tmp_path / name), capsys=capsys)
        assert code == 128 + signal.SIGTERM and "SIGTERM received" in one_error_line(err)
        assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]  # no .a.tmp.npy left behind
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_ctrl_c_while_a_command_starts_is_one_line(run, tmp_path, capsys, monkeypatch):
    import ganforge.api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ganforge.api, "load", interrupted)  # Ctrl-C while the run loads
    code, _, err = cli("sample", str(run), "--out", str(tmp_path / "x.npy"), capsys=capsys)
    assert code == 130 and "aborted" in err and "Traceback" not in err
    monkeypatch.setattr("ganforge.cli.check_output", interrupted)  # and while the command line is read
    code, _, err = cli("sample", str(run), "--out", str(tmp_path / "y.npy"), capsys=capsys)
    assert code == 130 and "aborted" in err and "Traceback" not in err


def _torch_loaded(pid: int) -> bool:
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc to see the import under way")
def test_ctrl_c_while_python_imports_ganforge_is_one_line_too():
    # SIGINT once PyTorch's library is mapped, i.e. while `import ganforge` (which imports torch) is under way
    import signal
    import subprocess
    import sys
    import time

    outcomes = []
    for _ in range(2):
        child = subprocess.Popen([sys.executable, "-m", "ganforge", "datasets"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while not _torch_loaded(child.pid) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        outcomes.append(child.returncode)
        assert child.returncode == 0 or (child.returncode == 130 and err.strip().endswith("aborted")), err
    assert 130 in outcomes  # at least one signal landed while the command was still starting


# -- 7. damaged side files are skipped or rebuilt with a warning ---------------------------------------------


DAMAGED = [
    b"\xff\xfe not utf-8\n",
    b"[1, 2, 3]\n",
    b'{"step": "ten", "loss/G": 1.0}\n',
    b'{"step": NaN, "loss/G": 1.0}\n',
    b'{"step": 1e400}\n',
    b'{"step": -4}\n',
    b'{"step": 50, "loss/G": "high"}\n',
    b'{"step": 51, "loss/D": {"nested": 1}}\n',
    b"[" * 5000 + b"\n",
    b'"just a string"\n',
]


def test_damaged_metrics_lines_are_skipped_by_every_reader(run, tmp_path, capsys, caplog):
    from fastapi.testclient import TestClient

    from ganforge.serve.app import create_app

    good = (run / "metrics.jsonl").read_bytes()
    (run / "metrics.jsonl").write_bytes(DAMAGED[0] + good + b"".join(DAMAGED[1:]) + b'{"step": 60, "lo')
    assert [record["step"] for record in RunDir(run).read_metrics()] == [10, 20, 30, 40]
    assert caplog.text.count("skipped damaged line") == len(DAMAGED)  # the cut last line is no damage
    assert "line 1 (not UTF-8)" in caplog.text and "step='ten' is not a whole number" in caplog.text
    for command in (["doctor", str(run)], ["report", str(run)], ["compare", str(run)]):
        code, out, err = cli(*command, capsys=capsys)
        assert code == 0 and "Traceback" not in err, err
    api = TestClient(create_app(run), "http://127.0.0.1:8000")
    assert api.get("/api/status").json()["step"] == 40
    assert [record["step"] for record in api.get("/api/metrics").json()["records"]] == [10, 20, 30, 40]


def test_a_damaged_reference_cache_is_computed_again(tmp_path, caplog):
    from ganforge.evaluate import _read_reference_cache

    good = tmp_path / "good.safetensors"
    save_file({"features": __import__("torch").ones(4, 3)}, str(good))
    assert _read_reference_cache(good).features.shape == (4, 3)
    cases = {
        "truncated": good.read_bytes()[:40],
        "empty": b"",
        "noise": os.urandom(300),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    save_file({"other": __import__("torch").ones(2)}, str(tmp_path / "no-features"))
    save_file({"features": __import__("torch").ones(5)}, str(tmp_path / "flat"))
    for name in [*cases, "no-features", "flat"]:
        assert _read_reference_cache(tmp_path / name) is None
        assert f"reference cache {tmp_path / name} is damaged" in caplog.text


# -- 8. edges ---------------------------------------------------------------------------------------------


LOOPBACKS = [("::1", "[::1]:8000"), ("127.0.0.2", "127.0.0.2:8000"), ("localhost", "localhost:8000"),
             ("127.0.0.1", "127.0.0.1:8000")]  # fmt: skip


@pytest.mark.parametrize(("host", "own"), LOOPBACKS)
def test_every_loopback_bind_refuses_other_host_names(trained, host, own):
    from fastapi.testclient import TestClient

    from ganforge.serve import allowed_hosts
    from ganforge.serve.app import create_app

    app = create_app(trained, allowed_hosts=allowed_hosts(host))
    for name in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example"):
        assert TestClient(app, f"http://{name}").get("/api/info").status_code == 400
    assert TestClient(app, f"http://{own}").get("/api/info").status_code == 200
    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("192.168.1.5") is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sample", "RUN", "--seed", str(10**30)], "--seed"),
        (["sample", "RUN", "--seed", "-1"], "--seed -1 is not a seed"),
        (["interpolate", "RUN", "--seed", str(2**64)], "--seed"),
        (["sample", "RUN", "--batch-size", str(10**23)], "--batch-size"),
        (["interpolate", "RUN", "--steps", str(10**17)], "--steps"),
        (["resume", "RUN", "--steps", str(10**23)], "--steps"),
        (["train", "--dataset", "ring", "--seed", str(2**70)], "--seed"),
        (["train", "--dataset", "ring", "--steps", str(10**20)], "--steps"),
    ],
)
def test_huge_seeds_and_counts_are_one_line_errors(run, tmp_path, capsys, args, words):
    args = [str(run) if arg == "RUN" else arg for arg in args]
    out = ["--out", str(tmp_path / ("x.gif" if args[0] == "interpolate" else "x.npy"))] if args[0] != "resume" else []
    out = ["--out", str(tmp_path / "new")] if args[0] == "train" else out
    code, _, err = cli(*args, *out, capsys=capsys)
    assert code == 2 and words in one_error_line(err)
