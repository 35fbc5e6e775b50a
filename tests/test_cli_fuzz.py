"""Invalid command lines and config files, generated at scale: each one gets exit code 2 and one line."""

import contextlib
import io
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganforge.cli import main
from ganforge.config import known_keys

NAMES = {
    "--model": {"mlp", "dcgan"},
    "--dataset": {"mnist", "fashion-mnist", "cifar10", "ring", "grid"},
    "--loss": {"non-saturating", "minimax"},
    "--prior": {"normal", "uniform"},
    "--optimizer": {"adam", "sgd"},
    "--on-divergence": {"stop", "rollback"},
}
COUNTS = ["--steps", "--batch-size", "--d-steps", "--z-dim", "--sample-every", "--checkpoint-every"]
RATES = ["--lr-g", "--lr-d"]
SAFE = ["--dataset", "ring", "--z-dim", "2", "--steps", "1", "--quiet"]  # were a mutation harmless: 1 quick step

words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)


def not_an_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


def not_a_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


bad_name = st.sampled_from(sorted(NAMES)).flatmap(
    lambda flag: words.filter(lambda w: w not in NAMES[flag] and not w.startswith("folder:")).map(lambda w: [flag, w])
)
bad_count = st.sampled_from(COUNTS).flatmap(
    lambda flag: st.one_of(st.integers(max_value=0).map(str), words.filter(not_an_int)).map(lambda v: [flag, v])
)
bad_rate = st.sampled_from(RATES).flatmap(
    lambda flag: st.one_of(st.floats(max_value=0, allow_nan=False).map(repr), words.filter(not_a_float)).map(
        lambda v: [flag, v]
    )
)
bad_betas = st.one_of(
    st.lists(st.floats(0, 0.99), min_size=0, max_size=4).filter(lambda b: len(b) != 2),
    st.tuples(st.floats(1, 1e6), st.floats(0, 0.99)),
).map(lambda betas: ["--betas", ",".join(repr(b) for b in betas) or ","])
bad_setting = st.one_of(
    words.filter(lambda w: "=" not in w).map(lambda w: ["--set", w]),
    words.filter(lambda w: w.strip() not in known_keys() and "=" not in w).map(lambda w: ["--set", f"{w}=1"]),
)
bad_flag = words.filter(lambda w: w.isidentifier()).map(lambda w: [f"--no-such-{w}", "1"])
bad_command_line = st.one_of(bad_name, bad_count, bad_rate, bad_betas, bad_setting, bad_flag)


def run(args: list[str]) -> tuple[int, str]:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
            code = 0
        except SystemExit as exit_:
            code = exit_.code
    return code, stderr.getvalue()


def assert_refused(args: list[str]) -> None:
    code, stderr = run(args)
    lines = [line for line in stderr.splitlines() if not line.startswith("ganforge: ")]
    assert code == 2, (args, code, stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, stderr)
    assert "Traceback" not in stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=bad_command_line)
def test_every_invalid_command_line_gets_one_line_and_exit_code_2(mutation):
    with tempfile.TemporaryDirectory() as folder:
        assert_refused(["train", *SAFE, "--out", str(Path(folder) / "run"), *mutation])
        assert not (Path(folder) / "run").exists()  # nothing written


sections = st.sampled_from(["data", "model", "optim", "train"])
unknown_key = st.dictionaries(
    words.filter(lambda w: w not in ("data", "model", "optim", "train", "out")), st.integers(), min_size=1, max_size=3
)
wrong_type = st.sampled_from(["train.steps", "train.batch_size", "model.z_dim", "train.d_steps"]).flatmap(
    lambda key: st.one_of(words.filter(not_an_int), st.lists(st.integers()), st.integers(max_value=0)).map(
        lambda value: {key.split(".")[0]: {key.split(".")[1]: value}}
    )
)
not_a_mapping = st.one_of(st.lists(st.integers(), min_size=1), st.integers(), words.filter(lambda w: ":" not in w))
bad_config = st.one_of(unknown_key, wrong_type, not_a_mapping)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=bad_config, junk=st.booleans())
def test_every_invalid_config_file_gets_one_line_and_exit_code_2(content, junk):
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yaml"
        text = yaml.safe_dump(content)
        config.write_text(text + ("\n  : [unclosed" if junk else ""))
        assert_refused(["train", "--config", str(config), "--out", str(Path(folder) / "run")])
        assert not (Path(folder) / "run").exists()
