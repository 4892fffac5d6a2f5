"""A real IMAP server for the tests: Dovecot from Debian's packages, started with its
own generated config in a temporary folder, on a free port of 127.0.0.1.

Any user name logs in with the one password (static passdb), and each gets its own
Maildir, so every test uses a fresh mailbox. Mail is delivered with IMAP APPEND.
"""

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from types import SimpleNamespace
from urllib.parse import quote

from tests.api.mailbox import free_port

PASSWORD = "imap-test-password"
INSTALL_HINT = (
    "Dovecot is needed for the IMAP tests: apt-get install -y dovecot-imapd (.ci/run installs it)."
)
# Set by .ci/run: there a missing system service fails the run instead of skipping.
REQUIRE_SERVICES = "FIELDLINE_REQUIRE_SYSTEM_SERVICES"


class NotInstalled(RuntimeError):
    """The system service is not on this machine (a skip, unless REQUIRE_SERVICES)."""


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
{users}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def installed() -> bool:
    return _binary() is not None


def _binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
    )


def _mail_user() -> tuple[int, int, str]:
    """Dovecot refuses uid 0 for mail: as root, mailboxes belong to `nobody`."""
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, ""
    me = pwd.getpwuid(os.getuid()).pw_name
    return os.getuid(), os.getgid(), f"default_internal_user = {me}\ndefault_login_user = {me}"


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def dovecot_server():
    """Start Dovecot; raise RuntimeError (with its log) when it cannot be run."""
    binary = _binary()
    if binary is None:
        raise NotInstalled(INSTALL_HINT)
    root = tempfile.mkdtemp(prefix="fieldline-dovecot-")
    os.chmod(root, 0o755)  # the unprivileged mail processes must reach their homes
    uid, gid, users = _mail_user()
    os.makedirs(os.path.join(root, "home"))
    os.chown(os.path.join(root, "home"), uid, gid)
    port = free_port()
    config = os.path.join(root, "dovecot.conf")
    with open(config, "w") as f:
        f.write(
            CONFIG.format(root=root, users=users, password=PASSWORD, uid=uid, gid=gid, port=port)
        )
    output = open(os.path.join(root, "stdout.log"), "wb")
    process = subprocess.Popen([binary, "-F", "-c", config], stdout=output, stderr=output)
    try:
        if not _wait_for_port(port, process):
            raise RuntimeError(f"Dovecot did not start.\n{_logs(root)}\n{INSTALL_HINT}")
        yield SimpleNamespace(port=port, root=root, log=lambda: _logs(root))
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        output.close()
        shutil.rmtree(root, ignore_errors=True)


def _logs(root: str) -> str:
    text = []
    for name in ("stdout.log", "dovecot.log"):
        with contextlib.suppress(OSError), open(os.path.join(root, name), errors="replace") as f:
            text.append(f.read()[-4000:])
    return "\n".join(text)


class Mailbox:
    """One fresh IMAP mailbox on the test server, seen from the test's side."""

    def __init__(self, port: int):
        self.port = port
        self.user = f"inbox-{uuid.uuid4().hex[:12]}@fieldline.test"
        self.url = f"imap://{quote(self.user, safe='')}:{PASSWORD}@127.0.0.1:{port}/INBOX"

    @contextlib.contextmanager
    def session(self):
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            connection.login(self.user, PASSWORD)
            connection.select("INBOX")
            yield connection
        finally:
            connection.logout()

    def deliver(self, raw: bytes) -> None:
        with self.session() as connection:
            status, detail = connection.append("INBOX", "", None, raw)
            assert status == "OK", detail

    def unseen(self) -> int:
        with self.session() as connection:
            _, data = connection.search(None, "UNSEEN")
            return len(data[0].split())

    def count(self) -> int:
        with self.session() as connection:
            _, data = connection.search(None, "ALL")
            return len(data[0].split())
