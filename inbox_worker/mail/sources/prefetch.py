"""Fetch a long run of IMAP mail in batches, in a process of its own, while the caller processes earlier ones."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from imapclient.exceptions import IMAPClientError

from inbox_worker.config import MailboxSettings
from inbox_worker.mail.children import exit_with_parent
from inbox_worker.mail.sources.imap import FetchedMail, ImapMailbox


def _picklable(exc: BaseException) -> BaseException:
    """The error as it can cross to the parent: itself, or an IMAPClientError naming it (a connection error)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return IMAPClientError(f"{type(exc).__name__}: {exc}")


def _fetch_batches(settings: MailboxSettings, uids: list[int], out: Any, parent_pid: int) -> None:
    """In the fetch process: fetch `uids` batch by batch, in order, onto `out`; then None, or the error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    exit_with_parent(parent_pid)
    mailbox = ImapMailbox(settings)
    try:
        mailbox.connect()
        for start in range(0, len(uids), settings.batch_size):
            out.put(mailbox.fetch(uids[start:start + settings.batch_size]))
        out.put(None)
    except BaseException as exc:  # handed to the consumer, which decides (reconnect and retry)
        out.put(_picklable(exc))
    finally:
        mailbox.close()


def _next(batches: Any, process: Any) -> list[FetchedMail] | BaseException | None:
    while True:
        with contextlib.suppress(queue.Empty):
            return batches.get(timeout=0.5)
        if not process.is_alive():  # it flushes its queue before it exits: one last look
            with contextlib.suppress(queue.Empty):
                return batches.get(timeout=1.0)
            return EOFError(f"the IMAP fetch process ended unexpectedly (exit code {process.exitcode})")


def prefetch(settings: MailboxSettings, uids: list[int], stop: threading.Event,
             first: Callable[[list[int]], list[FetchedMail]], depth: int = 2) -> Iterator[list[FetchedMail]]:
    """Fetch batches on a second connection in a process of its own, while the caller processes earlier ones.

    A process, not a thread: reading and parsing IMAP responses then costs the caller's process (which
    writes the database) no time under its GIL. The first batch comes from `first` (the caller's own
    connection) while that process starts. Batches arrive in order; at most `depth` wait in memory,
    so a 10,000-mail drain uses as much memory as a 100-mail one.
    """
    size = settings.batch_size
    context = multiprocessing.get_context("spawn")  # not fork: the caller has threads
    batches = context.Queue(maxsize=depth)
    process = context.Process(target=_fetch_batches, args=(settings, uids[size:], batches, os.getpid()),
                              name="imap-prefetch", daemon=True)
    process.start()
    try:
        yield first(uids[:size])
        while not stop.is_set():
            item = _next(batches, process)
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if process.is_alive():  # the consumer stopped early: the fetcher stops too
            process.terminate()
        process.join()
        batches.close()
        batches.cancel_join_thread()
