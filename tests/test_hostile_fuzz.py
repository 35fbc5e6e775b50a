"""Random bytes where a run folder holds checkpoint metadata, metrics lines and its config: every command and
the explorer answer with exit 0 or 2 (one line) or a reply under 500, never a traceback."""

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

import ganforge
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.run import CHECKPOINT_FORMAT, load_checkpoint_file, tensors_digest
from ganforge.serve.app import create_app

RING = {
    "data.name": "ring", "model.z_dim": 2, "model.g_hidden": [16], "model.d_hidden": [16], "train.batch_size": 32,
    "train.log_every": 10, "train.sample_every": 1000, "train.checkpoint_every": 1000, "train.steps": 20,
}  # fmt: skip
# Few examples, each a whole round of commands; no shrinking (slow here): a failure shows as found.
FAST = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                phases=[Phase.explicit, Phase.generate])  # fmt: skip
ENDPOINTS = ["/api/info", "/api/samples?n=4", "/api/status", "/api/metrics", "/api/frames", "/api/directions"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    return ganforge.train(apply_overrides(Config(), {**RING, "out": str(tmp_path_factory.mktemp("fuzz") / "ring")}))


@contextlib.contextmanager
def damaged_copy(trained: Path):
    with tempfile.TemporaryDirectory() as folder:
        yield Path(shutil.copytree(trained, Path(folder) / "run"))


def run_cli(*args: str) -> tuple[int, str]:
    """The command line in this process: (exit code, stderr). Anything but SystemExit escapes and fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code or 0
    return code, err.getvalue()


def every_face_copes(run: Path) -> None:
    out = run.parent / "out"
    for command in (["sample", str(run), "--n", "4", "--out", str(out / "x.npy"), "--overwrite"],
                    ["resume", str(run), "--steps", "21", "--quiet"], ["doctor", str(run)],
                    ["report", str(run), "--out", str(out / "r.html"), "--overwrite"]):  # fmt: skip
        code, err = run_cli(*command)
        assert code in (0, 2) and "Traceback" not in err, (command, err)
        assert len([line for line in err.splitlines() if line.startswith("error:")]) <= 1, err
    try:
        app = create_app(run)
    except ganforge.GanforgeError:  # a config the explorer cannot start on: `ganforge serve` says so in one line
        return
    client = TestClient(app, "http://127.0.0.1:8000", raise_server_exceptions=False)
    for endpoint in ENDPOINTS:
        status = client.get(endpoint).status_code
        assert status < 500 or status == 503, (endpoint, status)  # 503: no usable checkpoint, by design


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
META_KEYS = ["step", "data_shape", "num_classes", "history", "opt_G", "opt_D", "seconds", "rollbacks", "run"]
meta_edits = st.one_of(
    st.binary(max_size=200).map(lambda data: data.decode("utf-8", "replace")),  # the whole metadata replaced
    json_values.map(json.dumps),
    st.tuples(st.sampled_from(META_KEYS), json_values),  # one field of the real metadata replaced
)


@FAST
@given(edit=meta_edits)
def test_random_checkpoint_metadata_never_gives_a_traceback(trained, edit):
    with damaged_copy(trained) as run:
        latest = run / "checkpoints/latest.safetensors"
        tensors, original = load_checkpoint_file(latest)
        meta = edit if isinstance(edit, str) else json.dumps({**original, edit[0]: edit[1]})
        # A valid checksum over the random metadata: only the schema stands between it and every command.
        metadata = {"format": CHECKPOINT_FORMAT, "meta": meta, "sha256": tensors_digest(tensors, meta)}
        save_file(tensors, str(latest), metadata=metadata)
        every_face_copes(run)


metrics_lines = st.lists(
    st.one_of(st.binary(max_size=60), json_values.map(lambda value: json.dumps(value).encode())), max_size=6
)


@FAST
@given(lines=metrics_lines)
def test_random_metrics_lines_never_give_a_traceback_or_a_500(trained, lines):
    with damaged_copy(trained) as run:
        good = (run / "metrics.jsonl").read_bytes().splitlines()
        mixed = [good[0], *lines, *good[1:]]
        (run / "metrics.jsonl").write_bytes(b"\n".join(mixed) + b"\n")
        every_face_copes(run)


config_texts = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["data", "model", "train", "optim", "task", "out"]), json_values, max_size=3).map(
        lambda value: json.dumps(value).encode()
    ),
)


@FAST
@given(config=config_texts)
def test_random_config_files_never_give_a_traceback_or_a_500(trained, config):
    with damaged_copy(trained) as run:
        (run / "config.yaml").write_bytes(config)
        every_face_copes(run)
