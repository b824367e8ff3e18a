"""Serve a projector page on localhost (``firstlayer projector --serve``).

The page is one file that needs nothing else, so the server answers ``/`` (and the file's own
name) with it and everything else with 404. It listens on 127.0.0.1 only: the vectors are not
offered to the network.

>>> server = bind("page.html", 0)  # doctest: +SKIP
>>> server.url  # doctest: +SKIP
'http://127.0.0.1:40123/'
"""

from __future__ import annotations

import errno
import os
import socket
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class PortInUseError(OSError):
    """The port is taken; the message suggests a free one."""


class _PageHandler(BaseHTTPRequestHandler):
    def __init__(self, *args: Any, page: str, **kwargs: Any) -> None:
        self.page = page
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        path = self.path.split("?", 1)[0]
        if path not in ("/", "/index.html", "/" + os.path.basename(self.page)):
            self.send_error(404, "only the projector page is served here: open /")
            return
        with open(self.page, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request would bury the address printed at the start


class PageServer(ThreadingHTTPServer):
    """An HTTP server of one page; ``url`` is its address."""

    daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


def free_port(start: int) -> int:
    """A port that can be bound now, trying ``start``, ``start + 1``... (then any free one)."""
    for port in range(max(start, 1024), min(max(start, 1024) + 20, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def bind(page: str | os.PathLike, port: int = DEFAULT_PORT) -> PageServer:
    """A server of ``page`` bound to ``port`` on 127.0.0.1 (0: any free port), not yet serving:
    call ``serve_forever()``. Bound first so that a taken port is said before any work.

    Raises:
        PortInUseError: the port is taken (the message suggests a free one).
        PermissionError: a port below 1024 without the privileges for it.
        ValueError: the port is outside 0-65535.
    """
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be between 0 and 65535 (0: any free port), got {port}")
    handler = partial(_PageHandler, page=os.path.abspath(page))
    try:
        return PageServer((HOST, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} is in use (another server is listening there); "
                f"choose another, e.g. --port {free_port(port + 1)}",
            ) from None
        if exc.errno == errno.EACCES:
            raise PermissionError(
                f"port {port} needs privileges to listen on; choose one above 1023, e.g. "
                f"--port {free_port(DEFAULT_PORT)}",
            ) from None
        raise
