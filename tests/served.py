"""Serve the app with gunicorn on 127.0.0.1, for tests and benchmarks that need real requests.

This file is also gunicorn's configuration file (``-c tests/served.py``): gunicorn reads only the
lowercase names it knows from it, here ``post_worker_init``, which logs a line once a worker has
loaded the app, so that `serve` returns only when every worker can answer.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
READY_MARK = "exchange worker ready"
# Variables that configure the app: the served app gets only those its caller passes.
_APP_ENV_PREFIXES = ("FLASK_", "SECRET_KEY", "DATABASE_URL", "EXCHANGE_")


def post_worker_init(worker: object) -> None:
    """Gunicorn hook, in each worker once the app is loaded (it then starts accepting)."""
    worker.log.info("%s pid=%s", READY_MARK, worker.pid)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens and where it logs."""

    port: int
    log_path: Path

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve(
    env: Mapping[str, str],
    log_path: Path,
    *,
    workers: int = 4,
    app: str = "exchange:create_app()",
    startup_timeout: float = 60,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Server]:
    """Run gunicorn with *workers* sync workers on a free loopback port until the block ends.

    *env* is added to this process's environment minus the app's own variables. Gunicorn's
    output goes to *log_path*. The socket is bound here and handed over (``fd://``), so no
    other process can take the port in between, and connections made before the workers
    are up wait in its backlog.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_APP_ENV_PREFIXES)}
    environment.update(env)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, 0))
        port = listener.getsockname()[1]
        fd = listener.fileno()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(Path(__file__).resolve()),
            "--bind",
            f"fd://{fd}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--chdir",
            str(PROJECT_ROOT),
            "--graceful-timeout",
            "5",
            "--no-control-socket",  # the default socket in ~/.gunicorn is shared by every run
            *extra_args,
            app,
        ]
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
            )
    finally:
        listener.close()  # gunicorn holds its own copy
    try:
        server = Server(port, log_path)
        _wait_until_ready(process, server, workers, startup_timeout)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Ask gunicorn to stop (SIGTERM: workers finish their request), then make sure."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def _wait_until_ready(
    process: subprocess.Popen[bytes], server: Server, workers: int, timeout: float
) -> None:
    """Until every worker has loaded the app and GET / answers 200."""
    deadline = time.monotonic() + timeout
    while server.log().count(READY_MARK) < workers:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn workers not ready after {timeout} s:\n{server.log()}")
        time.sleep(0.05)
    connection = server.connection(timeout=max(deadline - time.monotonic(), 1))
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET / answered {response.status}: {body[:500]!r}\n{server.log()}")
