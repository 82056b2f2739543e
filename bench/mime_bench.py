"""What building an outgoing acknowledgement costs per message: templates plus MIME assembly, CPU time.

Two figures, each the fastest of --repeat runs over --n messages (CPU time of this process, so a busy
machine moves them little):

- `compose_ack`: the whole acknowledgement as the runner makes it (Jinja2 text and HTML, headers, MIME);
- `build_alternative`: the MIME assembly alone, on the headers and bodies of one rendered ack.

With `--ingest N`, also the CPU time per mail of ingesting N mails of `mailgen.py`'s corpus in this
process (parse, decide, render, write to a temporary SQLite; no parse worker), and the share of it
that building the acknowledgements takes.

Run it on two checkouts to compare before and after:

    python bench/mime_bench.py --n 10000
    PYTHONPATH=/path/to/old/checkout python bench/mime_bench.py --n 10000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mailgen

SUBJECT = "Printeren på 1. sal virker ikke, og scanneren på 2. sal siger fejl 0x1F — hjælp 😀"
REFERENCES = tuple(f"<thread-{i}.a1b2c3d4@bageriet-soerensen.dk>" for i in range(6))


def fastest_ms_per_message(work: Callable[[int], object], n: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for i in range(n):
            work(i)
        runs.append(time.process_time() - start)
    return min(runs) / n * 1000


def ingest_cpu_ms_per_mail(n: int) -> tuple[float, int]:
    """CPU ms per mail of ingesting n corpus mails in this process, and how many acks they queued."""
    from sqlalchemy.orm import Session

    from inbox_worker.config import settings_from_dict
    from inbox_worker.mail.batching import chunks
    from inbox_worker.mail.runner import Runner
    from inbox_worker.mail.sources.files import read_mails
    from inbox_worker.store.db import make_engine, migrate
    from inbox_worker.store.registry_import import import_registry

    with tempfile.TemporaryDirectory() as tmp:
        files = mailgen.generate(n, Path(tmp) / "corpus")
        settings = settings_from_dict({"database": {"url": f"sqlite:///{tmp}/bench.db"},
                                       "storage": {"attachments_dir": f"{tmp}/attachments"}})
        engine = make_engine(settings.database.url)
        migrate(engine)
        with Session(engine) as session, session.begin():
            import_registry(session, mailgen.REGISTRY)
        runner = Runner(settings, engine)
        start = time.process_time()
        acks = sum(str(d.ack) == "queued" for _, decisions in runner.run(
            chunks(read_mails([str(f) for f in files], 25.0), 50)) for d in decisions)
        spent = time.process_time() - start
        engine.dispose()
    return spent / n * 1000, acks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ingest", type=int, default=0, metavar="N", help="also ingest N corpus mails (CPU per mail)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)

    import inbox_worker
    from inbox_worker.config import Settings
    from inbox_worker.domain.decision import Decision
    from inbox_worker.domain.enums import AckStatus, Language, Outcome
    from inbox_worker.mail.parse.parser import parse_mail
    from inbox_worker.outbound.mime import build_alternative
    from inbox_worker.outbound.render import Renderer

    now = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    raw = (f"From: Søren Ø. Åberg <soren@bageriet-soerensen.dk>\r\nTo: support@mico.dk\r\nSubject: {SUBJECT}\r\n"
           f"Date: {format_datetime(now)}\r\nMessage-ID: <orig-1@bageriet-soerensen.dk>\r\n"
           f"References: {' '.join(REFERENCES)}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Hej MICO\r\n\r\nPrinteren virker ikke.\r\n").encode()
    mail = parse_mail(raw)
    renderer = Renderer(Settings())

    def ack(i: int) -> object:
        decision = Decision(Outcome.NEW_TICKET, ticket=1000 + i, language=Language.DA, ack=AckStatus.QUEUED)
        return renderer.compose_ack(decision, mail, now)

    sample = ack(0)
    text = renderer.render_text("ack/ack", "da", {"now": now, "ticket": 1000, "subject": SUBJECT, "name": "Søren",
                                                  "received": "20. november 2026 kl. 11.30"})
    html = text.replace("\n", "<br>\n")
    headers = [("From", "MICO ApS <support@mico.dk>"), ("To", "soren@bageriet-soerensen.dk"),
               ("Subject", f"[MICO #1000] {SUBJECT}"), ("Date", format_datetime(now)),
               ("Message-ID", "<ack.0123456789abcdef0123@mico.dk>"), ("X-MICO-Kind", "ack"),
               ("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"), ("X-MICO-Ticket", "1000"),
               ("In-Reply-To", "<orig-1@bageriet-soerensen.dk>"),
               ("References", " ".join([*REFERENCES, "<orig-1@bageriet-soerensen.dk>"]))]
    result = {
        "version": inbox_worker.__version__,
        "n": args.n,
        "compose_ack_ms": round(fastest_ms_per_message(ack, args.n, args.repeat), 4),
        "build_alternative_ms": round(fastest_ms_per_message(
            lambda _: build_alternative(headers, text, html), args.n, args.repeat), 4),  # type: ignore[arg-type]
        "ack_bytes": len(sample.body),  # type: ignore[attr-defined]
    }
    if args.ingest:
        per_mail, acks = ingest_cpu_ms_per_mail(args.ingest)
        result.update(ingest_mails=args.ingest, ingest_cpu_ms_per_mail=round(per_mail, 3), ingest_acks=acks,
                      ack_share_of_ingest=round(result["compose_ack_ms"] * acks / (per_mail * args.ingest), 3))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.n} acknowledgements, fastest of {args.repeat} runs, CPU ms per message:")
        print(f"  compose_ack (templates + MIME)  {result['compose_ack_ms']:.4f}")
        print(f"  build_alternative (MIME only)   {result['build_alternative_ms']:.4f}")
        print(f"  one ack is {result['ack_bytes']} bytes")
        if args.ingest:
            print(f"ingest of {args.ingest} corpus mails ({result['ingest_acks']} acks): "
                  f"{result['ingest_cpu_ms_per_mail']:.3f} CPU ms per mail, "
                  f"{result['ack_share_of_ingest']:.0%} of it building acks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
