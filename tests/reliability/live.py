"""Real processes on 127.0.0.1 for fault tests: a gunicorn server (`fieldline serve`) and
`fieldline worker`, each in its own process group so a test can SIGKILL it whole and
start it again on the same database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import app_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A `python -m server.cli ...` child in its own session (process group)."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.args, self.env, self.log_path = args, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's workers die with it
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown handler, no rollback, no goodbye."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, sig) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def environment(app, database_url: str, **extra) -> dict:
    config = app_config(app.instance_path, database_url)
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        INSTANCE_PATH=config["INSTANCE_PATH"],
        SECRET_KEY=config["SECRET_KEY"],
        PASSWORD_HASH_PROFILE="fast",
        AUTO_MIGRATE="never",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


class LiveServer(Process):
    """gunicorn with one worker; `base` is its URL once `start` returns."""

    def __init__(self, env: dict, log: Path, threads: int = 4):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--port", str(self.port), "--workers", "1", "--threads", str(threads)]
        super().__init__(args, env, log)

    def start(self) -> "LiveServer":
        super().start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/api/openapi.json", timeout=1)
                return self
            except (requests.ConnectionError, requests.Timeout):
                # Not up yet, or still writing the OpenAPI document (first read, ~1 s
                # on a busy machine): ask again.
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not start:\n{self.log()}")
