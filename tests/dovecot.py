"""A private Dovecot IMAP server on 127.0.0.1 for tests and benchmarks: own config, passwd-file, Maildir.

Needs Debian's dovecot-imapd (`make test` installs it). As root, Dovecot refuses to open mail as
uid 0, so mail is owned by an unprivileged system user (`vmail`, created when missing).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MAIL_USER = "vmail"


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mail_owner() -> tuple[int, int]:
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(MAIL_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", MAIL_USER],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(MAIL_USER)
    return entry.pw_uid, entry.pw_gid


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid)


@dataclass
class Dovecot:
    """One running Dovecot; `user`/`password` log in to a Maildir under `base`."""

    base: Path
    port: int = field(default_factory=_free_port)
    user: str = "support@mico.dk"
    password: str = "test-password-42"
    uid: int = 0
    gid: int = 0

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def maildir(self) -> Path:
        return self.home / "Maildir"

    def _write_config(self) -> Path:
        run_dir = self.base / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        (self.base / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{self.uid}:{self.gid}::{self.home}::\n", encoding="utf-8")
        unprivileged = "" if os.geteuid() == 0 else (
            f"default_internal_user = {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"default_internal_group = {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"default_login_user = {pwd.getpwuid(os.getuid()).pw_name}\n")
        # Dovecot slows each failed login from an address (its anvil "auth penalty", 2 s and more): the
        # tests fail logins on purpose, often, and would wait about a second each. Off for the test server.
        anvil = "service anvil {\n" + ("" if os.geteuid() == 0 else "  chroot =\n") + (
            "  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n")
        config = self.base / "dovecot.conf"
        config.write_text(f"""
base_dir = {run_dir}
state_dir = {self.base / 'state'}
log_path = {self.base / 'dovecot.log'}
info_log_path = {self.base / 'dovecot.log'}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
shutdown_clients = yes
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = {self.uid}
first_valid_gid = {self.gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.base / 'passwd'}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.base / 'passwd'}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  {'chroot =' if os.geteuid() != 0 else ''}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
{unprivileged}
{anvil}""", encoding="utf-8")
        (self.base / "state").mkdir(exist_ok=True)
        return config

    def start(self) -> Dovecot:
        self.uid, self.gid = _mail_owner()
        # Dovecot's auth process runs as its own user and must be able to read the passwd-file.
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        _chown_tree(self.home, self.uid, self.gid)
        self._launch(self._write_config())
        return self

    def _launch(self, config: Path) -> None:
        # The master daemonizes and keeps its stdout/stderr: a pipe would never reach EOF, so use a file.
        with (self.base / "dovecot.start.log").open("ab") as out:
            subprocess.run([DOVECOT, "-c", str(config)], check=True, stdout=out, stderr=out,
                           stdin=subprocess.DEVNULL, timeout=30)
        self._wait_for_greeting()

    def _wait_for_greeting(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    if conn.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        log = (self.base / "dovecot.log").read_text(errors="replace") if (self.base / "dovecot.log").exists() else ""
        raise RuntimeError(f"Dovecot did not greet on port {self.port}: {log[-2000:]}")

    def _pid(self) -> int | None:
        pid_file = self.base / "run" / "master.pid"
        return int(pid_file.read_text().strip()) if pid_file.exists() else None

    def stop(self) -> None:
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # The port must be free before a restart on the same port.
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def restart(self) -> None:
        self.stop()
        self._launch(self.base / "dovecot.conf")

    def client(self) -> IMAPClient:
        """A logged-in imapclient connection (for loading mail and checking results)."""
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client

    def append(self, messages: list[bytes], folder: str = "INBOX", arrived: list[datetime] | None = None) -> None:
        """Deliver mail into a folder. Its INTERNALDATE (when it arrived) is `arrived`, else the mail's own
        Date, as for mail delivered when it was written (the ack limit counts by arrival)."""
        times = arrived or [_written(message) for message in messages]
        items = [{"msg": m, "date": t} if t is not None else m for m, t in zip(messages, times, strict=True)]
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for start in range(0, len(items), 200):
                client.multiappend(folder, items[start:start + 200])

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            if not client.folder_exists(folder):
                return 0
            return int(client.select_folder(folder, readonly=True)[b"EXISTS"])


def _written(message: bytes) -> datetime | None:
    value = BytesHeaderParser(policy=compat32).parsebytes(message[:65536]).get("date")
    try:
        return parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None


def start_dovecot() -> Dovecot:
    """Start one in a fresh folder under /tmp (pytest's own temp folders are 0700 under a 0700 parent)."""
    return Dovecot(Path(tempfile.mkdtemp(prefix="dovecot-"))).start()
