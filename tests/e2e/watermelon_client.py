"""Drive a real WatermelonDB client (tests/e2e/watermelon/device.js) from Python.

Each ``WatermelonDevice`` is one handheld: a Node process holding an in-memory
WatermelonDB (LokiJS) database that syncs with WatermelonDB's own
``synchronize()`` against ``{base_url}/api/sync/pull`` and ``/api/sync/push``.

    with WatermelonDevice("http://127.0.0.1:5000", access_token) as dev:
        dev.sync()
        msg_id = dev.create("ticket_messages", ticket_id=tid, body="On site", visibility="public")
        dev.sync()
        state = dev.dump()          # {"tables": {...}, "pending": 0, ...}

Needs ``node`` (>= 20) on PATH and the Node deps installed once with
``npm ci --prefix tests/e2e/watermelon``.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

DEFAULT_NODE_DIR = Path(__file__).resolve().parent / "watermelon"
INSTALL_HINT = "npm ci --prefix tests/e2e/watermelon"

_EOF = object()


class WatermelonError(RuntimeError):
    """The device process failed (did not start, died, or timed out)."""


class WatermelonCommandError(WatermelonError):
    """A command answered ``{"ok": false, ...}``.

    ``reply`` is the whole reply; ``status``/``body`` are set when a pull or
    push got a non-2xx HTTP answer.
    """

    def __init__(self, message: str, reply: dict[str, Any]):
        super().__init__(message)
        self.reply = reply
        self.status = reply.get("status")
        self.body = reply.get("body")


class WatermelonDevice:
    """One WatermelonDB device driven over stdin/stdout JSON lines."""

    def __init__(
        self,
        base_url: str,
        token: str,
        node_dir: str | os.PathLike[str] | None = None,
        *,
        name: str = "device",
        timeout: float = 30.0,
        echo_stderr: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.timeout = timeout
        self.node_dir = Path(node_dir) if node_dir is not None else DEFAULT_NODE_DIR
        self._seq = itertools.count(1)
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=200)
        self._echo_stderr = echo_stderr
        self._replies: queue.Queue[Any] = queue.Queue()
        self.returncode: int | None = None

        node = shutil.which("node")
        if node is None:
            raise WatermelonError("`node` (>= 20) is not on PATH; the WatermelonDB device needs it")
        script = self.node_dir / "device.js"
        if not script.is_file():
            raise WatermelonError(f"{script} not found")
        if not (
            self.node_dir / "node_modules" / "@nozbe" / "watermelondb" / "package.json"
        ).is_file():
            raise WatermelonError(
                f"WatermelonDB is not installed in {self.node_dir / 'node_modules'}; "
                f"run `{INSTALL_HINT}` first"
            )

        env = dict(os.environ)
        env.pop("FIELDLINE_TOKEN", None)
        self._proc = subprocess.Popen(
            [node, str(script), "--base-url", self.base_url, "--token", token, "--name", name],
            cwd=str(self.node_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._stdout_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._stdout_thread.start()
        self._stderr_thread.start()
        self.command({"cmd": "ping"})  # fail fast if node cannot load the database

    # -- plumbing --------------------------------------------------------------------
    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                self._replies.put(line)
        self._replies.put(_EOF)

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._stderr_tail.append(line)
            if self._echo_stderr:
                print(line, file=sys.stderr)

    def stderr_tail(self, n: int = 40) -> str:
        return "\n".join(list(self._stderr_tail)[-n:])

    def _fail(self, message: str) -> WatermelonError:
        return WatermelonError(
            f"{message}\n--- device {self.name} stderr (tail) ---\n{self.stderr_tail()}"
        )

    def command(
        self, payload: dict[str, Any], *, check: bool = True, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send one command and return its reply (raise on ok:false when ``check``)."""
        if self._proc.poll() is not None:
            raise self._fail(f"device process has exited (code {self._proc.returncode})")
        seq = next(self._seq)
        msg = dict(payload, seq=seq)
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write((json.dumps(msg) + "\n").encode("utf-8"))
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise self._fail(f"cannot write to device process: {exc}") from exc

        limit = self.timeout if timeout is None else timeout
        try:
            line = self._replies.get(timeout=limit)
        except queue.Empty:
            self._kill()
            raise self._fail(
                f"device did not answer {payload.get('cmd')!r} within {limit} s (killed)"
            ) from None
        if line is _EOF:
            self._proc.wait(timeout=5)
            raise self._fail(
                f"device process exited (code {self._proc.returncode}) "
                f"during {payload.get('cmd')!r}"
            )
        try:
            reply = json.loads(line)
        except ValueError:
            self._kill()
            raise self._fail(f"device wrote a non-JSON line on stdout: {line!r}") from None
        if reply.get("seq") != seq:
            self._kill()
            raise self._fail(f"reply out of step: sent seq {seq}, got {reply!r}")
        if check and not reply.get("ok"):
            raise WatermelonCommandError(
                f"device {self.name}: {payload.get('cmd')} failed: {reply.get('error')}", reply
            )
        return reply

    # -- commands ----------------------------------------------------------------------
    def sync(
        self, drop_push_response: bool = False, *, check: bool = True, **options: Any
    ) -> dict[str, Any]:
        """Run WatermelonDB's synchronize() once.

        The reply carries ``pulled`` (timestamp etc.), ``pushed`` (the exact
        changes object sent, or None when there was nothing to push), ``log``
        and ``warnings`` (WatermelonDB's console warnings/errors during the sync,
        e.g. when the server sends as ``created`` a record the device already has).
        With ``drop_push_response=True`` the push reaches the server but the
        device acts as if the response was lost: the sync fails (raises unless
        ``check=False``) and the local changes stay pending.
        """
        payload: dict[str, Any] = {"cmd": "sync", **options}
        if drop_push_response:
            payload["drop_push_response"] = True
        return self.command(payload, check=check)

    def create(self, table: str, **fields: Any) -> str:
        """Create a record locally (pass ``id=...`` to force its id); returns the id."""
        return self.command({"cmd": "create", "table": table, "fields": fields})["id"]

    def update(self, table: str, id: str, **fields: Any) -> dict[str, Any]:  # noqa: A002
        """Update a local record's columns; returns the record's raw columns."""
        return self.command({"cmd": "update", "table": table, "id": id, "fields": fields})["record"]

    def delete(self, table: str, id: str) -> None:  # noqa: A002
        """markAsDeleted (syncs as a deletion on the next push)."""
        self.command({"cmd": "delete", "table": table, "id": id})

    def dump(self, with_status: bool = False) -> dict[str, Any]:
        """Local state: ``tables`` (records sorted by id), ``pending``,
        ``pending_changes``, ``has_unsynced_changes``, ``last_pulled_at``."""
        return self.command({"cmd": "dump", "with_status": with_status})

    def records(self, table: str) -> list[dict[str, Any]]:
        return self.dump()["tables"][table]

    def set_token(self, token: str) -> None:
        self.command({"cmd": "set_token", "token": token})

    def reset(self) -> None:
        """unsafeResetDatabase: wipe local data (next sync is a first sync)."""
        self.command({"cmd": "reset"})

    # -- lifecycle ---------------------------------------------------------------------
    def _kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self._proc.returncode

    def close(self, timeout: float = 10.0) -> int | None:
        """Ask the device to quit and wait for it to exit on its own.

        Returns the exit code: 0 = clean exit with an empty event loop, 3 = the
        device had to force its exit (something kept Node alive). Killed if it
        does not exit within ``timeout``.
        """
        if self._proc.poll() is None:
            try:
                self.command({"cmd": "quit"}, timeout=timeout)
            except WatermelonError:
                pass
            try:
                self._proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self.returncode = self._proc.returncode
        self._stdout_thread.join(timeout=5)
        self._stderr_thread.join(timeout=5)
        for stream in (self._proc.stdout, self._proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        return self.returncode

    def __enter__(self) -> WatermelonDevice:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
