"""Start `fieldline serve` (gunicorn) on a free loopback port for a benchmark."""

import contextlib
import os
import socket
import subprocess
import sys
import time

import requests


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
    """Yield the base URL of a server on the given database; stop it afterwards."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        INSTANCE_PATH=instance,
        SECRET_KEY=secret,
        AUTO_MIGRATE="never",
    )
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # at most ~30 s to come up
            try:
                requests.get(base + "/api/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        if log_path:
            log.close()
