"""Attachment files no row refers to any more, and their removal once the rows' deletion has committed.

Files are content-addressed (store/files.py): one file serves every attachment with the same bytes, on any
ticket, and a staff reply's files too. A file goes only when no attachment or outbox attachment row still
names it, looked at again after the commit (a mail stored meanwhile may have the same file).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import AttachmentRecord, OutboxAttachment


def unreferenced(session: Session, paths: Iterable[str], *, ignoring: Iterable[int] = (),
                 ignoring_outbox: Iterable[int] = ()) -> list[str]:
    """The stored paths among `paths` that no row names, the attachment rows `ignoring` and outbox attachment
    rows `ignoring_outbox` (about to be deleted) aside."""
    wanted, skip, skip_outbox = sorted(set(paths)), sorted(set(ignoring)), sorted(set(ignoring_outbox))
    named: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        named |= set(session.scalars(select(AttachmentRecord.stored_path).where(
            AttachmentRecord.stored_path.in_(chunk), AttachmentRecord.id.not_in(skip))))
        named |= set(session.scalars(select(OutboxAttachment.stored_path).where(
            OutboxAttachment.stored_path.in_(chunk), OutboxAttachment.id.not_in(skip_outbox))))
    return [path for path in wanted if path not in named]


def remove_files(engine: Engine, folder: str | Path, paths: Iterable[str],
                 failed: list[str] | None = None) -> int:
    """Remove the files of `paths` that still no row names; returns how many were removed. A file the disk
    refuses to remove (a read-only folder) is added to `failed` (its path in the folder: a hash, no personal
    data), for the command to name, rather than ending the command after its rows are already gone."""
    root = Path(folder).resolve()
    with Session(engine) as session:
        gone = unreferenced(session, paths)
    removed = 0
    for relative in gone:
        target = (root / relative).resolve()
        if not target.is_relative_to(root):  # a stored path is ours, but never leave the folder
            continue
        try:
            target.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError:
            if failed is not None:
                failed.append(str(target))
    return removed
