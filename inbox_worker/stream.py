"""Run batches of mail through the Processor, parsing the next batch in a worker process meanwhile.

Parsing is pure and CPU-bound; storing and applying are database work in this process. With two
cores, batch i+1 is parsed while batch i is written, so the pipeline costs little more than the
parse itself. Raw bytes are always committed before their batch is handed to the parser.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .processor import IncomingMail, ParseResult, Processor, parse_safely
from .store.repository import StoredRaw

# Mails larger than this are parsed in this process, one at a time: shipping a 30 MB mail to a
# worker process and its parsed attachments back would double its memory for no gain.
IN_PROCESS_BYTES = 4 * 1024 * 1024


def parse_many(raws: list[bytes | None]) -> list[ParseResult | None]:
    return [None if raw is None else parse_safely(raw) for raw in raws]


def _own_peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Work is handed to the worker in small chunks, so this process can take back (and parse itself) the
# chunks the worker has not started when it needs them: the two cores stay busy, whichever is faster.
CHUNK = 5


@dataclass
class _Pending:
    batch: list[IncomingMail]
    stored: list[StoredRaw]
    now: datetime
    raws: list[bytes | None]
    chunks: list[Future[list[ParseResult | None]]] | None


def _watch_parent(parent_pid: int) -> None:
    """In the worker: exit as soon as the process that started it is gone (killed, crashed).

    A pool worker never notices by itself (it holds both ends of its queue's pipe), so without this
    a SIGKILLed worker would leave an orphan parser behind, holding its parent's stdout open.
    """
    import os
    import threading
    import time

    def watch() -> None:
        # Re-parenting, not kill(pid, 0): a killed parent stays a zombie until reaped, and kill() succeeds on it.
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class ParsePool:
    """One worker process for parsing (spawned, not forked: safe with the threads of the IMAP worker)."""

    last_worker_peak_rss_mb = 0.0  # the worker's peak memory, read when the last pool closed (benchmarks)

    def __init__(self) -> None:
        import os

        self.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_watch_parent, initargs=(os.getpid(),))

    def submit(self, raws: list[bytes | None]) -> list[Future[list[ParseResult | None]]]:
        return [self.executor.submit(parse_many, raws[start:start + CHUNK]) for start in range(0, len(raws), CHUNK)]

    def close(self) -> None:
        try:
            ParsePool.last_worker_peak_rss_mb = self.executor.submit(_own_peak_rss_mb).result(timeout=10)
        except Exception:  # a broken worker must not stop the shutdown
            ParsePool.last_worker_peak_rss_mb = 0.0
        self.executor.shutdown(wait=True, cancel_futures=True)


def _to_parse(processor: Processor, batch: list[IncomingMail], stored: list[StoredRaw]) -> list[bytes | None]:
    return [m.raw if processor.needs_parsing(m, s) and len(m.raw) <= IN_PROCESS_BYTES else None
            for m, s in zip(batch, stored, strict=True)]


def process_batches(processor: Processor, batches: Iterable[list[IncomingMail]], pool: ParsePool | None,
                    mailbox: str | None = None) -> Iterator[tuple[list[IncomingMail], list[dict[str, Any]]]]:
    """Yield (batch, decisions) per batch, in order, each after its transaction has committed."""
    pending: _Pending | None = None
    for batch in batches:
        now = datetime.now(UTC)
        stored = processor.store(batch, now, mailbox)
        raws = _to_parse(processor, batch, stored)
        chunks = pool.submit(raws) if pool is not None and any(r is not None for r in raws) else None
        if pending is not None:
            yield pending.batch, _finish(processor, pending)
        pending = _Pending(batch, stored, now, raws, chunks)
    if pending is not None:
        yield pending.batch, _finish(processor, pending)


def _finish(processor: Processor, pending: _Pending) -> list[dict[str, Any]]:
    parsed: list[ParseResult | None] = []
    if pending.chunks is None:
        parsed = [None] * len(pending.batch)
    for index, chunk in enumerate(pending.chunks or []):
        if chunk.cancel():  # the worker has not started it: parse it here rather than wait
            parsed += parse_many(pending.raws[index * CHUNK:(index + 1) * CHUNK])
        else:
            parsed += chunk.result()
    return processor.apply_batch(pending.batch, pending.stored, parsed, pending.now)


def chunks(mails: Iterable[IncomingMail], size: int) -> Iterator[list[IncomingMail]]:
    batch: list[IncomingMail] = []
    for mail in mails:
        batch.append(mail)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
