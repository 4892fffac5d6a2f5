"""Start gunicorn on a free loopback port for a benchmark: `fieldline serve`, or the
stack-ceiling app."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    instance: str,
    secret: str,
    workers: int,
    threads: int,
    log_path: str | None = None,
):
    """Yield the base URL of `fieldline serve` on the given database; stop it afterwards."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        INSTANCE_PATH=instance,
        SECRET_KEY=secret,
        AUTO_MIGRATE="never",
    )
    command = ["-m", "server.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with _served(command, env, port, "/api/openapi.json", log_path) as base:
        yield base


@contextlib.contextmanager
def ceiling(database_url: str, workers: int, threads: int, log_path: str | None = None):
    """Yield the base URL of bench/ceiling_app.py under gunicorn, configured as
    `fieldline serve` configures it (workers, threads, keep-alive)."""
    from bench.ceiling_app import PATH as CEILING_PATH
    from server.cli import KEEPALIVE_SECONDS

    port = free_port()
    env = dict(os.environ, CEILING_DATABASE_URL=database_url)
    command = ["-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--threads", str(threads), "--keep-alive", str(KEEPALIVE_SECONDS)]
    command += ["bench.ceiling_app:app"]
    with _served(command, env, port, CEILING_PATH, log_path) as base:
        yield base


@contextlib.contextmanager
def _served(arguments: list[str], env: dict, port: int, probe: str, log_path: str | None):
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    server = subprocess.Popen(
        [sys.executable, *arguments],
        env=env,
        cwd=ROOT,
        stdout=log,  # the access log, and what the app logs (an error's traceback)
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # at most ~30 s to come up
            try:
                requests.get(base + probe, timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still starting
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        if log_path:
            log.close()
