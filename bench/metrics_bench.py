"""Monitoring benchmark: how long do a /metrics scrape and a /healthz take with N tickets and their mail?

Seeds N tickets (bench/web_bench.py's seed), one stored mail with its decision per ticket, one outbox
row per ticket (mostly sent: acks, replies, summaries, on-call notices), a few quarantined and queued,
then times full requests to /metrics and /healthz through the Flask test client. Prints median and p95 ms.

    .venv/bin/python bench/metrics_bench.py --n 50000
    .venv/bin/python bench/metrics_bench.py --n 50000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.web_bench import bench_database, prepared, seed, timed  # noqa: E402
from inbox_worker.domain.worktime import WorkCalendar  # noqa: E402
from inbox_worker.mail.pipeline import PipelineParams  # noqa: E402
from inbox_worker.mail.sources.imap import mailbox_key  # noqa: E402
from inbox_worker.store import health  # noqa: E402
from inbox_worker.store.models import DecisionLog, OutboxMessage, RawMessage, Ticket  # noqa: E402
from inbox_worker.web import create_app  # noqa: E402

OUTCOMES = ["new_ticket"] * 6 + ["updated_ticket"] * 3 + ["ignored", "quarantined"]
KINDS = ["ack"] * 6 + ["reply"] * 3 + ["summary", "oncall"]
DECISION = {"outcome": "new_ticket", "review": [], "coverage": {"reason": "x" * 200}, "subject": "y" * 100}


def seed_mail(engine: Any, rng: random.Random) -> None:
    """Per ticket: its raw mail and decision (a realistic size) and an outbox row; 1 in 1000 quarantined or queued."""
    with Session(engine) as session:
        tickets = list(session.execute(select(Ticket.id, Ticket.created_at)))
    for start in range(0, len(tickets), 5000):
        chunk = tickets[start:start + 5000]
        raws = [{"dedupe_key": f"<{number}@bench>", "identity": f"<{number}@bench>#x",
                 "message_id": f"<{number}@bench>", "sha256": f"{number:064d}", "size": 4000,
                 "source": "imap:bench", "received_at": created,
                 "state": "processed", "outcome": "quarantined" if rng.random() < 0.001 else rng.choice(OUTCOMES),
                 "processed_at": created} for number, created in chunk]
        with engine.begin() as connection:
            ids = connection.execute(insert(RawMessage).returning(RawMessage.id, sort_by_parameter_order=True),
                                     raws).scalars().all()
            connection.execute(insert(DecisionLog), [
                {"raw_message_id": raw_id, "ticket_id": None, "outcome": raw["outcome"], "decision": DECISION,
                 "trace": [{"stage": "bench", "rule": "r", "reason": "z" * 80}] * 8, "created_at": raw["received_at"]}
                for raw_id, raw in zip(ids, raws, strict=True)])
            connection.execute(insert(OutboxMessage), [
                {"kind": rng.choice(KINDS), "ticket_id": number, "recipient": f"k{number % 500}@kunde.dk",
                 "message_id": f"<out{number}@bench>", "subject": "[MICO #1] Vi har modtaget din henvendelse",
                 "body": b"x" * 3000, "status": "queued" if rng.random() < 0.001 else "sent", "attempts": 1,
                 "next_attempt_at": created, "created_at": created, "sent_at": created} for number, created in chunk])


def run(n: int, db_url: str, workdir: Path, repeat: int) -> dict[str, Any]:
    settings, engine = prepared(db_url, workdir)
    started = time.perf_counter()
    rng = random.Random(42)
    seed(engine, n, rng, WorkCalendar(PipelineParams.from_settings(settings).hours))  # tickets with clocks
    seed_mail(engine, rng)
    if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("tickets", "raw_messages", "decisions", "outbox"):
                connection.execute(text(f"VACUUM ANALYZE {table}"))
    seeded = time.perf_counter() - started
    health.succeeded(engine, mailbox_key(settings.mailbox), datetime.now(UTC) - timedelta(seconds=30), "bench",
                     beat=True)
    app = create_app(settings, engine)
    with app.test_client() as client:
        results = {"/metrics": timed(client, "/metrics", repeat)}
        client.get("/healthz")  # 200 or 503 (the seeded queue is old): timed either way below
        samples = []
        for _ in range(repeat):
            begun = time.perf_counter()
            client.get("/healthz")
            samples.append((time.perf_counter() - begun) * 1000)
        samples.sort()
        results["/healthz"] = {"median_ms": round(samples[len(samples) // 2], 1),
                               "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1)}
    engine.dispose()
    return {"tickets": n, "database": make_url(db_url).get_backend_name(), "seed_seconds": round(seeded, 1),
            "pages": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", help="PostgreSQL admin URL: a fresh database is created there and dropped after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="metrics-bench-") as folder, \
            bench_database(Path(folder), args.pg) as db_url:
        result = run(args.n, db_url, Path(folder), args.repeat)
    print(f"{result['tickets']} tickets, mails and outbox rows on {result['database']} "
          f"(seeded in {result['seed_seconds']} s)")
    for name, figures in result["pages"].items():
        print(f"{name:10} median {figures['median_ms']:>7} ms   p95 {figures['p95_ms']:>7} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
