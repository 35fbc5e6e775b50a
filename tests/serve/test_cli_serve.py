"""The 'ganforge serve' command: its defaults, and one-line errors for what a user can mistype."""

import logging
import socket
import sys

import pytest

import ganforge.serve as serving
from ganforge.cli import main

uvicorn = pytest.importorskip("uvicorn")


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr().err


@pytest.fixture
def started(monkeypatch):
    """Record what uvicorn would serve instead of serving it."""
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    return calls


@pytest.fixture
def any_port(monkeypatch):
    """Take every port as free: these tests must not depend on what else listens on this machine."""
    monkeypatch.setattr(serving, "check_port", lambda host, port: None)


def test_serve_listens_on_this_machine_only_by_default(image_run, started, any_port):
    main(["serve", str(image_run)])
    ((app, options),) = started
    assert (options["host"], options["port"]) == ("127.0.0.1", 8000)
    assert app.title == "ganforge serve"
    assert [middleware.cls.__name__ for middleware in app.user_middleware] == ["TrustedHostMiddleware"]


def test_serving_beyond_this_machine_warns(image_run, started, any_port, caplog):
    with caplog.at_level(logging.WARNING, logger="ganforge"):
        main(["serve", str(image_run), "--host", "0.0.0.0", "--port", "8123"])
    assert started[0][1] == {"host": "0.0.0.0", "port": 8123, "log_level": "warning"}
    assert "anyone who can reach this machine" in caplog.text
    assert not started[0][0].user_middleware  # reached by any name it is given


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["serve", "no-such-run"], "does not exist"),
        (["serve", "RUN", "--port", "70000"], "--port 70000"),
        (["serve", "RUN", "--port", "0"], "--port 0"),
        (["serve", "RUN", "--device", "gpu7"], "gpu7"),
        (["serve", "RUN", "--host", "no-such-host.invalid"], "no-such-host.invalid"),
    ],
)
def test_mistakes_are_one_line_and_exit_code_2(image_run, started, capsys, args, words):
    code, err = run_cli([str(image_run) if arg == "RUN" else arg for arg in args], capsys)
    assert code == 2 and words in err and err.count("\n") == 1
    assert not started


def test_a_port_in_use_is_a_one_line_error(image_run, started, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, err = run_cli(["serve", str(image_run), "--port", str(taken.getsockname()[1])], capsys)
    assert code == 2 and "cannot listen on 127.0.0.1" in err and "choose another --port" in err
    assert not started


def test_missing_server_packages_name_the_install_command(image_run, started, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the serve extra were not installed
    code, err = run_cli(["serve", str(image_run)], capsys)
    assert code == 2 and "uvicorn" in err and "pip install 'ganforge[serve]'" in err
