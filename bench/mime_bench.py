"""What building an outgoing acknowledgement costs per message: templates plus MIME assembly, CPU time.

Two figures, each the fastest of --repeat runs over --n messages (CPU time of this process, so a busy
machine moves them little):

- `compose_ack`: the whole acknowledgement as the runner makes it (Jinja2 text and HTML, headers, MIME);
- `build_alternative`: the MIME assembly alone, on the headers and bodies of one rendered ack.

Run it on two checkouts to compare before and after:

    python bench/mime_bench.py --n 10000
    PYTHONPATH=/path/to/old/checkout python bench/mime_bench.py --n 10000
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
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
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.n} acknowledgements, fastest of {args.repeat} runs, CPU ms per message:")
        print(f"  compose_ack (templates + MIME)  {result['compose_ack_ms']:.4f}")
        print(f"  build_alternative (MIME only)   {result['build_alternative_ms']:.4f}")
        print(f"  one ack is {result['ack_bytes']} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
