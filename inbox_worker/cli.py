"""The `inbox-worker` command line (shared/docs/interface.md): argument parsing and printing only."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from inbox_worker.config import Settings, load_settings
from inbox_worker.errors import DatabaseBusy, UserError

DEMO_DIR = Path(__file__).resolve().parent / "demo"
log = logging.getLogger("inbox_worker")


def _engine(settings: Settings, *, migrate_first: bool = False) -> Any:
    from inbox_worker.store.db import make_engine, migrate, require_schema

    engine = make_engine(settings.database.url, settings.database.busy_timeout_seconds)
    if migrate_first:
        migrate(engine)
    else:
        require_schema(engine)
    return engine


def cmd_init_db(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.store.db import make_engine, migrate

    revision = migrate(make_engine(settings.database.url, settings.database.busy_timeout_seconds))
    print(f"database ready at schema revision {revision}")
    return 0


def cmd_registry_import(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.store.registry_import import import_registry

    engine = _engine(settings)
    with Session(engine) as session, session.begin():
        summary = import_registry(session, Path(args.file))
    print(f"{args.file}: customers {summary.customers[0]} new, {summary.customers[1]} updated; "
          f"contacts {summary.contacts[0]} new, {summary.contacts[1]} updated; "
          f"devices {summary.devices[0]} new, {summary.devices[1]} updated")
    return 0


def _ingest(settings: Settings, paths: list[str], emit: Callable[[str, dict[str, Any]], None]) -> Counter[str]:
    from inbox_worker.mail.ingest import ingest_paths
    from inbox_worker.mail.runner import Runner
    from inbox_worker.mail.sources.files import expand

    expand(paths)  # a missing path fails before the database is touched
    return ingest_paths(Runner(settings, _engine(settings)), paths, emit)


def _describe(source: str, decision: dict[str, Any]) -> str:
    ticket = f"#{decision['ticket']}" if decision.get("ticket") else "-"
    extra = decision.get("reason") or decision.get("ack_reason") or ""
    return f"{source.removeprefix('file:')}: {decision['outcome']} {ticket} ack={decision['ack']} {extra}".rstrip()


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    def emit(source: str, decision: dict[str, Any]) -> None:
        print(json.dumps(decision, ensure_ascii=False) if args.json else _describe(source, decision), flush=True)

    outcomes = _ingest(settings, args.paths, emit)
    if not args.json:
        print(", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "no mail")
    return 0


def cmd_explain(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.mail.explain import explain

    print(json.dumps(explain(settings, args.file), ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.mail.sources.imap import CONNECTION_ERRORS
    from inbox_worker.mail.worker import MailboxWorker

    if not args.once:
        raise UserError("poll needs --once (the long-running worker is 'inbox-worker run')")
    worker = MailboxWorker(settings, _engine(settings))
    try:
        stats = worker.run_once()
    except CONNECTION_ERRORS as exc:
        raise UserError(f"mailbox {worker.key}: {type(exc).__name__}: {exc}") from None
    finally:
        worker.close()
    if stats.skipped:
        print(f"{worker.key}: another worker holds the mailbox; nothing done")
    else:
        print(f"{worker.key}: {stats.fetched} fetched, {stats.processed} processed")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.schedule import run

    return run(settings, _engine(settings))


def cmd_outbox_flush(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.outbox.flush import flush_outbox

    summary = flush_outbox(settings, _engine(settings))
    print(f"outbox: {summary.sent} sent, {summary.retrying} to retry, {summary.failed} failed"
          + (f", {summary.uncertain} uncertain (not retried: see outbox list)" if summary.uncertain else "")
          + (f", {summary.interrupted} interrupted earlier (held as uncertain)" if summary.interrupted else ""))
    return 0


def cmd_outbox_list(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.outbox.desk import NOT_SENT, desk_rows
    from inbox_worker.features.outbox.table import outbox_table

    with Session(_engine(settings)) as session:
        rows = desk_rows(session, [args.status] if args.status else NOT_SENT)
    if args.json:
        for row in rows:
            print(json.dumps(row.as_json(), ensure_ascii=False))
    else:
        print(outbox_table(rows, settings.company.timezone))
    return 0


def _outbox_change(args: argparse.Namespace, settings: Settings) -> int:
    """`outbox retry` and `outbox cancel`: all the rows named, or none of them (one line says why)."""
    import getpass

    from inbox_worker.features.outbox import desk

    ids = desk.parse_ids(args.ids)
    try:
        by = args.by or getpass.getuser()
    except OSError:
        raise UserError("say who does it with --by") from None
    change = desk.retry if args.sub == "retry" else desk.cancel
    with Session(_engine(settings)) as session, session.begin():
        lines = change(session, ids, by, datetime.now(UTC), settings.company.timezone)
    print("\n".join(lines))
    return 0


def cmd_tickets_list(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.queue.listing import queue_table
    from inbox_worker.features.queue.rows import ticket_rows

    with Session(_engine(settings)) as session:
        rows = ticket_rows(session, status=args.status)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(queue_table(rows))
    return 0


def cmd_tickets_set_coverage(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses
    import getpass

    from inbox_worker.features.tickets.ops import set_coverage

    try:
        by = args.by or getpass.getuser()
    except OSError:
        raise UserError("say who decides with --by") from None
    with Session(_engine(settings)) as session, session.begin():
        coverage = set_coverage(session, args.ticket, args.status, args.reason, by,
                                dataclasses.asdict(settings.rates), rate=args.rate,
                                timezone=settings.company.timezone)
    rate = "" if coverage.status == "covered" else f", {coverage.rate_dkk} kr./time"
    print(f"#{args.ticket}: dækning sat til {coverage.status}{rate} ({coverage.reason})")
    return 0


def cmd_tickets_set_targets(args: argparse.Namespace, settings: Settings) -> int:
    import getpass
    from zoneinfo import ZoneInfo

    from inbox_worker.domain.working_minutes import parse_working_minutes
    from inbox_worker.features.tickets.clocks import ClockSetup
    from inbox_worker.features.tickets.targets import set_targets
    from inbox_worker.mail.decide.response import danish_moment
    from inbox_worker.web.labels import duration

    first = parse_working_minutes(args.first, "--first")
    resolution = parse_working_minutes(args.resolution, "--resolution")
    try:
        by = args.by or getpass.getuser()
    except OSError:
        raise UserError("sig, hvem der sætter fristerne, med --by") from None
    setup = ClockSetup.from_settings(settings)
    with Session(_engine(settings)) as session, session.begin():
        change = set_targets(session, args.ticket, first, resolution, args.clock, args.reason, by, setup,
                             datetime.now(UTC))
    zone, clocks = ZoneInfo(settings.company.timezone), change.clocks
    clock = "døgnet rundt" if clocks.targets.mode == "around_the_clock" else "i åbningstiden"
    print(f"#{args.ticket}: frister sat af {by}: første svar {duration(first)}, løst {duration(resolution)} ({clock})")
    print(f"  første svar senest {danish_moment(clocks.first_response_due, zone)}, "
          f"løst senest {danish_moment(clocks.resolution_due, zone)}")
    return 0


def cmd_tickets_log_time(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses
    from datetime import date

    from inbox_worker.features.tickets.ops import log_time

    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        raise UserError(f"--date must look like 2026-05-04, not {args.date!r}") from None
    with Session(_engine(settings)) as session, session.begin():
        entry = log_time(session, args.ticket, args.minutes, args.by, dataclasses.asdict(settings.rates),
                         note=args.note, coverage=args.coverage, work_date=day, corrects=args.corrects,
                         timezone=settings.company.timezone)
    rate = "" if entry.status == "covered" else f", {entry.rate_dkk} kr./time"
    print(f"#{entry.ticket}: tidsregistrering {entry.id}: {entry.minutes} min {entry.work_date} af {entry.by}, "
          f"{entry.status}{rate}")
    return 0


def cmd_billing_export(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.billing.lines import Quarter, invoice, render_csv
    from inbox_worker.features.billing.queries import billing_customers, billing_time
    from inbox_worker.features.billing.summary import summary_text

    quarter = Quarter.parse(args.quarter)
    with Session(_engine(settings)) as session:
        result = invoice(billing_customers(session), billing_time(session, quarter), quarter,
                         settings.billing.round_up_minutes)
    text = render_csv(result)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{args.out}: cannot write: {exc.strerror}") from None
        print(summary_text(result))
        print(f"CSV: {args.out}")
    else:  # the CSV on stdout for a pipe, the summary on stderr
        sys.stdout.write(text)
        print(summary_text(result), file=sys.stderr)
    return 0


def cmd_summary_send(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.summary.build import IsoWeek
    from inbox_worker.features.summary.send import send_summaries

    week = IsoWeek.parse(args.week) if args.week else IsoWeek.last_completed(datetime.now(UTC),
                                                                             settings.company.timezone)
    run = send_summaries(settings, _engine(settings), week, customer=args.customer, dry_run=args.dry_run)
    for key, subject, text in run.previews:
        print(f"--- {key}: {subject}\n{text}")
    for key, recipient in run.sent:
        print(f"{key}: ugeoversigt for {week} lagt i udbakken til {recipient}")
    for key, why in run.skipped:
        print(f"{key}: ikke sendt ({why})")
    verb = "ville blive sendt" if args.dry_run else "lagt i udbakken"
    print(f"Uge {week}: {len(run.previews) if args.dry_run else len(run.sent)} ugeoversigt(er) {verb}, "
          f"{len(run.skipped)} sprunget over")
    return 0


def cmd_sla_report(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.response.report import Month, month_report, report_json
    from inbox_worker.features.response.report_text import report_table
    from inbox_worker.store.db import READ_ONLY

    month = Month.parse(args.month)
    with Session(_engine(settings)) as session:
        session.connection(execution_options=READ_ONLY)
        report = month_report(session, settings, month, args.customer, datetime.now(UTC))
    print(json.dumps(report_json(report), ensure_ascii=False, indent=2) if args.json
          else report_table(report, settings.company.timezone))
    return 0


def _local(moment: datetime | None, settings: Settings) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(settings.company.timezone)).strftime("%Y-%m-%d %H:%M") if moment else "-"


def cmd_quarantine_list(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.store.quarantine import quarantined

    with Session(_engine(settings)) as session:
        mails = quarantined(session, args.reason)
    if args.json:
        for mail in mails:
            print(json.dumps(mail.as_json(), ensure_ascii=False))
        return 0
    for mail in mails:
        print(f"{mail.id:>6}  {_local(mail.received_at, settings)}  {mail.rule:<18}  {(mail.sender or '-')[:40]:<40}  "
              f"{(mail.subject or '(intet emne)')[:60]}")
    print(f"{len(mails)} mail(s) i karantæne" + (f" med årsagen {args.reason!r}" if args.reason else ""))
    return 0


def cmd_quarantine_show(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.quarantine.desk import header_block
    from inbox_worker.store.quarantine import history, quarantined, raw_bytes, raw_message

    with Session(_engine(settings)) as session:
        raw = raw_message(session, args.id)
        if raw is None:
            raise UserError(f"quarantine show: ingen gemt mail med id {args.id}")
        found = quarantined(session, ids=[args.id])
        data, decisions = raw_bytes(session, raw), history(session, args.id)
    print(f"Mail {raw.id}: {'i karantæne' if found else raw.state + ' / ' + (raw.outcome or '-')}")
    if found:
        print(f"Årsag: {found[0].rule}: {found[0].reason}")
    print(f"Modtaget: {_local(raw.received_at, settings)}  ankommet: {_local(raw.arrived_at, settings)}  "
          f"størrelse: {raw.size} bytes\nKilde: {raw.source}\nMessage-ID: {raw.message_id or '-'}")
    if raw.superseded_by_id:
        print(f"Erstattet af mail {raw.superseded_by_id}")
    print("Historik:")
    for entry in decisions:
        what = f"#{entry.ticket}" if entry.ticket else (entry.rule or "")
        print(f"  {_local(entry.at, settings)}  {entry.outcome}  {what}  {entry.reason or ''}".rstrip())
    print("Headers:\n" + header_block(data))
    return 0


def _reprocessed(results: list[Any]) -> int:
    refused = 0
    for result in results:
        if result.decision is None:
            refused += 1
            print(f"mail {result.raw_id}: ikke behandlet igen: {result.refused}")
            continue
        decision = result.decision.as_json()
        print(f"mail {result.raw_id}: {_describe('behandlet igen', decision)}")
    return 1 if refused else 0


def cmd_quarantine_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from inbox_worker.features.quarantine.desk import reprocess, reprocess_all
    from inbox_worker.mail.runner import Runner

    if bool(args.ids) == bool(args.all):
        raise UserError("quarantine reprocess: name the mails (ID ...) or say --all, not both")
    if args.reason and not args.all:
        raise UserError("quarantine reprocess: --reason goes with --all")
    runner = Runner(settings, _engine(settings))
    by = (args.by or getpass.getuser())[:16]
    results = reprocess_all(runner, args.reason, by) if args.all else reprocess(runner, args.ids, by)
    return _reprocessed(results)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.store.backup import backup

    result = backup(settings.database.url, settings.storage.attachments_dir, Path(args.file),
                    settings.database.busy_timeout_seconds)
    counts, megabytes = result.counts, (result.database_bytes + result.attachment_bytes) / 1e6
    print(f"{result.path}: backup of {counts['tickets']} tickets, {counts['messages']} mails, "
          f"{result.attachment_files} attachment files ({megabytes:.1f} MB before compression)")
    for relative in result.missing:
        print(f"inbox-worker: backup: attachment {relative} is missing or unreadable in "
              f"{settings.storage.attachments_dir}: not in the backup", file=sys.stderr)
    for relative in result.damaged:
        print(f"inbox-worker: backup: attachment {relative} in {settings.storage.attachments_dir} does not match "
              "its sha256 (backed up as it is)", file=sys.stderr)
    return 1 if result.missing or result.damaged else 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.queue.listing import queue_table
    from inbox_worker.features.queue.rows import ticket_rows
    from inbox_worker.store.registry_import import import_registry

    engine = _engine(settings, migrate_first=True)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO_DIR / "registry.toml")
    print(f"Demo-register indlæst fra {DEMO_DIR / 'registry.toml'}")
    outcomes = _ingest(settings, [str(DEMO_DIR / "inbox")], lambda source, decision: None)
    print("Demo-indbakke behandlet: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    print(f"Database: {settings.database.url}\n")
    with Session(engine) as session:
        print(queue_table(ticket_rows(session)))
    print(f"\nSe en beslutning i detaljer: inbox-worker explain {DEMO_DIR / 'inbox' / '01-printer-printer-ikke.eml'}")
    _demo_web_hint(settings, engine)
    return 0


def cmd_rules_copy(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.defaults.copy_out import copy_defaults

    copied = copy_defaults(Path(args.dir), force=args.force)
    print(f"{copied.rules_files} rules files written to {copied.rules_dir}")
    print(f"{copied.template_files} templates written to {copied.templates_dir}")
    if copied.overwritten:
        print(f"({copied.overwritten} existing files overwritten)")
    print("Edit the copies, and point the config file at them (section [paths]):\n\n[paths]")
    print("\n".join(copied.config_lines()))
    return 0


def _version() -> str:
    """The installed distribution's version (a checkout run without installing says so)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"inbox-worker {version('inbox-worker')}"
    except PackageNotFoundError:
        from inbox_worker import __version__

        return f"inbox-worker {__version__} (not installed)"


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.web.server import serve

    serve(settings, _engine(settings), args.host or settings.web.host, args.port or settings.web.port)
    return 0


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.web.server import create_staff, password_from

    email, initials = create_staff(_engine(settings), args.email, args.name or "", args.initials or "",
                                   password_from(args.password_env))
    print(f"staff member {email} ({initials}) added; log in at inbox-worker web")
    return 0


