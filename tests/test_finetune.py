"""Fine-tuning (``train --init-from RUN``) and FreezeD (``train.freeze_d``)."""

import pytest
import torch

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.finetune import d_layers, freeze_d
from ganforge.resolve import resolve
from ganforge.run import RunDir

TINY = {
    "data.name": "mnist",
    "data.limit": 64,
    "model.z_dim": 8,
    "model.name": "dcgan",
    "model.width": 4,
    "train.batch_size": 8,
    "train.health_every": 0,
    "train.steps": 2,
    "train.sample_every": 2,
    "train.ema": 0.9,
}






@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("finetune") / "source"
    return ganforge.train(apply_overrides(Config(), {**TINY, "out": str(out)}))


def _weights(run):
    _, tensors, meta = RunDir.open(run).load_latest()
    return tensors, meta


def test_a_fine_tuned_run_starts_from_the_source_weights_with_fresh_optimisers(source_run, tmp_path):
    from ganforge.finetune import start_from
    from ganforge.train import build_session

    cfg = resolve(apply_overrides(Config(), {**TINY, "train.init_from": str(source_run), "train.seed": 5}))
    session = build_session(cfg)
    start_from(session.gan, cfg)
    source, _ = _weights(source_run)
    for name, module in (("G", session.gan.G), ("D", session.gan.D), ("G_ema", session.gan.G_ema)):
        state = module.state_dict()
        assert all(torch.equal(state[key], source[f"{name}.{key}"]) for key in state), name
    assert not session.opt_G.state and not session.opt_D.state  # fresh optimisers: no Adam moments
    assert session.step == 0


def test_fine_tuning_writes_a_new_run_and_leaves_the_source_as_it_was(source_run, tmp_path, run_cli):
    before = {path.name: path.read_bytes() for path in (source_run / "checkpoints").iterdir()}
    out = tmp_path / "tuned"
    code, _, err = run_cli("train", "--init-from", source_run, "--out", out, "--quiet", "--steps", "3",
                           "--set", "train.freeze_d=1", *_flags())  # fmt: skip
    assert code == 0, err
    assert RunDir.open(out).read_config().train.init_from == str(source_run)
    tuned, meta = _weights(out)
    source, _ = _weights(source_run)
    assert meta["step"] == 3  # its own step count, from 0
    assert {path.name: path.read_bytes() for path in (source_run / "checkpoints").iterdir()} == before
    first = [key for key in source if key.startswith("D.net.0.")]  # FreezeD: D's first layer never moved
    assert first and all(torch.equal(tuned[key], source[key]) for key in first)
    assert not torch.equal(tuned["D.net.2.weight"], source["D.net.2.weight"])  # the layers above learn
    assert not torch.equal(tuned["G.net.0.weight"], source["G.net.0.weight"])


def _flags():
    flags = []
    for key, value in TINY.items():
        if key not in ("train.steps",):
            flags += ["--set", f"{key}={value}"]
    return flags


def test_fine_tuning_refuses_what_it_cannot_start_from(source_run, tmp_path, run_cli, one_line_error):
    out = ["--out", tmp_path / "new", "--quiet", *_flags()]
    code, _, err = run_cli("train", "--init-from", tmp_path, *out)
    one_line_error(code, err, f"--init-from {tmp_path} is not a ganforge run")
    code, _, err = run_cli("train", "--init-from", source_run, *out, "--set", "model.z_dim=9")
    one_line_error(code, err, "does not fit", "G.", "(8,", "image size")
    code, _, err = run_cli("train", "--init-from", source_run, *out, "--set", "model.width=8")
    one_line_error(code, err, "does not fit")
    code, _, err = run_cli("train", *out, "--set", "train.freeze_d=1")
    one_line_error(code, err, "train.freeze_d=1", "--init-from RUN")
    code, _, err = run_cli("train", "--init-from", source_run, *out, "--set", "train.freeze_d=3")
    one_line_error(code, err, "train.freeze_d=3", "all 3 layers of D", "1 to 2")
    code, _, err = run_cli("train", "--init-from", source_run, *out, "--set", "train.freeze_d=-1")
    one_line_error(code, err, "train.freeze_d=-1")
    assert not (tmp_path / "new").exists()


def test_freezing_keeps_d_s_first_layers_and_their_norms_out_of_every_update():
    D = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Conv2d(2, 1, 3))
    assert [len(layer) for layer in d_layers(D)] == [4, 2]  # conv weight and bias + the norm's two; conv
    frozen = freeze_d(D, 1)
    optimizer = torch.optim.Adam(D.parameters(), lr=0.1)
    before = [parameter.detach().clone() for parameter in D.parameters()]
    D(torch.randn(2, 1, 7, 7)).sum().backward()
    optimizer.step()
    moved = [not torch.equal(a, b) for a, b in zip(before, D.parameters(), strict=True)]
    assert moved == [False] * len(frozen) + [True, True]
    with pytest.raises(GanforgeError, match="all 2 layers"):
        freeze_d(D, 2)
