"""A live Fieldline server (gunicorn via `fieldline serve`) on 127.0.0.1 for real clients."""

import subprocess
from pathlib import Path

import pytest

from tests.reliability.live import LiveServer, environment
from tests.sync.conftest import world  # noqa: F401  (the same small agency)

NODE_DIR = Path(__file__).parent / "watermelon"


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
        log = tmp_path / f"server-{len(started)}.log"
        server = LiveServer(environment(app, database_url), log, threads=threads).start()
        started.append(server)
        return server.base

    yield start
    for server in started:
        server.stop()
        # Shown by pytest only when the test failed: the server's side of the story.
        print(server.log()[-20000:])


@pytest.fixture
def live_server(serve):
    """Serve the test database over real HTTP; yields the base URL."""
    return serve()
