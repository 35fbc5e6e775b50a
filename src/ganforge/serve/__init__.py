"""``ganforge serve RUN``: a local web explorer of one run, for trained models and runs in progress.

The server is FastAPI on uvicorn (the optional ``serve`` extra); the page is plain HTML, CSS and
JavaScript from ``static/``, with no request to anything but this server, so it works offline.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from pathlib import Path

from ganforge.errors import GanforgeError

log = logging.getLogger("ganforge")

INSTALL_HINT = "install the web explorer's packages with: pip install 'ganforge[serve]' (fastapi and uvicorn)"


def check_installed() -> None:
    """Fail with the install command when FastAPI or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        missing = f"ganforge serve needs the package {error.name}, which is not installed"
        raise GanforgeError(missing, INSTALL_HINT) from None


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str] | None:
    """The Host headers the explorer answers when bound to ``host``: bound to any loopback address (127.0.0.1,
    127.0.0.2, ::1, localhost), only this machine's own names, so a page elsewhere cannot reach it by DNS
    rebinding (a name of its own pointed at the loopback address); bound wider, any name (None)."""
    if not is_loopback(host):
        return None
    literal = f"[{host}]" if ":" in host else host  # an IPv6 address appears in brackets in a Host header
    return sorted({"127.0.0.1", "localhost", "[::1]", literal.lower()})


def serve(run: str | Path, host: str = "127.0.0.1", port: int = 8000, device: str = "cpu") -> None:
    """Serve the explorer of ``run`` at http://host:port until interrupted."""
    check_installed()
    if not 1 <= port <= 65535:
        raise GanforgeError(f"--port {port} is not a TCP port", "give --port from 1 to 65535, e.g. 8000")
    import uvicorn

    from ganforge.config import Config
    from ganforge.resolve import resolve
    from ganforge.serve.app import create_app

    resolve(Config.from_dict({"train": {"device": device}}))  # a mistyped --device fails now, not at a request

    app = create_app(run, device=device, allowed_hosts=allowed_hosts(host))
    check_port(host, port)
    if not is_loopback(host):
        log.warning("serving on %s: anyone who can reach this machine on port %d can see the run", host, port)
    shown = f"[{host}]" if ":" in host else host
    log.info("exploring %s at http://%s:%d/ (Ctrl-C stops)", Path(run), shown, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def check_port(host: str, port: int) -> None:
    """Fail with one line when ``host:port`` cannot be listened on (taken, or not an address of this machine).

    uvicorn would log its own error and exit; checking first keeps ganforge's one-line errors and exit code 2.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        unknown = f"--host {host} is not a known address ({error.strerror})"
        raise GanforgeError(unknown, "give an address of this machine, e.g. --host 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as error:
            raise GanforgeError(f"cannot listen on {host}:{port} ({error.strerror})", "choose another --port") from None
