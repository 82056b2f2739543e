"""The IMAP mailbox (imapclient): connect and log in, list pending mail, fetch it, mark it processed, IDLE.

The only module that talks IMAP. It decides nothing about mail; it moves bytes and flags.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import socket
import ssl as ssl_module
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from inbox_worker.config import MailboxSettings
from inbox_worker.errors import UserError

log = logging.getLogger(__name__)
PROCESSED_KEYWORD = b"$MicoProcessed"
# Errors after which the connection is gone or unusable: reconnect (with backoff) and carry on.
CONNECTION_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl_module.SSLError, EOFError)
LoginRefused = LoginError  # the server refused the login (one of CONNECTION_ERRORS)


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    raw: bytes  # the whole mail, or only its header block when oversized
    size: int
    oversized: bool
    arrived_at: datetime | None = None  # INTERNALDATE: when our server took the mail in


def _aware(moment: object) -> datetime | None:
    """imapclient gives INTERNALDATE as a naive local time (normalise_times): as an aware UTC time."""
    if not isinstance(moment, datetime):
        return None
    return moment.astimezone(UTC)  # a naive time is taken as this machine's local time, as imapclient made it


def mailbox_key(settings: MailboxSettings) -> str:
    return f"{settings.username}@{settings.host}:{settings.port}/{settings.folder}"


def _oauth_token(settings: MailboxSettings) -> str:
    import os

    if settings.oauth_token_env:
        token = os.environ.get(settings.oauth_token_env, "")
        if not token:
            raise UserError(f"mailbox.oauth_token_env peger på ${settings.oauth_token_env}, som er tom eller ikke sat")
        return token
    if settings.oauth_token_command:
        try:
            result = subprocess.run(shlex.split(settings.oauth_token_command), capture_output=True, text=True,
                                    timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UserError(f"mailbox.oauth_token_command could not run: {exc}") from None
        token = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
        if result.returncode != 0 or not token:
            raise UserError("mailbox.oauth_token_command fejlede eller skrev ingen token")
        return token
    raise UserError("mailbox.auth = 'xoauth2' kræver oauth_token_env eller oauth_token_command")


def login_mechanism(settings: MailboxSettings) -> str:
    """How the worker logs in: XOAUTH2 (a token), LOGIN, or AUTHENTICATE PLAIN for a password LOGIN cannot carry."""
    if settings.auth == "xoauth2":
        return "XOAUTH2"
    return "LOGIN" if settings.password.isascii() else "AUTHENTICATE PLAIN"  # LOGIN is ASCII-only; PLAIN is UTF-8


class ImapMailbox:
    """One logged-in connection with the configured folder selected."""

    def __init__(self, settings: MailboxSettings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None
        self.uidvalidity: int = 0
        self.capabilities: frozenset[bytes] = frozenset()

    def open(self) -> ImapMailbox:
        """Connect (and upgrade with STARTTLS when configured), not yet logged in."""
        s = self.settings
        if not s.host:
            raise UserError("mailbox.host er ikke sat i konfigurationen")
        client = IMAPClient(s.host, port=s.port, ssl=s.ssl, timeout=s.timeout_seconds)
        try:
            if not s.ssl and s.starttls:
                client.starttls()
        except Exception:
            with contextlib.suppress(Exception):
                client.logout()
            raise
        self.client = client
        return self

    def log_in(self) -> None:
        """Log in as configured (imapclient's LoginError when refused), then read the capabilities."""
        s, client = self.settings, self._client()
        mechanism = login_mechanism(s)
        if mechanism == "XOAUTH2":
            client.oauth2_login(s.username, _oauth_token(s))
        elif mechanism == "LOGIN":
            client.login(s.username, s.password)
        else:
            client.plain_login(s.username, s.password)
        self.capabilities = frozenset(client.capabilities())

    def connect(self) -> ImapMailbox:
        """Connect, log in, create the processed folder when missing, select the folder."""
        s = self.settings
        client = self.open()._client()
        try:
            self.log_in()
            if s.processed_folder and not client.folder_exists(s.processed_folder):
                client.create_folder(s.processed_folder)
            selected = client.select_folder(s.folder)
        except Exception:
            self.close()
            raise
        self.uidvalidity = int(selected[b"UIDVALIDITY"])
        return self

    def folder_names(self) -> list[str]:
        return [str(name) for _flags, _delimiter, name in self._client().list_folders()]

    def message_count(self, folder: str) -> int | None:
        """How many mails `folder` holds (STATUS, without selecting it); None when it does not exist."""
        client = self._client()
        if not client.folder_exists(folder):
            return None
        return int(client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])

    @property
    def has_idle(self) -> bool:
        return b"IDLE" in self.capabilities

    @property
    def has_move(self) -> bool:
        return b"MOVE" in self.capabilities

    def _client(self) -> IMAPClient:
        if self.client is None:
            raise RuntimeError("not connected")
        return self.client

    def pending_uids(self) -> list[int]:
        """UIDs in the folder not yet marked processed, oldest first."""
        criteria: list[object] = ["ALL"] if self.settings.processed_folder else ["UNKEYWORD", PROCESSED_KEYWORD]
        return sorted(int(uid) for uid in self._client().search(criteria))

    def fetch(self, uids: list[int]) -> list[FetchedMail]:
        """Whole mails; those over the size limit only with their headers (the body stays on the server)."""
        if not uids:
            return []
        client = self._client()
        limit = int(self.settings.max_message_mb * 1024 * 1024)
        meta = client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
        small = [uid for uid in uids if uid in meta and int(meta[uid][b"RFC822.SIZE"]) <= limit]
        large = [uid for uid in uids if uid in meta and uid not in small]
        bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        heads = client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
        mails = []
        for uid in uids:
            if uid in bodies:
                raw, oversized = bodies[uid].get(b"BODY[]") or b"", False
            elif uid in heads:
                raw, oversized = heads[uid].get(b"BODY[HEADER]") or b"", True
            else:
                continue  # expunged meanwhile by someone else
            mails.append(FetchedMail(uid, bytes(raw), int(meta[uid][b"RFC822.SIZE"]), oversized,
                                     _aware(meta[uid].get(b"INTERNALDATE"))))
        return mails

    def mark_processed(self, uids: list[int]) -> None:
        """Move to the processed folder (UID MOVE, else COPY + \\Deleted + UID EXPUNGE), or flag in place."""
        if not uids:
            return
        client = self._client()
        target = self.settings.processed_folder
        if not target:
            client.add_flags(uids, [b"\\Seen", PROCESSED_KEYWORD], silent=True)
        elif self.has_move:
            client.move(uids, target)
        else:
            client.copy(uids, target)
            client.add_flags(uids, [b"\\Deleted"], silent=True)
            client.uid_expunge(uids) if b"UIDPLUS" in self.capabilities else client.expunge()

    def wait_for_mail(self, seconds: float, stop: threading.Event) -> bool:
        """IDLE up to `seconds` (returning early on new mail or stop); without IDLE, sleep. True on new mail."""
        client = self._client()
        if not (self.settings.idle and self.has_idle):
            stop.wait(seconds)
            return False
        deadline = time.monotonic() + seconds
        client.idle()
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return True
            return False
        finally:
            client.idle_done()

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.logout()
            self.client = None
