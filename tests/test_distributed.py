"""Training on several processes: real torchrun launches with the gloo backend on the CPU.

Two processes with half the batch each must take the steps one process takes on the whole batch
(``train.batch_size`` is the global batch), so their checkpoints hold the same weights up to float
rounding, and a checkpoint of either resumes on the other.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import ganforge
from ganforge import distributed, engine
from ganforge.cli import main
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.evaluate import evaluate_run
from ganforge.resolve import resolve
from ganforge.run import RunDir, load_checkpoint_file
from ganforge.train import build_session

SOURCE = Path(ganforge.__file__).resolve().parents[1]  # the subprocesses import this very ganforge
TOLERANCE = 1e-5  # float32 rounding: two half-batch means averaged are not bit-equal to one whole-batch mean

# A tiny MLP GAN on the 2-D ring: a step takes about a millisecond, so a launch costs mostly start-up.
RING = {
    "data.name": "ring",
    "model.name": "mlp",  # named, so the command line trains what Config() does (not the ring's own preset)
    "model.z_dim": 2,
    "model.g_hidden": [32],
    "model.d_hidden": [32],
    "train.batch_size": 32,
    "train.device": "cpu",
    "train.log_every": 5,
    "train.sample_every": 10,
    "train.checkpoint_every": 10,
    "train.health_every": 0,
}
# WGAN-GP with two critic steps and R1 on top: the gradient penalty's double backward, d_steps > 1 and R1
# all go through DDP. SGD keeps rounding differences at rounding size; Adam divides each gradient by its own
# magnitude, so a coordinate whose gradient is almost zero may move by up to lr on a rounding difference.
WGAN_GP = {
    **RING,
    "train.loss": "wgan-gp",
    "train.d_steps": 2,
    "train.r1_gamma": 1.0,
    "optim.name": "sgd",
    "optim.lr_g": 0.01,
    "optim.lr_d": 0.01,
}


def config(out: Path, settings: dict, steps: int) -> Config:
    return apply_overrides(Config(), {**settings, "train.steps": steps, "out": str(out)})


def arguments(settings: dict) -> list[str]:
    """The command-line form of ``settings``: --set key=value for each."""
    pairs = [
        f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}" for key, value in settings.items()
    ]
    return [token for pair in pairs for token in ("--set", pair)]


def environment() -> dict[str, str]:
    """The environment of a launched process: this ganforge first on the path, one thread, offline."""
    return {**os.environ, "PYTHONPATH": f"{SOURCE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "OMP_NUM_THREADS": "1", "GANFORGE_OFFLINE": "1", "MPLBACKEND": "Agg"}  # fmt: skip


def launch(*args: str, torchrun: int | None = None) -> subprocess.CompletedProcess:
    """``python ARGS`` in a fresh process, under torchrun with that many processes if given."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={torchrun}"] if torchrun else []
    result = subprocess.run(
        [sys.executable, *launcher, *args], env=environment(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def run_ganforge(*args: str, torchrun: int | None = None) -> subprocess.CompletedProcess:
    """``python -m ganforge ARGS`` in a fresh process (under torchrun with that many processes, if given)."""
    return launch("-m", "ganforge", *args, torchrun=torchrun)


def latest(run: Path) -> dict[str, torch.Tensor]:
    return load_file(run / "checkpoints" / "latest.safetensors")


def latest_meta(run: Path) -> dict:
    return load_checkpoint_file(run / "checkpoints" / "latest.safetensors")[1]


def assert_same_training_state(a: Path, b: Path) -> None:
    """Same weights and optimiser state within float tolerance, and bit-equal random streams."""
    one, two = latest(a), latest(b)
    assert one.keys() == two.keys()
    for name in one:
        if name.startswith("rng."):
            assert torch.equal(one[name], two[name]), f"{name}: the random streams went apart"
        else:
            torch.testing.assert_close(two[name], one[name], rtol=0, atol=TOLERANCE, msg=name)


def assert_learned(run: Path, settings: dict) -> None:
    """The weights moved well away from their seeded initialisation: the compared runs trained."""
    gan = build_session(resolve(config(run, settings, steps=1))).gan
    initial = {f"{name}.{key}": value for name, net in (("G", gan.G), ("D", gan.D))
               for key, value in net.state_dict().items()}  # fmt: skip
    trained = latest(run)
    assert max((trained[name] - value).abs().max().item() for name, value in initial.items()) > 1000 * TOLERANCE


# -- end to end: real processes ------------------------------------------------------------------------


@pytest.mark.slow
def test_two_processes_with_half_batches_match_one_process_and_resume_on_one(tmp_path):
    """`ganforge train --devices 2` (the tutorial MLP GAN, Adam): same weights as one process with the whole
    batch; rank 0 alone wrote the run; the two-process checkpoint resumes on one process as if never split."""
    two = tmp_path / "two"
    result = run_ganforge("train", *arguments(RING), "--steps", "10", "--out", str(two), "--quiet", "--devices", "2")
    assert result.stdout.count("done:") == 1  # said once, by rank 0

    one = ganforge.train(config(tmp_path / "one", RING, steps=10))
    assert_same_training_state(one, two)
    assert_learned(one, RING)
    steps = [record["step"] for record in RunDir(two).read_metrics()]
    assert steps == [5, 10]  # one line per logging step: a second writer would have doubled them
    names = {path.relative_to(two).as_posix() for path in two.rglob("*")}
    assert names == {path.relative_to(one).as_posix() for path in one.rglob("*")}
    one_record, two_record = RunDir(one).read_metrics()[-1], RunDir(two).read_metrics()[-1]
    assert two_record["loss/D"] == pytest.approx(one_record["loss/D"], abs=TOLERANCE)  # averaged over ranks

    ganforge.resume(two, steps=20)  # 2 processes -> 1
    straight = ganforge.train(config(tmp_path / "straight", RING, steps=20))
    assert_same_training_state(straight, two)


DRIVER = """
import json, sys
from ganforge.api import train
from ganforge.config import Config, apply_overrides
from ganforge.evaluate import evaluate_run

settings, out = json.loads(sys.argv[1]), sys.argv[2]
evaluate_run(train(apply_overrides(Config(), {**settings, "out": out})), "modes,precision-recall", 1000, device="cpu")
"""


@pytest.mark.slow
def test_wgan_gp_with_r1_and_two_critic_steps_matches_one_process(tmp_path):
    """The gradient penalty (autograd.grad with create_graph through D), R1 and d_steps = 2 under DDP; the
    sharded evaluations (during training and ``evaluate_run``) and rank 0's health probe give the values
    one process measures."""
    measured = {**WGAN_GP, "train.eval_every": 10, "train.eval_metrics": "modes", "train.health_every": 10}
    two = tmp_path / "two"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    launch(str(driver), json.dumps({**measured, "train.steps": 10}), str(two), torchrun=2)

    one = ganforge.train(config(tmp_path / "one", measured, steps=10))
    assert_same_training_state(one, two)
    assert_learned(one, WGAN_GP)
    one_record, two_record = RunDir(one).read_metrics()[-1], RunDir(two).read_metrics()[-1]
    measured_keys = [key for key in one_record if key.startswith(("eval/", "health/"))]
    assert "eval/modes_captured" in measured_keys and "health/modes" in measured_keys
    for key in measured_keys:
        assert two_record[key] == pytest.approx(one_record[key], abs=1e-4), key
    evaluated = evaluate_run(one, "modes,precision-recall", 1000, device="cpu")["metrics"]
    assert json.loads((two / "eval.json").read_text())["metrics"] == pytest.approx(evaluated, abs=1e-3)


# AC-GAN's classifier and InfoGAN's Q are heads on D's body, reached past the DDP wrapper; G_ema follows G.
MNIST_HEADS = {**RING, "data.name": "mnist", "model.z_dim": 16, "train.ema": 0.9,
               "optim.name": "sgd", "optim.lr_g": 0.01, "optim.lr_d": 0.01}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra", [{"model.condition": "acgan"}, {"model.info_categorical": 10, "model.info_continuous": 2}]
)
def test_auxiliary_heads_and_g_ema_match_one_process(tmp_path, extra):
    settings = {**MNIST_HEADS, **extra}
    two = tmp_path / "two"
    run_ganforge("train", *arguments(settings), "--steps", "5", "--out", str(two), "--quiet", torchrun=2)
    one = ganforge.train(config(tmp_path / "one", settings, steps=5))
    assert_same_training_state(one, two)
    assert any(name.startswith("G_ema.") for name in latest(two))


@pytest.mark.slow
def test_rank_0s_health_probe_leaves_every_rank_augmenting_alike(tmp_path):
    """Rank 0 alone measures health; DiffAugment's transforms for that come from the probe's own stream, so
    rank 0's training stream stays in step with the others' and the run is bitwise the one without probes."""
    settings = {**MNIST_HEADS, "train.augment": "translation,cutout,color", "train.log_every": 2}
    runs = {}
    for health_every in (2, 0):
        runs[health_every] = tmp_path / f"health{health_every}"
        run_ganforge("train", *arguments({**settings, "train.health_every": health_every}), "--steps", "6",
                     "--out", str(runs[health_every]), "--quiet", torchrun=2)  # fmt: skip
    assert any("health/d_overfit" in record for record in RunDir(runs[2]).read_metrics())
    probed, plain = latest(runs[2]), latest(runs[0])
    assert probed.keys() == plain.keys() and "rng.augment" in probed
    for name in probed:
        assert torch.equal(probed[name], plain[name]), name


@pytest.mark.slow
def test_a_one_process_checkpoint_resumes_on_two_processes(tmp_path):
    run = ganforge.train(config(tmp_path / "run", WGAN_GP, steps=5))
    run_ganforge("resume", str(run), "--steps", "10", "--quiet", torchrun=2)  # 1 process -> 2
    straight = ganforge.train(config(tmp_path / "straight", WGAN_GP, steps=10))
    assert_same_training_state(straight, run)
    assert [record["step"] for record in RunDir(run).read_metrics()] == [5, 10]


@pytest.mark.slow
def test_sigterm_to_torchrun_stops_every_process_after_the_same_step_and_saves(tmp_path):
    """torchrun forwards SIGTERM to its workers; they agree on the step to stop after, rank 0 saves,
    and the checkpoint continues (on one process) as if the run had never stopped."""
    run = tmp_path / "run"
    settings = {**RING, "train.log_every": 20, "train.checkpoint_every": 100_000, "train.sample_every": 100_000}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "ganforge",
               "train", *arguments(settings), "--steps", "100000", "--out", str(run), "--quiet"]  # fmt: skip
    agent = subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (run / "metrics.jsonl").is_file():  # training has begun
            assert agent.poll() is None and time.monotonic() < deadline, "the run did not start"
            time.sleep(0.5)
        agent.send_signal(signal.SIGTERM)
        _, stderr = agent.communicate(timeout=120)
    finally:
        agent.kill()
    assert "SIGTERM received: stopped at step" in stderr
    step = int(latest_meta(run)["step"])
    assert 0 < step < 100_000
    ganforge.resume(run, steps=step + 10)
    straight = ganforge.train(config(tmp_path / "straight", settings, steps=step + 10))
    assert_same_training_state(straight, run)


