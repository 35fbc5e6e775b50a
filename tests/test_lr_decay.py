"""optim.lr_decay: both learning rates fall linearly to 0 over the last fraction of training (steps or time)."""

import pytest

from ganforge.config import Config, apply_overrides
from ganforge.errors import GanforgeError
from ganforge.resolve import resolve
from ganforge.sweep import why_not_batched
from ganforge.train import build_session, lr_factor, train_step

RING = {"data.name": "ring", "model.z_dim": 2, "model.g_hidden": [16], "model.d_hidden": [16],
        "train.batch_size": 16, "train.steps": 20, "optim.lr_g": 1e-3, "optim.lr_d": 2e-3}  # fmt: skip


def rates(s):
    return s.opt_G.param_groups[0]["lr"], s.opt_D.param_groups[0]["lr"]


def test_the_factor_is_one_then_falls_in_a_straight_line_to_zero():
    assert [lr_factor(0.5, p) for p in (0.0, 0.5, 0.75, 1.0)] == [1.0, 1.0, 0.5, 0.0]
    assert lr_factor(1.0, 0.25) == 0.75 and lr_factor(0.0, 0.9) == 1.0  # 0: constant rates


def test_a_run_keeps_its_rates_then_decays_them_by_the_steps_or_the_time_spent():
    s = build_session(resolve(apply_overrides(Config(), {**RING, "optim.lr_decay": 0.5})))
    for _ in range(10):
        train_step(s)
    assert rates(s) == (1e-3, 2e-3)  # the first half: as configured
    for _ in range(5):
        train_step(s)  # the 15th step ran at progress 14 / 20: factor (1 - 0.7) / 0.5
    assert rates(s) == pytest.approx((0.6e-3, 1.2e-3))
    s.time_progress = 0.9  # a --time budget further along than the steps: it decides
    train_step(s)
    assert rates(s) == pytest.approx((0.2e-3, 0.4e-3))
    s.rollbacks = 1  # a divergence rollback halves the rates on top of the decay
    train_step(s)
    assert rates(s) == pytest.approx((0.1e-3, 0.2e-3))


def test_without_decay_the_rates_never_move():
    s = build_session(resolve(apply_overrides(Config(), RING)))
    for _ in range(20):
        train_step(s)
    assert rates(s) == (1e-3, 2e-3)


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_a_decay_outside_0_1_is_one_line(value):
    with pytest.raises(GanforgeError, match=rf"optim.lr_decay={value} must be a fraction of training in \[0, 1\]"):
        resolve(apply_overrides(Config(), {**RING, "optim.lr_decay": value}))


def test_a_sweep_member_with_a_decay_trains_alone():
    cfg = resolve(apply_overrides(Config(), {**RING, "optim.lr_decay": 0.5}))
    assert "optim.lr_decay" in why_not_batched(cfg)


def test_under_a_time_budget_the_rates_have_fallen_when_the_time_runs_out(tmp_path, run_cli):
    from ganforge.run import load_checkpoint_file

    run = tmp_path / "run"
    args = ["--dataset", "ring", "--z-dim", "2", "--set", "model.g_hidden=16", "--set", "model.d_hidden=16",
            "--batch-size", "16", "--lr-g", "1e-3", "--steps", "1000000", "--time", "1s", "--quiet"]  # fmt: skip
    code, _, _ = run_cli("train", *args, "--set", "optim.lr_decay=0.5", "--out", str(run))
    assert code == 0
    _, meta = load_checkpoint_file(run / "checkpoints/latest.safetensors")
    lr = meta["opt_G"]["param_groups"][0]["lr"]
    assert meta["step"] < 1000000 and 0 < lr < 0.3e-3  # the time decided (by the steps alone: 1e-3)
