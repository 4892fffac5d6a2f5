"""A live Fieldline server (gunicorn via `fieldline serve`) on 127.0.0.1 for real clients."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import app_config
from tests.sync.conftest import world  # noqa: F401  (the same small agency)

NODE_DIR = Path(__file__).parent / "watermelon"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def node_client():
    """The Node packages of the WatermelonDB client, installed from the lockfile once."""
    if not (NODE_DIR / "node_modules" / "@nozbe" / "watermelondb").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=300,
        )
    return NODE_DIR


@pytest.fixture
def serve(app, database_url, tmp_path):
    """Start `fieldline serve` on the test database with `threads` per worker (1 = the
    sync worker, more = gthread); returns the base URL. Stopped after the test."""
    started = []

    def start(threads: int = 4) -> str:
        port = _free_port()
        config = app_config(app.instance_path, database_url)
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            INSTANCE_PATH=config["INSTANCE_PATH"],
            SECRET_KEY=config["SECRET_KEY"],
            PASSWORD_HASH_PROFILE="fast",
            AUTO_MIGRATE="never",
        )
        log_path = tmp_path / f"server-{port}.log"
        log = open(log_path, "w")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                "1",
                "--threads",
                str(threads),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((server, log, log_path))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/api/openapi.json", timeout=1)
                return base
            except requests.ConnectionError:
                time.sleep(0.2)
        server.kill()
        raise RuntimeError(log_path.read_text())

    yield start
    for server, log, log_path in started:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        # Shown by pytest only when the test failed: the server's side of the story.
        print(log_path.read_text()[-20000:])


@pytest.fixture
def live_server(serve):
    """Serve the test database over real HTTP; yields the base URL."""
    return serve()