# -- checks made before any process starts ---------------------------------------------------------------


def test_a_batch_that_does_not_split_over_the_processes_is_refused_with_a_fix():
    cfg = resolve(apply_overrides(Config(), {**RING, "train.batch_size": 30}))
    with pytest.raises(GanforgeError, match="--batch-size 30 does not split evenly over 4 processes") as error:
        distributed.check_world(cfg, world=4)
    assert "28 or 32" in error.value.hint
    distributed.check_world(cfg, world=3)  # 30 = 3 x 10


def test_devices_checks_its_count_before_starting_anything(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--dataset", "ring", "--batch-size", "33", "--devices", "2", "--device", "cpu"])
    assert exit_info.value.code == 2
    assert "does not split evenly over 2 processes" in capsys.readouterr().err
    with pytest.raises(GanforgeError, match="--devices 0 must be 1 or more"):
        distributed.check_devices(0, "cpu")


def test_devices_is_not_passed_on_to_torchrun():
    command = distributed.torchrun_command(["train", "--devices", "4", "--steps", "5", "--devices=4"], 4)
    assert command[1:6] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node=4", "-m"]
    assert command[6:] == ["ganforge", "train", "--steps", "5"]


def test_sync_batchnorm_is_for_models_with_batch_norm_and_for_gpus():
    with pytest.raises(GanforgeError, match="model 'mlp' does not use"):
        resolve(apply_overrides(Config(), {**RING, "train.sync_batchnorm": True}))
    dcgan = resolve(apply_overrides(Config(), {"model.name": "dcgan", "train.device": "cpu",
                                               "train.sync_batchnorm": True}))  # fmt: skip
    with pytest.raises(GanforgeError, match="SyncBatchNorm does not run on the CPU"):
        distributed.check_world(dcgan, world=2)
    distributed.check_world(dcgan, world=1)  # one process: nothing to synchronise, and no error


def test_one_process_keeps_every_row_and_gathers_its_own():
    rows = torch.arange(12).view(6, 2)
    assert engine.local_rows(rows) is rows
    assert engine.rows_of_rank(6) == slice(0, 6)
    assert torch.equal(engine.gather_rows(rows), rows)
    assert engine.on_main(lambda: 7) == 7


def test_one_ctrl_c_that_torchrun_forwards_counts_once(monkeypatch):
    from ganforge.train import _echo

    monkeypatch.setenv("WORLD_SIZE", "2")
    assert _echo("SIGINT", "SIGINT", seconds_since=0.1)  # the terminal's and the agent's copy of one Ctrl-C
    assert not _echo("SIGINT", "SIGINT", seconds_since=5.0)  # a deliberate second Ctrl-C stops at once
    assert not _echo("SIGTERM", "SIGINT", seconds_since=0.1)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not _echo("SIGINT", "SIGINT", seconds_since=0.1)  # one process: every second signal counts
