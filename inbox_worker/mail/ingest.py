"""`inbox-worker ingest`: local .eml files and Maildir folders through the full pipeline, in input order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from inbox_worker.mail.batching import ParsePool, chunks
from inbox_worker.mail.runner import Runner
from inbox_worker.mail.sources.files import expand, read_mails

# Below this many files a parsing worker process costs more to start than it saves.
PARALLEL_FROM = 50
BATCH = 50


def ingest_paths(runner: Runner, paths: list[str],
                 emit: Callable[[str, dict[str, Any]], None]) -> Counter[str]:
    """Process every mail named by `paths` exactly as mail from IMAP would go; emit each decision."""
    files = expand(paths)  # a missing path fails before anything is processed
    outcomes: Counter[str] = Counter()
    pool = ParsePool(runner.attachments) if len(files) >= PARALLEL_FROM else None
    try:
        mails = read_mails(paths, runner.settings.mailbox.max_message_mb)  # over it: headers only, quarantined
        for batch, decisions in runner.run(chunks(mails, BATCH), pool):
            for mail, decision in zip(batch, decisions, strict=True):
                outcomes[str(decision.outcome)] += 1
                emit(mail.source, decision.as_json())
    finally:
        if pool is not None:
            pool.close()
    return outcomes
