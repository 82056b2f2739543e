"""`ingest` of many files: batches parsed in a worker process come back in input order, nothing lost."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.ingest import PARALLEL_FROM, ingest_paths
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AttachmentRecord, RawMessage, Ticket
from tests.mailbuilder import build_mail


def test_many_files_are_processed_in_input_order_with_replies_threaded(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    count = PARALLEL_FROM * 3 + 7
    for i in range(count):
        # every third mail answers the one before it, so threading depends on the order of processing
        reply_to = f"<m{i - 1}@bageriet-soerensen.dk>" if i % 3 == 2 else None
        raw = build_mail(subject=f"Sag {i}", body=f"Tekst {i}", message_id=f"<m{i}@bageriet-soerensen.dk>",
                         in_reply_to=reply_to, date=f"Fri, 20 Nov 2026 {8 + i // 60:02d}:{i % 60:02d}:00 +0100")
        (folder / f"{i:04d}.eml").write_bytes(raw)
    seen: list[tuple[str, dict]] = []

    outcomes = ingest_paths(Runner(settings, engine), [str(folder)], lambda s, d: seen.append((s, d)))

    assert [Path(source.removeprefix("file:")).name for source, _ in seen] == [f"{i:04d}.eml" for i in range(count)]
    assert [d["message_id"] for _, d in seen] == [f"<m{i}@bageriet-soerensen.dk>" for i in range(count)]
    replies = [d for i, (_, d) in enumerate(seen) if i % 3 == 2]
    assert all(d["outcome"] == "updated_ticket" for d in replies)
    assert outcomes["new_ticket"] + outcomes["updated_ticket"] == count
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == outcomes["new_ticket"]
        assert session.scalar(select(func.count()).select_from(RawMessage)) == count


def test_attachments_of_mails_parsed_in_the_worker_process_are_stored_with_their_bytes(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    payloads = {f"log-{i}.bin": f"logfil {i} æøå\n".encode() * (50 + i) for i in range(PARALLEL_FROM + 10)}
    for i, (filename, payload) in enumerate(payloads.items()):
        raw = build_mail(subject=f"Logfil {i}", attachment=(filename, payload), message_id=f"<a{i}@bageriet-soerensen.dk>")
        (folder / f"{i:04d}.eml").write_bytes(raw)

    outcomes = ingest_paths(Runner(settings, engine), [str(folder)], lambda s, d: None)

    assert outcomes["new_ticket"] == len(payloads)
    with Session(engine) as session:
        records = session.scalars(select(AttachmentRecord)).all()
    assert sorted(r.filename for r in records) == sorted(payloads)
    for record in records:
        assert record.size == len(payloads[record.filename]) and record.skipped_reason is None
        stored = Path(settings.storage.attachments_dir) / str(record.stored_path)
        assert stored.read_bytes() == payloads[record.filename]
