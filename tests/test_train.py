import json

import pytest
import torch
from safetensors.torch import load_file

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.resolve import resolve
from ganforge.run import RunDir
from ganforge.train import build_session, fit, train_step


def ring_config(out, **overrides) -> Config:
    values = {
        "data.name": "ring",
        "model.z_dim": 2,
        "model.g_hidden": [32],
        "model.d_hidden": [32],
        "train.steps": 40,
        "train.batch_size": 32,
        "train.log_every": 10,
        "train.sample_every": 20,
        "train.checkpoint_every": 20,
        "out": None if out is None else str(out),
    }
    return apply_overrides(Config(), {**values, **overrides})


def test_d_steps_gives_k_discriminator_updates_per_generator_update(tmp_path):
    cfg = resolve(ring_config(tmp_path / "run", **{"train.d_steps": 3, "train.steps": 5}))
    session = build_session(cfg)
    fit(session, RunDir.create(cfg.out, cfg), progress=False)
    d_updates = {int(state["step"]) for state in session.opt_D.state.values()}
    g_updates = {int(state["step"]) for state in session.opt_G.state.values()}
    assert (d_updates, g_updates) == ({15}, {5})


def test_resume_continues_the_same_random_stream_bit_for_bit(tmp_path):
    straight = ganforge.train(ring_config(tmp_path / "straight"))
    halfway = ganforge.train(ring_config(tmp_path / "halfway", **{"train.steps": 20}))
    resumed = ganforge.resume(halfway, steps=40)

    assert load_file(resumed / "checkpoints/latest.safetensors").keys()
    a = load_file(straight / "checkpoints/latest.safetensors")
    b = load_file(resumed / "checkpoints/latest.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    steps = [record["step"] for record in RunDir(resumed).read_metrics()]
    assert steps == [10, 20, 30, 40]
    assert RunDir(resumed).read_config().train.steps == 40


def test_resume_drops_metrics_written_after_the_checkpoint(tmp_path):
    run = ganforge.train(ring_config(tmp_path / "run", **{"train.steps": 20}))
    with open(RunDir(run).metrics_path, "a") as handle:  # as if a crash came after logging step 30
        handle.write(json.dumps({"step": 30, "loss/D": 1.0}) + "\n" + '{"step": 3')
    ganforge.resume(run, steps=30)
    assert [record["step"] for record in RunDir(run).read_metrics()] == [10, 20, 30]


def test_resume_needs_more_steps_than_the_run_has(tmp_path):
    run = ganforge.train(ring_config(tmp_path / "run", **{"train.steps": 20}))
    with pytest.raises(GanforgeError, match="already at step 20"):
        ganforge.resume(run)


def test_training_never_overwrites_an_existing_run(tmp_path):
    run = ganforge.train(ring_config(tmp_path / "run", **{"train.steps": 10}))
    before = (run / "checkpoints/latest.safetensors").read_bytes()
    with pytest.raises(GanforgeError, match="already exists"):
        ganforge.train(ring_config(run, **{"train.steps": 10}))
    assert (run / "checkpoints/latest.safetensors").read_bytes() == before


def test_default_run_folders_are_numbered_not_reused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = ganforge.train(ring_config(None, **{"train.steps": 5}))
    second = ganforge.train(ring_config(None, **{"train.steps": 5}))
    assert (first.name, second.name) == ("ring-mlp-non-saturating", "ring-mlp-non-saturating-2")


@pytest.mark.slow
def test_short_mnist_run_learns_and_leaves_every_file(tmp_path):
    cfg = apply_overrides(
        Config(),
        {
            "train.steps": 1500,
            "train.log_every": 50,
            "train.sample_every": 500,
            "train.checkpoint_every": 750,
            "out": str(tmp_path / "mnist"),
        },
    )
    run = ganforge.train(cfg)
    for name in [
        "config.yaml",
        "metrics.jsonl",
        "losses.png",
        "progress.gif",
        "final.png",
        "samples/step_000500.png",
        "samples/step_001000.png",
        "samples/step_001500.png",
        "checkpoints/latest.safetensors",
        "checkpoints/step_000750.safetensors",
        "checkpoints/step_001500.safetensors",
    ]:
        assert (run / name).is_file(), name
    records = RunDir(run).read_metrics()
    assert [r["step"] for r in records] == list(range(50, 1501, 50))
    for key in ["loss/D", "loss/D/real", "loss/D/fake", "loss/G", "D(x)", "D(G(z))", "time", "it/s"]:
        assert key in records[-1], key
    assert abs(records[-1]["D(G(z))"] - records[0]["D(G(z))"]) > 0.05  # the game moved

    # Learning: G's samples moved from tanh(noise) around 0 towards the data's mean image.
    real = load_dataset(cfg.data).real(2000)
    untrained = build_session(resolve(cfg)).gan.G
    with torch.no_grad():
        before = untrained(torch.randn(2000, 100)).mean(0)
    after = ganforge.load(run).sample(2000).mean(0)
    target = real.mean(0)
    assert (after - target).abs().mean() < 0.4 * (before - target).abs().mean()


def _count_G_forwards(session) -> list[int]:
    calls = [0]
    session.gan.G.register_forward_hook(lambda module, inputs, output: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.mark.parametrize("reuse, forwards, latent_batches", [(False, 3, 3), (True, 2, 2)])
def test_each_update_generates_its_fakes_once_and_G_reuses_D_fakes_only_when_asked(reuse, forwards, latent_batches):
    cfg = resolve(apply_overrides(Config(), {"data.name": "ring", "train.steps": 1, "train.d_steps": 2,
                                             "train.batch_size": 16, "train.g_reuse_fakes": reuse}))  # fmt: skip
    session = build_session(cfg)
    calls = _count_G_forwards(session)
    train_step(session)
    assert calls[0] == forwards  # one G forward per D update, plus one for G's own z under Algorithm 1
    expected = torch.Generator().manual_seed(cfg.train.seed + 1)
    for _ in range(latent_batches):
        session.gan.sample_latent(16, expected)
    assert torch.equal(session.latent_rng.get_state(), expected.get_state())