def _demo_web_hint(settings: Settings, engine: Any) -> None:
    from inbox_worker.web.server import demo_login

    login = demo_login(engine)
    print(f"\nTriagekøen i browseren: inbox-worker web   (åbn derefter http://{settings.web.host}:{settings.web.port}/)")
    if login:
        print(f"Demo-login (vises kun denne ene gang): {login[0]} / {login[1]}")
    else:
        print("Demo-login: demo@mico.dk findes allerede (adgangskoden blev vist første gang; "
              "opret en ny med inbox-worker staff add)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inbox-worker", description="MICO ApS support-inbox processor")
    parser.add_argument("--config", help="config file (default: $INBOX_WORKER_CONFIG, else ./config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action="version", version=_version(), help="print the installed version")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init-db", help="create or migrate the database").set_defaults(run=cmd_init_db)
    registry = commands.add_parser("registry", help="customer registry").add_subparsers(dest="sub", required=True)
    imp = registry.add_parser("import", help="load customers, contacts, devices from a registry file")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_registry_import)

    ingest = commands.add_parser("ingest", help="run .eml files or Maildir folders through the pipeline")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--json", action="store_true", help="one decision object per message, one per line")
    ingest.set_defaults(run=cmd_ingest)

    explain = commands.add_parser("explain", help="the decision for one .eml, without writing anything")
    explain.add_argument("file")
    explain.set_defaults(run=cmd_explain)

    poll = commands.add_parser("poll", help="fetch and process what is new in the IMAP mailbox")
    poll.add_argument("--once", action="store_true", help="one cycle, then exit")
    poll.set_defaults(run=cmd_poll)
    commands.add_parser("run", help="the long-running worker: IMAP polling (IDLE), outbox delivery"
                        ).set_defaults(run=cmd_run)

    outbox = commands.add_parser("outbox", help="outgoing mail").add_subparsers(dest="sub", required=True)
    outbox.add_parser("flush", help="deliver queued mail by SMTP now").set_defaults(run=cmd_outbox_flush)
    outbox_list = outbox.add_parser("list", help="outgoing mail not sent (the failed-sends desk)")
    outbox_list.add_argument("--status", choices=["queued", "sending", "failed", "uncertain", "sent", "cancelled"],
                             help="only rows in this state (default: every row not sent)")
    outbox_list.add_argument("--json", action="store_true", help="one object per row, one per line")
    outbox_list.set_defaults(run=cmd_outbox_list)
    for name, what in (("retry", "queue failed or uncertain mail again, to be sent by the next flush"),
                       ("cancel", "mark mail never to be sent")):
        change = outbox.add_parser(name, help=what)
        change.add_argument("ids", nargs="+", metavar="ID", help="outbox ids, as outbox list shows them")
        change.add_argument("--by", help="who does it, for the audit log (default: the login name)")
        change.set_defaults(run=_outbox_change)

    quarantine = commands.add_parser("quarantine", help="mail that could not be processed"
                                     ).add_subparsers(dest="sub", required=True)
    q_list = quarantine.add_parser("list", help="what is in quarantine, oldest first")
    q_list.add_argument("--reason", help="only this rule id (e.g. truncated-mime), or words of the reason")
    q_list.add_argument("--json", action="store_true", help="one object per mail, one per line")
    q_list.set_defaults(run=cmd_quarantine_list)
    q_show = quarantine.add_parser("show", help="one quarantined mail: why, its history and its headers")
    q_show.add_argument("id", type=int)
    q_show.set_defaults(run=cmd_quarantine_show)
    q_again = quarantine.add_parser("reprocess", help="run stored mail through today's rules and code again")
    q_again.add_argument("ids", nargs="*", type=int, metavar="ID")
    q_again.add_argument("--all", action="store_true", help="everything in quarantine (or with --reason)")
    q_again.add_argument("--reason", help="with --all: only this rule id, or words of the reason")
    q_again.add_argument("--by", help="who takes it back (default: the login name)")
    q_again.set_defaults(run=cmd_quarantine_reprocess)

    tickets = commands.add_parser("tickets", help="the ticket queue").add_subparsers(dest="sub", required=True)
    listing = tickets.add_parser("list", help="list tickets")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--status", choices=["open", "waiting", "closed"])
    listing.set_defaults(run=cmd_tickets_list)
    override = tickets.add_parser("set-coverage", help="staff override of a ticket's coverage")
    override.add_argument("ticket", type=int)
    override.add_argument("status", choices=["covered", "billable"])
    override.add_argument("--rate", help="a rate key of [rates] (agreement, trial, none) or DKK per hour")
    override.add_argument("--reason", required=True)
    override.add_argument("--by", help="who decides (default: the login name)")
    override.set_defaults(run=cmd_tickets_set_coverage)
    targets = tickets.add_parser(
        "set-targets", help="staff override of a ticket's response-time targets (wins over the rules)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Durations are working time: 90 (minutes), 1:30 (hours:minutes) or 4t (hours).\n"
               "example: inbox-worker tickets set-targets 1042 --first 1:00 --resolution 2t "
               "--reason \"Aftalt med kunden i telefonen\"")
    targets.add_argument("ticket", type=int)
    targets.add_argument("--first", required=True, help="working time to the first response, e.g. 90 or 1:30")
    targets.add_argument("--resolution", required=True, help="working time to the resolution, e.g. 7t or 420")
    targets.add_argument("--clock", choices=["opening_hours", "around_the_clock"],
                         help="the clock the targets run on (default: the ticket's clock now)")
    targets.add_argument("--reason", required=True, help="why (kept with the targets and in the audit log)")
    targets.add_argument("--by", help="who decides, e.g. staff initials (default: the login name)")
    targets.set_defaults(run=cmd_tickets_set_targets)
    log_time = tickets.add_parser("log-time", help="a time entry on a ticket (entries are never edited)")
    log_time.add_argument("ticket", type=int)
    log_time.add_argument("minutes", type=int, help="minutes spent; negative only with --corrects")
    log_time.add_argument("--by", required=True, help="the staff member's initials")
    log_time.add_argument("--note")
    log_time.add_argument("--date", help="the day the work was done (default: today)")
    log_time.add_argument("--corrects", type=int, help="the id of the entry this one corrects")
    which = log_time.add_mutually_exclusive_group()
    which.add_argument("--billable", dest="coverage", action="store_const", const="billable")
    which.add_argument("--covered", dest="coverage", action="store_const", const="covered")
    log_time.set_defaults(run=cmd_tickets_log_time)

    billing = commands.add_parser("billing", help="invoicing").add_subparsers(dest="sub", required=True)
    export = billing.add_parser("export", help="the quarter's invoice lines per customer as CSV")
    export.add_argument("--quarter", required=True, help="e.g. 2026-Q2")
    export.add_argument("--out", help="write the CSV here (default: stdout, summary on stderr)")
    export.set_defaults(run=cmd_billing_export)

    summary = commands.add_parser("summary", help="weekly summaries").add_subparsers(dest="sub", required=True)
    send = summary.add_parser("send", help="queue the week's summary to each customer's contact person (once)")
    send.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the week that just ended)")
    send.add_argument("--customer", help="only this customer (registry key)")
    send.add_argument("--dry-run", action="store_true", help="print what would be sent; send and record nothing")
    send.set_defaults(run=cmd_summary_send)

    sla = commands.add_parser("sla", help="response-time targets").add_subparsers(dest="sub", required=True)
    report = sla.add_parser(
        "report", help="targets met per customer and priority, with median and 90th-percentile times",
        description="Tickets whose clocks started in the month (Copenhagen time), as of now: first response and "
                    "resolution met %, open, median and 90th percentile (nearest rank) in working hours.",
        epilog="example: inbox-worker sla report --month 2026-11 --customer bageriet")
    report.add_argument("--month", required=True, help="e.g. 2026-11")
    report.add_argument("--customer", help="only this customer (registry key)")
    report.add_argument("--json", action="store_true", help="one JSON object (English keys, minutes and hours)")
    report.set_defaults(run=cmd_sla_report)

    web = commands.add_parser("web", help="the staff web UI (waitress)")
    web.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    web.add_argument("--port", type=int, help="port (default: web.port, 8080)")
    web.set_defaults(run=cmd_web)
    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(dest="sub", required=True)
    add = staff.add_parser("add", help="a staff login for the web UI (password asked, or --password-env)")
    add.add_argument("email")
    add.add_argument("--name")
    add.add_argument("--initials", help="e.g. JH (default: from the name)")
    add.add_argument("--password-env", help="read the password from this environment variable")
    add.set_defaults(run=cmd_staff_add)

    backup = commands.add_parser("backup", help="a consistent backup of the SQLite database and its attachments, "
                                 "while the worker runs")
    backup.add_argument("file", help="the archive to write, e.g. /var/backups/inbox-worker/inbox-2026-05-04.tar.gz")
    backup.set_defaults(run=cmd_backup)

    commands.add_parser("demo", help="demo registry + demo inbox into the default database; print the queue"
                        ).set_defaults(run=cmd_demo)

    rules = commands.add_parser("rules", help="the rules and templates staff edit"
                                ).add_subparsers(dest="sub", required=True)
    copy = rules.add_parser("copy", help="write the shipped default rules and templates to DIR/rules and "
                            "DIR/templates, to edit and point [paths] at")
    copy.add_argument("dir", metavar="DIR")
    copy.add_argument("--force", action="store_true", help="overwrite files that already exist there")
    copy.set_defaults(run=cmd_rules_copy)
    return parser


def _config_first(argv: list[str]) -> list[str]:
    """`--config FILE` is accepted anywhere on the line (interface.md), not only before the command."""
    rest, found = [], []
    items = iter(argv)
    for item in items:
        if item == "--config":
            found = ["--config", next(items, "")]
        elif item.startswith("--config="):
            found = ["--config", item.partition("=")[2]]
        else:
            rest.append(item)
    return found + rest


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(_config_first(list(sys.argv[1:] if argv is None else argv)))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
        result: int = args.run(args, settings)
        return result
    except UserError as exc:
        print(f"inbox-worker: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from inbox_worker.store.db import is_busy

        if not is_busy(exc):
            raise
        print(f"inbox-worker: {DatabaseBusy(str(exc).splitlines()[0])}", file=sys.stderr)
        return 2
    finally:
        from inbox_worker.store.db import dispose_engines

        dispose_engines()
