"""benchmarks/quality_per_second.py: a contender whose rates decay with the budget trains each budget afresh."""

import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))  # the benchmarks are not an installed package

from benchmarks import quality_per_second as qps  # noqa: E402

SMALL = {"preset": "fast", "model.width": 8, "train.batch_size": 8, "train.r1_gamma": 0.0}


class StepClock:
    """A clock that moves 10 ms at each reading, so every step counts 10 ms however busy the machine is."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        self.now += 0.01
        return self.now


def _train(monkeypatch, overrides, budgets):
    sessions, measured = [], []
    build = qps.build_session
    monkeypatch.setattr(qps, "build_session", lambda cfg: sessions.append(build(cfg)) or sessions[-1])
    monkeypatch.setattr(qps, "time", StepClock())
    qps.train_ganforge(overrides, "mnist", 0, budgets, lambda generate, seconds, steps: measured.append(steps))
    return sessions, measured


def test_decaying_rates_train_a_session_per_budget_whose_rates_end_near_zero(monkeypatch):
    sessions, measured = _train(monkeypatch, {**SMALL, "optim.lr_decay": 0.5}, [0.6, 0.3])
    assert len(sessions) == 2 and len(measured) == 2
    assert [s.step for s in sessions] == measured and measured[0] < measured[1]  # the shorter budget first
    for s in sessions:  # each session's last step ran late in its own budget: its rates had nearly reached 0
        assert s.time_progress > 0.75
        assert s.opt_G.param_groups[0]["lr"] < 0.5 * s.cfg.optim.lr_g


def test_constant_rates_train_one_session_through_every_budget(monkeypatch):
    sessions, measured = _train(monkeypatch, SMALL, [0.3, 0.6])
    assert len(sessions) == 1 and measured[0] < measured[1] == sessions[0].step
    assert sessions[0].opt_G.param_groups[0]["lr"] == sessions[0].cfg.optim.lr_g
