"""Web UI benchmark: with N tickets seeded, how long do the queue page and a ticket page take server-side?

Seeds N tickets (plus two thread entries each) straight into a fresh database with bulk inserts, then
processes one real mail through the worker for the ticket page, logs in through the Flask test client and
times full requests (routing, queries, template rendering) to `/`, a filtered and searched queue, a deep
queue page, the queue by nearest due moment and filtered to "overskredet", and `/tickets/<n>`. Prints
the median and p95 of each in milliseconds, and the median CPU time of the benchmark's own process.

Every seeded ticket has response-time clocks, from the shipped targets (rules/response.toml) on the
working-time calendar, started when it was created: most closed and waiting tickets were answered,
waiting ones are paused, closed ones resolved. The corpus ends at the moment the benchmark runs, so
the newest open tickets are still within their promises and the older ones are overdue: with
statuses independent of age that is most open tickets, the worst case for "overskredet".

    .venv/bin/python bench/web_bench.py --n 50000                  # SQLite in a temporary folder
    .venv/bin/python bench/web_bench.py --n 50000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from inbox_worker.config import Settings, settings_from_dict  # noqa: E402
from inbox_worker.domain import response_clock as clock  # noqa: E402
from inbox_worker.domain.enums import ClockMode  # noqa: E402
from inbox_worker.domain.response_clock import ResponseTargets  # noqa: E402
from inbox_worker.domain.worktime import WorkCalendar  # noqa: E402
from inbox_worker.mail.pipeline import PipelineParams  # noqa: E402
from inbox_worker.mail.runner import Runner  # noqa: E402
from inbox_worker.store import response  # noqa: E402
from inbox_worker.store.db import make_engine, migrate  # noqa: E402
from inbox_worker.store.models import Contact, Customer, Ticket, TicketEntry  # noqa: E402
from inbox_worker.store.registry_import import import_registry  # noqa: E402
from inbox_worker.web import create_app  # noqa: E402
from inbox_worker.web.server import create_staff  # noqa: E402
from tests.mailbuilder import build_mail  # noqa: E402

CATEGORIES = ["network", "printer", "computer", "mobile", "server", "backup", "account", "software", "other"]
REVIEWS = [[]] * 12 + [["unknown-sender"], ["billable"], ["low-confidence"], ["unknown-contact"], ["spoof-suspected"]]
PASSWORD = "benchmark-password"
# The shipped targets of rules/response.toml (first response, resolution in working minutes, clock).
TARGETS = {
    "emergency": ResponseTargets(30, 240, ClockMode.AROUND_THE_CLOCK, "response-emergency", "Akut"),
    "high": ResponseTargets(60, 420, ClockMode.OPENING_HOURS, "response-high", "Høj prioritet"),
    "none": ResponseTargets(420, 2100, ClockMode.OPENING_HOURS, "response-no-agreement", "Ingen aftale"),
    "normal": ResponseTargets(240, 1260, ClockMode.OPENING_HOURS, "response-normal", "Serviceaftale"),
}


def clocks(row: dict[str, Any], now: datetime, calendar: WorkCalendar, rng: random.Random) -> dict[str, Any]:
    """The clock columns of a seeded ticket: started at its creation, then answered, paused or resolved."""
    priority = row["priority"] if row["priority"] in ("emergency", "high") else None
    targets = TARGETS[priority or ("normal" if row["customer_id"] else "none")]
    change = clock.start(targets, row["created_at"], calendar)
    answered = change.clocks.started_at + timedelta(minutes=targets.first_response_minutes * rng.uniform(0.1, 1.6))
    if rng.random() < {"open": 0.6, "waiting": 0.9, "closed": 0.95}[row["status"]] and answered < now:
        change = clock.first_response(change.clocks, answered, "svar fra JH") or change
    if row["status"] == "waiting":
        change = clock.pause(change.clocks, min(now, answered + timedelta(minutes=30))) or change
    if row["status"] == "closed":
        change = clock.resolve(change.clocks, row["closed_at"], calendar) or change
    return response.clock_values(change)


def seed(engine: Any, n: int, rng: random.Random, calendar: WorkCalendar) -> None:
    """N tickets spread over the demo customers (a tenth without one) and their contacts, statuses, categories
    and ages, each with its response-time clocks; the newest was created just now."""
    with Session(engine) as session:
        customers = list(session.execute(select(Customer.id, Customer.account_manager)))
        contacts: dict[int, list[str]] = {}
        for customer_id, email in session.execute(select(Contact.customer_id, Contact.email)):
            contacts.setdefault(customer_id, []).append(email)
    now = datetime.now(UTC)
    start = now - timedelta(minutes=n * 20)
    for offset in range(0, n, 5000):
        tickets, entries = [], []
        for i in range(offset, min(n, offset + 5000)):
            customer = rng.choice(customers) if rng.random() > 0.1 else None
            created = start + timedelta(minutes=i * 20 + rng.randint(0, 19))
            status = rng.choices(["open", "waiting", "closed"], [3, 1, 6])[0]
            coverage = rng.choice(["covered", "billable", "undetermined"])
            tickets.append({
                "subject": f"Sag {i}: {rng.choice(['Printeren', 'Netværket', 'Mailen', 'Serveren'])} driller – æøå",
                "status": status, "customer_id": customer.id if customer else None,
                # the queue shows the contact's name: most tickets of a customer come from a registered contact
                "contact_email": rng.choice(contacts[customer.id]) if customer and contacts.get(customer.id) else None,
                "from_address": f"bruger{i % 997}@kunde{i % 13}.dk",
                "category": rng.choice(CATEGORIES), "priority": rng.choices(["emergency", "high", "normal", "low"],
                                                                            [1, 5, 80, 14])[0],
                "language": "da", "coverage": {"status": coverage, "rate_dkk": 0, "package": None, "rule": "bench",
                                               "reason": "benchmark"},
                "review": rng.choice(REVIEWS), "created_at": created, "updated_at": created,
                "closed_at": created + timedelta(days=1) if status == "closed" else None,
                "assignee": customer.account_manager if customer else None})
            tickets[-1].update(clocks(tickets[-1], now, calendar, rng))
        with engine.begin() as connection:
            ids = connection.execute(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True),
                                     tickets).scalars().all()
            for number, row in zip(ids, tickets, strict=True):
                for kind in ("inbound", "outbound"):
                    entries.append({"ticket_id": number, "kind": kind, "raw_message_id": None, "outbox_id": None,
                                    "author": row["from_address"], "subject": row["subject"],
                                    "body_text": danish_body(rng, kind),
                                    "created_at": row["created_at"]})
            connection.execute(insert(TicketEntry), entries)


# --- search: realistic Danish bodies, and the searches staff make ---------------------------------------------
# Nouns in their inflections (indefinite, definite, plural, definite plural) and verbs in their tenses, so
# that stemming matters: "printerne" must find "printeren". RARE appears in about one body in a thousand.
NOUNS = [("printer", "printeren", "printere", "printerne"), ("computer", "computeren", "computere", "computerne"),
         ("skærm", "skærmen", "skærme", "skærmene"), ("server", "serveren", "servere", "serverne"),
         ("faktura", "fakturaen", "fakturaer", "fakturaerne"), ("licens", "licensen", "licenser", "licenserne"),
         ("opdatering", "opdateringen", "opdateringer", "opdateringerne"), ("netværk", "netværket", "netværk",
                                                                             "netværkene"),
         ("adgangskode", "adgangskoden", "adgangskoder", "adgangskoderne"), ("telefon", "telefonen", "telefoner",
                                                                            "telefonerne"),
         ("mail", "mailen", "mails", "mailsene"), ("router", "routeren", "routere", "routerne")]
PLACES = ["på kontoret", "i butikken", "i kælderen", "hjemme", "på lageret", "i receptionen", "ved kassen"]
SENTENCES = ["{Noun} {place} virker ikke længere.", "Vi har genstartet {noun}, men det hjalp ikke.",
             "Siden i går har {plural} drillet os.", "Kan I se på {definite_plural} i dag?",
             "Der kom en fejlmeddelelse om {noun} i morges.", "Er {noun} dækket af vores aftale?",
             "Jeg har prøvet at slukke og tænde for {noun}.", "De nye {plural} skal sættes op inden mandag.",
             "Søren siger, at {noun} larmer mere end før.", "Hvornår kan I komme ud og kigge på {plural}?"]
RARE = "Kaffemaskinen på første sal lækker også."
SIGNOFFS = ["Med venlig hilsen", "Mvh", "Venlig hilsen", "Hilsen"]
NAMES = ["Lone", "Søren", "Åse", "Mette", "Jens", "Birgitte", "Kasper", "Ærø-Ib"]


def danish_body(rng: random.Random, kind: str) -> str:
    """A support mail (inbound) or a reply (outbound) of a few Danish sentences with inflected words."""
    nouns = rng.sample(NOUNS, 2)
    lines = []
    for template in rng.sample(SENTENCES, rng.randint(2, 4)):
        forms = rng.choice(nouns)
        lines.append(template.format(Noun=forms[1].capitalize(), noun=forms[1], plural=forms[2],
                                     definite_plural=forms[3], place=rng.choice(PLACES)))
    if rng.random() < 0.001:
        lines.append(RARE)
    opening = "Hej MICO" if kind == "inbound" else "Hej " + rng.choice(NAMES)
    return f"{opening}\n\n{' '.join(lines)}\n\n{rng.choice(SIGNOFFS)}\n{rng.choice(NAMES)}"


def link_devices(engine: Engine, rng: random.Random, n: int) -> None:
    """A device of the demo registry on about one ticket in two hundred (staff linked it)."""
    from inbox_worker.store.models import Device, TicketDevice

    with Session(engine) as session, session.begin():
        devices = list(session.scalars(select(Device.id)))
        numbers = rng.sample(range(1, n + 1), max(1, n // 200))
        session.add_all(TicketDevice(ticket_id=number, device_id=rng.choice(devices)) for number in numbers)


def search_pages(number: int) -> dict[str, tuple[str, int]]:
    """The searches timed: (path, expected status). `#n` answers with a redirect to the ticket."""
    return {"search, common word (virker)": ("/?q=virker", 200),
            "search, rare word (kaffemaskinen)": ("/?q=kaffemaskinen", 200),
            "search, inflected form (printerne)": ("/?q=printerne", 200),
            "search, all statuses, inflected (computerne)": ("/?status=&q=computerne", 200),
            "search, contact name (Lone Sørensen)": ("/?q=Lone+S%C3%B8rensen", 200),
            "search, serial (5CG12345XY)": ("/?status=&q=5CG12345XY", 200),
            f"search, #{number} (jump)": (f"/?q=%23{number}", 302)}


def timed_search(client: Any, pages: dict[str, tuple[str, int]], repeat: int) -> dict[str, dict[str, float]]:
    return {name: timed(client, path, repeat, status) for name, (path, status) in pages.items()}


# --- the queue and ticket pages ------------------------------------------------------------------------------


def timed(client: Any, path: str, repeat: int, status: int = 200) -> dict[str, float]:
    for _ in range(3):  # warm-up: template compilation, statement caches, the database's page cache
        assert client.get(path).status_code == status, path
    samples, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == status, path
    samples.sort()
    # CPU time of this process (the app, and SQLite's own work; not PostgreSQL's): steadier than the wall clock
    # on a machine shared with other work, so what compares two versions of the code there.
    return {"median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1),
            "cpu_median_ms": round(statistics.median(cpu), 1)}


def pg_database(admin_url: str) -> tuple[str, Any]:
    name = f"inbox_webbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), (admin, name)


@contextlib.contextmanager
def bench_database(workdir: Path, pg_admin_url: str | None) -> Iterator[str]:
    """SQLite in `workdir`, or a fresh PostgreSQL database (dropped afterwards) when given an admin URL."""
    if not pg_admin_url:
        yield f"sqlite:///{workdir / 'inbox.db'}"
        return
    db_url, (admin, name) = pg_database(pg_admin_url)
    try:
        yield db_url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def prepared(db_url: str, workdir: Path) -> tuple[Settings, Engine]:
    """Settings for a benchmark run, and its database migrated with the demo registry imported."""
    settings = settings_from_dict({"database": {"url": db_url},
                                   "storage": {"attachments_dir": str(workdir / "attachments")},
                                   "web": {"secret_key": "bench-secret-key-0123456789"}}, "bench")
    engine = make_engine(db_url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, ROOT / "inbox_worker" / "demo" / "registry.toml")
    return settings, engine


def run(n: int, db_url: str, workdir: Path, repeat: int) -> dict[str, Any]:
    settings, engine = prepared(db_url, workdir)
    calendar = WorkCalendar(PipelineParams.from_settings(settings).hours)
    started = time.perf_counter()
    seed(engine, n, random.Random(42), calendar)
    link_devices(engine, random.Random(43), n)
    if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE tickets"))
            connection.execute(text("VACUUM ANALYZE ticket_entries"))
            connection.execute(text("VACUUM ANALYZE"))  # the search index too, where there is one
    seeded = time.perf_counter() - started
    number = Runner(settings, engine).process(build_mail(), "bench")["ticket"]
    with Session(engine) as session, session.begin():  # the ticket page shows its clocks and their history
        ticket = session.get(Ticket, number)
        assert ticket is not None
        begun = clock.start(TARGETS["normal"], ticket.created_at, calendar)
        response.record(session, ticket, begun, ticket.created_at)
        answer = clock.first_response(begun.clocks, ticket.created_at + timedelta(minutes=40), "svar fra JH")
        assert answer is not None
        response.record(session, ticket, answer, ticket.created_at + timedelta(minutes=40), actor="JH")
    create_staff(engine, "bench@mico.dk", "Bench", "JH", PASSWORD)
    app = create_app(settings, engine)
    with app.test_client() as client:
        with client.session_transaction() as session:
            session["csrf"] = "bench-csrf"
        client.post("/login", data={"email": "bench@mico.dk", "password": PASSWORD, "csrf_token": "bench-csrf"})
        client.post(f"/tickets/{number}/note", data={"text": "Ringede til Lone", "csrf_token": "bench-csrf"})
        pages = {"queue /": "/", "queue, all statuses, customer + search": "/?status=&customer=bageriet&q=printer",
                 "queue, mine, page 20": "/?mine=1&status=&page=20",
                 "queue, nearest due": "/?sort=due", "queue, overskredet": "/?overdue=1",
                 "queue, overskredet, nearest due, page 20": "/?overdue=1&sort=due&page=20",
                 "queue, all statuses, nearest due": "/?status=&sort=due",
                 f"ticket /tickets/{number}": f"/tickets/{number}"}
        results = {name: timed(client, path, repeat) for name, path in pages.items()}
        results.update(timed_search(client, search_pages(number), repeat))
    engine.dispose()
    return {"tickets": n + 1, "database": make_url(db_url).get_backend_name(), "seed_seconds": round(seeded, 1),
            "pages": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", help="PostgreSQL admin URL: a fresh database is created there and dropped after")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="web-bench-") as folder, bench_database(Path(folder), args.pg) as db_url:
        result = run(args.n, db_url, Path(folder), args.repeat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{result['tickets']} tickets on {result['database']} (seeded in {result['seed_seconds']} s)")
    print(f"{'page':45} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7}")
    for name, figures in result["pages"].items():
        print(f"{name:45} {figures['median_ms']:>10} {figures['p95_ms']:>8} {figures['cpu_median_ms']:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
