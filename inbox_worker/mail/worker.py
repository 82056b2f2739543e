"""One poll cycle of the IMAP mailbox, and the loop that repeats it: fetch -> store raw -> pipeline -> mark done.

A cycle takes the mailbox lease, checks UIDVALIDITY, lists the pending UIDs, and runs them in
batches (fetched on a second connection while the previous batch is processed). A batch's mails
are marked processed on the server only after its transaction committed: a crash anywhere means
the next cycle sees them again, and dedupe makes that a no-op. Connection faults end the cycle
with a logged error; the loop retries with capped exponential backoff and never exits on them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from inbox_worker.config import Settings
from inbox_worker.domain.health import FailureKind
from inbox_worker.mail.batching import ParsePool
from inbox_worker.mail.incoming import IncomingMail, too_large_reason
from inbox_worker.mail.runner import Runner
from inbox_worker.mail.sources.imap import CONNECTION_ERRORS, FetchedMail, ImapMailbox, failure_kind, mailbox_key
from inbox_worker.mail.sources.prefetch import prefetch
from inbox_worker.store import health, lease

log = logging.getLogger("inbox_worker.mail.worker")


@dataclass
class CycleStats:
    fetched: int = 0
    processed: int = 0
    errors: int = 0
    skipped: bool = False  # another worker holds the mailbox lease


def _incoming(mail: FetchedMail, key: str, limit_mb: float) -> IncomingMail:
    reason = None
    if mail.oversized:
        reason = too_large_reason(mail.size, limit_mb, f"på serveren (UID {mail.uid})")
    return IncomingMail(mail.raw, f"imap:{key}", mail.uid, reason, mail.arrived_at)


class MailboxWorker:
    """Polls one mailbox. Keeps its connection between cycles (for IDLE); reconnects after faults."""

    def __init__(self, settings: Settings, engine: Engine, stop: threading.Event | None = None,
                 parallel: bool = True, clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))  # tests of the alerts drive it by hand
        self.engine = engine
        self.stop = stop or threading.Event()
        self.key = mailbox_key(settings.mailbox)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.runner = Runner(settings, engine)
        self.pool = ParsePool(self.runner.attachments) if parallel else None
        self.mailbox: ImapMailbox | None = None
        self.failures = 0

    def close(self) -> None:
        if self.mailbox is not None:
            self.mailbox.close()
            self.mailbox = None
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        lease.release(self.engine, self.key, self.owner)

    def _connected(self) -> ImapMailbox:
        if self.mailbox is None:
            self.mailbox = ImapMailbox(self.settings.mailbox).connect()
        return self.mailbox

    def _drop_connection(self) -> None:
        if self.mailbox is not None:
            self.mailbox.close()
            self.mailbox = None

    def cycle(self) -> CycleStats:
        """Process everything pending now. Raises the connection error when the server could not be used."""
        stats = CycleStats()
        started = time.monotonic()
        settings = self.settings.mailbox
        if not lease.acquire(self.engine, self.key, self.owner, self.clock(), settings.lease_seconds):
            log.info("cycle mailbox=%s skipped=another-worker-holds-the-lease", self.key)
            stats.skipped = True
            health.quietly(health.heartbeat, self.engine, self.key, self.clock(), self.owner)
            return stats
        try:
            mailbox = self._connected()
            if lease.check_uidvalidity(self.engine, self.key, mailbox.uidvalidity, self.clock()):
                log.warning("UIDVALIDITY of %s changed to %s: rescanning; Message-ID dedupe prevents doubles",
                            self.key, mailbox.uidvalidity)
            self.runner.refresh()  # registry imports and rules edits take effect from this cycle
            uids = mailbox.pending_uids()
            batches = self._batches(uids, stats)
            # The pool parses the next batch while this one is written; with one batch there is nothing to read
            # ahead, and a mail that arrives alone (IDLE) is not made to wait for the pool's process to start.
            pool = self.pool if len(uids) > settings.batch_size else None
            for batch, _decisions in self.runner.run(batches, pool):
                done = [mail.uid for mail in batch if mail.uid is not None]
                mailbox.mark_processed(done)  # only now: the batch's transaction has committed
                stats.processed += len(done)
                lease.acquire(self.engine, self.key, self.owner, self.clock(), settings.lease_seconds)
                if self.stop.is_set():
                    break
        except CONNECTION_ERRORS as exc:
            stats.errors += 1
            self._drop_connection()
            self._record_failure(failure_kind(exc), exc)
            raise
        except Exception as exc:
            self._record_failure(FailureKind.ERROR, exc)
            raise
        finally:
            log.info("cycle mailbox=%s fetched=%s processed=%s errors=%s ms=%.0f", self.key, stats.fetched,
                     stats.processed, stats.errors, (time.monotonic() - started) * 1000)
        health.quietly(health.succeeded, self.engine, self.key, self.clock(), self.owner, beat=True)
        return stats

    def _record_failure(self, kind: FailureKind, exc: BaseException) -> None:
        """The poll status the web process and the alerts read (the server's answer, never the password)."""
        health.quietly(health.failed, self.engine, self.key, self.clock(), kind, f"{type(exc).__name__}: {exc}",
                       self.owner, beat=True)

    def _batches(self, uids: list[int], stats: CycleStats) -> Iterator[list[IncomingMail]]:
        settings = self.settings.mailbox
        fetched: Iterable[list[FetchedMail]]
        if len(uids) <= settings.batch_size:  # one batch: fetch it on the main connection
            fetched = [self._connected().fetch(uids)] if uids else []
        else:
            fetched = prefetch(settings, uids, self.stop, first=self._connected().fetch)
        for batch in fetched:
            stats.fetched += len(batch)
            yield [_incoming(mail, self.key, settings.max_message_mb) for mail in batch]

    def backoff_seconds(self) -> float:
        """After the n-th failure in a row: 1, 2, 4, ... seconds, capped by mailbox.retry_max_seconds."""
        return float(min(2 ** max(0, self.failures - 1), self.settings.mailbox.retry_max_seconds))

    def run_once(self, attempts: int = 5) -> CycleStats:
        """`poll --once`: one cycle, retried with backoff after connection faults (a few times, then give up)."""
        while True:
            try:
                stats = self.cycle()
                self.failures = 0
                return stats
            except CONNECTION_ERRORS as exc:
                self.failures += 1
                if self.failures >= attempts or self.stop.is_set():
                    raise
                delay = self.backoff_seconds()
                log.warning("mailbox %s: %s: %s; retrying in %.0f s", self.key, type(exc).__name__, exc, delay)
                self.stop.wait(delay)
