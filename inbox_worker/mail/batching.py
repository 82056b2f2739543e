"""Run batches of mail through the Runner, parsing the next batches in a worker process meanwhile.

Parsing is pure and CPU-bound; storing and applying are database work in this process. With two
cores, batches i+1 and i+2 are parsed (and their attachments written to disk) while batch i is
written, and this process parses the tail of a batch itself when the worker lags behind, so the two
cores stay busy. Raw bytes are always committed before their batch is handed to the parser.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from inbox_worker.domain.types import ParsedMail
from inbox_worker.mail.children import exit_with_parent
from inbox_worker.mail.incoming import IncomingMail, ParseResult, SavedAttachment, parse_safely
from inbox_worker.store.files import AttachmentStore
from inbox_worker.store.raw import StoredRaw

if TYPE_CHECKING:  # the Runner hands itself in: it applies the batches this module stores and parses
    from inbox_worker.domain.decision import Decision
    from inbox_worker.mail.runner import Runner

# Mails larger than this are parsed in this process, one at a time: shipping a 30 MB mail to a
# worker process and its parsed attachments back would double its memory for no gain.
IN_PROCESS_BYTES = 4 * 1024 * 1024


def parse_many(raws: list[bytes | None]) -> list[ParseResult | None]:
    return [None if raw is None else parse_safely(raw) for raw in raws]


Chunk = tuple[list[ParseResult | None], dict[str, SavedAttachment]]
_attachments: AttachmentStore | None = None  # in the worker process: where parsed attachments go


def _init_worker(parent_pid: int, attachments: AttachmentStore | None) -> None:
    global _attachments
    _attachments = attachments
    exit_with_parent(parent_pid)


def parse_and_save(raws: list[bytes | None]) -> Chunk:
    """In the worker: parse, write the attachments to disk, and send the mails back without their bytes.

    Writing them here takes the file system work off the process that writes the database, and the
    bytes need not cross between the processes twice. (The raw mail is committed before it gets here.)
    """
    parsed = parse_many(raws)
    saved: dict[str, SavedAttachment] = {}
    if _attachments is None:
        return parsed, saved
    for index, result in enumerate(parsed):
        if isinstance(result, ParsedMail) and result.attachments:
            try:
                saved.update((a.sha256, _attachments.save(a.payload, a.sha256)) for a in result.attachments)
            except Exception:  # e.g. disk full: left to the main process, which quarantines the mail if it fails too
                continue
            parsed[index] = replace(result, attachments=tuple(replace(a, payload=b"") for a in result.attachments))
    return parsed, saved


def _own_usage() -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) of the calling process."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


# Work is handed to the worker in small chunks, so this process can take back (and parse itself) the
# chunks the worker has not started when it needs them: the two cores stay busy, whichever is faster.
CHUNK = 5


@dataclass
class _Pending:
    batch: list[IncomingMail]
    stored: list[StoredRaw]
    now: datetime
    raws: list[bytes | None]
    chunks: list[Future[Chunk]] | None


class ParsePool:
    """One worker process for parsing (spawned, not forked: safe with the threads of the IMAP worker)."""

    # The worker's peak memory and CPU time, read when the last pool closed (benchmarks).
    last_worker_peak_rss_mb = 0.0
    last_worker_cpu_seconds = 0.0

    def __init__(self, attachments: AttachmentStore | None = None) -> None:
        """`attachments`: where the worker saves the attachments of the mails it parses (else this process does)."""
        import os

        self.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_init_worker, initargs=(os.getpid(), attachments))

    def submit(self, raws: list[bytes | None]) -> list[Future[Chunk]]:
        return [self.executor.submit(parse_and_save, raws[start:start + CHUNK]) for start in range(0, len(raws), CHUNK)]

    def close(self) -> None:
        try:
            ParsePool.last_worker_peak_rss_mb, ParsePool.last_worker_cpu_seconds = (
                self.executor.submit(_own_usage).result(timeout=10))
        except Exception:  # a broken worker must not stop the shutdown
            ParsePool.last_worker_peak_rss_mb = ParsePool.last_worker_cpu_seconds = 0.0
        self.executor.shutdown(wait=True, cancel_futures=True)


def _to_parse(runner: Runner, batch: list[IncomingMail], stored: list[StoredRaw]) -> list[bytes | None]:
    return [m.raw if runner.needs_parsing(m, s) and len(m.raw) <= IN_PROCESS_BYTES else None
            for m, s in zip(batch, stored, strict=True)]


# Batches stored and handed to the parser ahead of the one being applied. Two, not one: when this
# process takes back the unstarted chunks of the batch it is about to apply, the worker goes on with
# the next batch instead of waiting for this process to store it.
LOOKAHEAD = 2


def process_batches(runner: Runner, batches: Iterable[list[IncomingMail]], pool: ParsePool | None,
                    clock: datetime | None = None) -> Iterator[tuple[list[IncomingMail], list[Decision]]]:
    """Yield (batch, decisions) per batch, in order, each after its transaction has committed.

    `clock`: a fixed moment for every batch (tests with a controlled clock), else the time of storing.
    """
    pending: deque[_Pending] = deque()
    for batch in batches:
        now = clock or datetime.now(UTC)
        stored = runner.store(batch, now)
        raws = _to_parse(runner, batch, stored)
        chunks = pool.submit(raws) if pool is not None and any(r is not None for r in raws) else None
        pending.append(_Pending(batch, stored, now, raws, chunks))
        if len(pending) > LOOKAHEAD:
            oldest = pending.popleft()
            yield oldest.batch, _finish(runner, oldest)
    while pending:
        oldest = pending.popleft()
        yield oldest.batch, _finish(runner, oldest)


def _finish(runner: Runner, pending: _Pending) -> list[Decision]:
    """Collect the batch's parse results and apply it.

    Chunks the worker has not started yet are taken back and parsed here, from the end of the batch,
    while the worker goes on from its front: both meet in the middle and neither waits on the other.
    """
    if pending.chunks is None:
        return runner.apply_batch(pending.batch, pending.stored, [None] * len(pending.batch), pending.now)
    results: list[list[ParseResult | None] | None] = [None] * len(pending.chunks)
    for index in reversed(range(len(pending.chunks))):
        if not pending.chunks[index].cancel():
            break
        results[index] = parse_many(pending.raws[index * CHUNK:(index + 1) * CHUNK])
    parsed: list[ParseResult | None] = []
    saved: dict[str, SavedAttachment] = {}
    for chunk, result in zip(pending.chunks, results, strict=True):
        if result is None:
            result, saved_here = chunk.result()
            saved.update(saved_here)
        parsed += result
    return runner.apply_batch(pending.batch, pending.stored, parsed, pending.now, saved)


def chunks(mails: Iterable[IncomingMail], size: int) -> Iterator[list[IncomingMail]]:
    batch: list[IncomingMail] = []
    for mail in mails:
        batch.append(mail)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
