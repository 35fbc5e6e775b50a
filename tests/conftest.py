"""Shared test set-up: the suite never touches the network, and plots render off-screen."""

import os

os.environ["GANFORGE_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
if os.environ.get("PYTEST_XDIST_WORKER"):  # `make test` runs two workers on two cores: one thread each
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)

import pytest  # noqa: E402 - after the environment above, which must be set before anything imports ganforge


@pytest.fixture
def run_cli(capsys):
    """Run the ``ganforge`` command line in this process: ``run_cli(*args)`` -> (exit code, stdout, stderr)."""
    from ganforge.cli import main

    def run(*args):
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def one_line_error():
    """``one_line_error(code, stderr, *words)``: exit code 2 and one 'error: ' line (beside 'ganforge: ' notes)
    holding every word."""

    def check(code, err, *words):
        lines = [line for line in err.splitlines() if not line.startswith("ganforge: ")]
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
        for word in words:
            assert word in lines[0], (word, lines[0])

    return check


@pytest.fixture(scope="session")
def short_run():
    """``short_run(out, **overrides)``: train a small run (the built-in defaults, batch 64, no health probes, on the
    CPU) into ``out`` with one thread, as the suite shares its CPU; returns the run folder."""
    import torch

    import ganforge
    from ganforge.config import Config, apply_overrides

    def train(out, **overrides):
        values = {"train.batch_size": 64, "train.log_every": 20, "train.health_every": 0, "train.device": "cpu",
                  "out": str(out), **overrides}  # fmt: skip
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return ganforge.train(apply_overrides(Config(), values))
        finally:
            torch.set_num_threads(threads)

    return train
