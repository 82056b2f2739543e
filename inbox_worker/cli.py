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

from inbox_worker import logsetup
from inbox_worker.argparse_da import Commands, Parser, command, group, typed
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


def _who(given: str | None, what: str) -> str:
    """Who does it, for the audit log: --by, else the login name."""
    import getpass

    try:
        return given or getpass.getuser()
    except OSError:
        raise UserError(f"sig hvem der {what}, med --by") from None


def cmd_init_db(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.store.db import make_engine, migrate

    revision = migrate(make_engine(settings.database.url, settings.database.busy_timeout_seconds))
    print(f"Databasen er klar (skemaversion {revision})")
    return 0


def cmd_registry_import(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import count
    from inbox_worker.store.registry_import import import_registry, summary_json, unlisted_lines

    engine = _engine(settings)
    with Session(engine) as session, session.begin():
        summary = import_registry(session, Path(args.file), prune=args.prune)
    if args.json:
        print(json.dumps({"file": args.file, **summary_json(summary)}, ensure_ascii=False))
        return 0
    print(f"{args.file}: " + "; ".join(
        f"{what} {count(new, 'ny', 'nye')}, {updated} opdateret"
        for what, (new, updated) in (("kunder", summary.customers), ("kontakter", summary.contacts),
                                     ("enheder", summary.devices))))
    for line in unlisted_lines(summary, args.prune):
        print(line)
    return 0


def _ingest(settings: Settings, paths: list[str], emit: Callable[[str, dict[str, Any]], None]) -> Counter[str]:
    from inbox_worker.mail.ingest import ingest_paths
    from inbox_worker.mail.runner import Runner
    from inbox_worker.mail.sources.files import expand

    expand(paths)  # a missing path fails before the database is touched
    return ingest_paths(Runner(settings, _engine(settings)), paths, emit)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import decision_line, outcome_counts

    def emit(source: str, decision: dict[str, Any]) -> None:
        text = f"{source.removeprefix('file:')}: {decision_line(decision)}"
        print(json.dumps(decision, ensure_ascii=False) if args.json else text, flush=True)

    outcomes = _ingest(settings, args.paths, emit)
    if not args.json:
        print(outcome_counts(outcomes))
    return 0


def cmd_explain(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.mail.explain import explain

    print(json.dumps(explain(settings, args.file), ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import count
    from inbox_worker.mail.sources.imap import CONNECTION_ERRORS
    from inbox_worker.mail.worker import MailboxWorker

    if not args.once:
        raise UserError("poll kræver --once (arbejderen, der kører hele tiden, er 'inbox-worker run')")
    worker = MailboxWorker(settings, _engine(settings))
    try:
        stats = worker.run_once()
    except CONNECTION_ERRORS as exc:
        raise UserError(f"postkassen {worker.key} kunne ikke læses: {type(exc).__name__}: {exc}") from None
    finally:
        worker.close()
    if stats.skipped:
        print(f"{worker.key}: en anden proces arbejder i postkassen lige nu; intet gjort")
    else:
        print(f"{worker.key}: {count(stats.fetched, 'mail', 'mails')} hentet, {stats.processed} behandlet")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.schedule import run

    return run(settings, _engine(settings))


def cmd_outbox_flush(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.outbox.flush import flush_outbox
    from inbox_worker.features.outbox.report import flush_report

    engine = _engine(settings)
    summary = flush_outbox(settings, engine)
    with Session(engine) as session:
        print("\n".join(flush_report(session, summary, settings.company.timezone, settings.smtp.host)))
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
        print(outbox_table(rows, settings.company.timezone, settings.smtp.host))
    return 0


def _outbox_change(args: argparse.Namespace, settings: Settings) -> int:
    """`outbox retry` and `outbox cancel`: all the rows named, or none of them (one line says why)."""
    from inbox_worker.features.outbox import desk

    ids = desk.parse_ids(args.ids)
    by = _who(args.by, "gør det")
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


def _coverage_text(status: str, rate_dkk: int) -> str:
    from inbox_worker.domain.labels import label

    return label(status, "coverage").lower() + ("" if status == "covered" else f", {rate_dkk} kr./time")


def cmd_tickets_set_coverage(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from inbox_worker.features.tickets.ops import set_coverage

    by = _who(args.by, "afgør det")
    with Session(_engine(settings)) as session, session.begin():
        coverage = set_coverage(session, args.ticket, args.status, args.reason, by,
                                dataclasses.asdict(settings.rates), rate=args.rate,
                                timezone=settings.company.timezone)
    print(f"#{args.ticket}: dækning sat til {_coverage_text(coverage.status, coverage.rate_dkk)} ({coverage.reason})")
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

    from inbox_worker.domain.labels import duration
    from inbox_worker.features.tickets.ops import log_time

    with Session(_engine(settings)) as session, session.begin():
        entry = log_time(session, args.ticket, args.minutes, args.by, dataclasses.asdict(settings.rates),
                         note=args.note, coverage=args.coverage, work_date=args.date, corrects=args.corrects,
                         timezone=settings.company.timezone)
    print(f"#{entry.ticket}: tidsregistrering {entry.id}: {duration(entry.minutes)} den {entry.work_date:%d.%m.%Y} "
          f"af {entry.by}, {_coverage_text(entry.status, entry.rate_dkk)}")
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
            raise UserError(f"{args.out}: kan ikke skrive CSV-filen: {exc.strerror}") from None
        print(summary_text(result))
        print(f"CSV: {args.out}")
    else:  # the CSV on stdout for a pipe, the summary on stderr
        sys.stdout.write(text)
        print(summary_text(result), file=sys.stderr)
    return 0


def cmd_summary_send(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import count
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
    made = count(len(run.previews) if args.dry_run else len(run.sent), "ugeoversigt", "ugeoversigter")
    print(f"Uge {week}: {made} {verb}, {len(run.skipped)} sprunget over")
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
    from inbox_worker.features.quarantine.text import listing
    from inbox_worker.store.quarantine import quarantined

    with Session(_engine(settings)) as session:
        mails = quarantined(session, args.reason)
    if args.json:
        for mail in mails:
            print(json.dumps(mail.as_json(), ensure_ascii=False))
    else:
        print(listing(mails, settings.company.timezone, args.reason))
    return 0


def cmd_quarantine_show(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.quarantine.text import detail
    from inbox_worker.store.quarantine import history, quarantined, raw_bytes, raw_message

    with Session(_engine(settings)) as session:
        raw = raw_message(session, args.id)
        if raw is None:
            raise UserError(f"quarantine show: ingen gemt mail med id {args.id}")
        found = quarantined(session, ids=[args.id])
        data, decisions = raw_bytes(session, raw), history(session, args.id)
        print(detail(raw, found[0] if found else None, data, decisions, settings.company.timezone))
    return 0


def _reprocessed(results: list[Any]) -> int:
    from inbox_worker.domain.labels import decision_line

    refused = 0
    for result in results:
        if result.decision is None:
            refused += 1
            print(f"mail {result.raw_id}: ikke behandlet igen: {result.refused}")
        else:
            print(f"mail {result.raw_id}: behandlet igen: {decision_line(result.decision.as_json())}")
    return 1 if refused else 0


def cmd_quarantine_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.quarantine.desk import reprocess, reprocess_all
    from inbox_worker.mail.runner import Runner

    if bool(args.ids) == bool(args.all):
        raise UserError("quarantine reprocess: angiv mailene (ID ...) eller --all, ikke begge")
    if args.reason and not args.all:
        raise UserError("quarantine reprocess: --reason bruges sammen med --all")
    runner = Runner(settings, _engine(settings))
    by = _who(args.by, "tager mailen tilbage")[:16]
    results = reprocess_all(runner, args.reason, by) if args.all else reprocess(runner, args.ids, by)
    return _reprocessed(results)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import count
    from inbox_worker.store.backup import backup

    result = backup(settings.database.url, settings.storage.attachments_dir, Path(args.file),
                    settings.database.busy_timeout_seconds)
    counts, megabytes = result.counts, (result.database_bytes + result.attachment_bytes) / 1e6
    size = f"{megabytes:.1f}".replace(".", ",")
    print(f"{result.path}: sikkerhedskopi af {count(counts['tickets'], 'sag', 'sager')}, "
          f"{count(counts['messages'], 'mail', 'mails')} og "
          f"{count(result.attachment_files, 'vedhæftet fil', 'vedhæftede filer')} ({size} MB før komprimering)")
    for relative in result.missing:
        print(f"inbox-worker: backup: den vedhæftede fil {relative} mangler eller kan ikke læses i "
              f"{settings.storage.attachments_dir}: ikke med i sikkerhedskopien", file=sys.stderr)
    for relative in result.damaged:
        print(f"inbox-worker: backup: den vedhæftede fil {relative} i {settings.storage.attachments_dir} passer ikke "
              "med sin sha256 (kopieret, som den er)", file=sys.stderr)
    return 1 if result.missing or result.damaged else 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import outcome_counts
    from inbox_worker.features.queue.listing import queue_table
    from inbox_worker.features.queue.rows import ticket_rows
    from inbox_worker.store.registry_import import import_registry

    engine = _engine(settings, migrate_first=True)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO_DIR / "registry.toml")
    print(f"Demo-register indlæst fra {DEMO_DIR / 'registry.toml'}")
    outcomes = _ingest(settings, [str(DEMO_DIR / "inbox")], lambda source, decision: None)
    print(f"Demo-indbakke behandlet: {outcome_counts(outcomes)}")
    print(f"Database: {settings.database.url}\n")
    with Session(engine) as session:
        print(queue_table(ticket_rows(session)))
    print(f"\nSe en beslutning i detaljer: inbox-worker explain {DEMO_DIR / 'inbox' / '01-printer-printer-ikke.eml'}")
    _demo_web_hint(settings, engine)
    return 0


def cmd_rules_copy(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.domain.labels import count
    from inbox_worker.features.defaults.copy_out import copy_defaults

    copied = copy_defaults(Path(args.dir), force=args.force)
    print(f"{count(copied.rules_files, 'regelfil', 'regelfiler')} skrevet til {copied.rules_dir}")
    print(f"{count(copied.template_files, 'skabelon', 'skabeloner')} skrevet til {copied.templates_dir}")
    if copied.overwritten:
        print(f"({count(copied.overwritten, 'eksisterende fil', 'eksisterende filer')} overskrevet)")
    print("Ret i kopierne, og peg konfigurationsfilen på dem (afsnittet [paths]):\n\n[paths]")
    print("\n".join(copied.config_lines()))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings | None) -> int:
    from inbox_worker.features.doctor.run import report, run_checks

    return report(run_checks(args.config, datetime.now(UTC)), as_json=args.json,
                  write=lambda line: print(line, flush=True))


def cmd_health_check(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.health.notify import evaluate_alerts
    from inbox_worker.features.health.report import report_json, report_lines
    from inbox_worker.features.health.snapshot import check_health
    from inbox_worker.outbound.render import Renderer

    engine, now = _engine(settings), datetime.now(UTC)
    plan = evaluate_alerts(settings, engine, now) if args.alert else None
    report = check_health(settings, engine, now)
    if args.json:
        print(json.dumps({**report_json(report), **({"mails_queued": plan.mails} if plan else {})}, ensure_ascii=False))
    else:
        print("\n".join(report_lines(report, Renderer(settings), settings.company.timezone)))
        if plan is not None:
            print(f"{plan.mails} mail(s) til {settings.company.staff_address} lagt i udbakken")
    return 0 if report.ok else 1


def _version() -> str:
    """The installed distribution's version (a checkout run without installing says so)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"inbox-worker {version('inbox-worker')}"
    except PackageNotFoundError:
        from inbox_worker import __version__

        return f"inbox-worker {__version__} (ikke installeret)"


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.web.server import serve

    serve(settings, _engine(settings), args.host or settings.web.host, args.port or settings.web.port)
    return 0


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.web.server import add_or_reactivate_staff, password_from

    email, initials, back = add_or_reactivate_staff(_engine(settings), args.email, args.name or "",
                                                    args.initials or "", password_from(args.password_env))
    done = "var fjernet og er aktiv igen med den nye adgangskode" if back else "oprettet"
    print(f"Medarbejder {email} ({initials}) {done}; log ind i inbox-worker web")
    return 0


def _active_staff(session: Session, email: str) -> Any:
    from inbox_worker.store.staff import staff_by_email

    member = staff_by_email(session, email)
    if member is None:
        raise UserError(f"ingen aktiv medarbejder med mailadressen {email.strip().lower()} "
                        "(se inbox-worker staff list)")
    return member


def cmd_staff_list(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from inbox_worker.store.models import Staff

    zone = ZoneInfo(settings.company.timezone)
    with Session(_engine(settings)) as session:
        members = list(session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.initials)))
    if not members:
        print("Ingen medarbejdere endnu; opret en med inbox-worker staff add EMAIL")
    for member in members:
        seen = (f"sidst logget ind {member.last_login_at.astimezone(zone):%d.%m.%Y %H:%M}"
                if member.last_login_at else "aldrig logget ind")
        state = "aktiv" if member.active else "fjernet"
        print(f"{member.initials:<6} {member.email:<32} {member.name or '–':<24} {state:<8} {seen}")
    return 0



def cmd_staff_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.store.audit import record
    from inbox_worker.store.staff import set_password
    from inbox_worker.web.passwords import hash_password
    from inbox_worker.web.server import password_from

    who = _who(args.by, "skifter adgangskoden")
    engine = _engine(settings)
    with Session(engine) as session:
        email = _active_staff(session, args.email).email
    try:
        password_hash = hash_password(password_from(args.password_env))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        member = _active_staff(session, email)
        initials = member.initials
        ended = set_password(session, member.id, password_hash, now)
        record(session, who, "staff-password", now, staff=initials)
    print(f"Ny adgangskode til {email} ({initials}); {_sessions_ended(ended)}")
    return 0


def cmd_staff_remove(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from inbox_worker.store.audit import record
    from inbox_worker.store.models import Ticket
    from inbox_worker.store.staff import remove_staff

    who = _who(args.by, "fjerner medarbejderen")
    now = datetime.now(UTC)
    with Session(_engine(settings)) as session, session.begin():
        member = _active_staff(session, args.email)
        email, initials = member.email, member.initials
        ended = remove_staff(session, member.id, now)
        record(session, who, "staff-remove", now, staff=initials)
        assigned = list(session.scalars(select(Ticket.id).where(
            Ticket.assignee == initials, Ticket.status != "closed").order_by(Ticket.id)))
    print(f"{email} ({initials}) kan ikke længere logge ind; {_sessions_ended(ended)}")
    if assigned:
        shown = ", ".join(f"#{number}" for number in assigned[:20]) + (" …" if len(assigned) > 20 else "")
        print(f"{len(assigned)} åbne {'sag er' if len(assigned) == 1 else 'sager er'} stadig tildelt {initials}, "
              f"som ikke længere kan tage {'den' if len(assigned) == 1 else 'dem'}: {shown}")
    return 0


def _sessions_ended(count: int) -> str:
    if count == 0:
        return "ingen sessioner var åbne"
    return f"{count} {'session' if count == 1 else 'sessioner'} er afsluttet"


def _demo_web_hint(settings: Settings, engine: Any) -> None:
    from inbox_worker.web.server import demo_login

    login = demo_login(engine)
    print(f"\nTriagekøen i browseren: inbox-worker web   (åbn derefter http://{settings.web.host}:{settings.web.port}/)")
    if login:
        print(f"Demo-login (vises kun denne ene gang): {login[0]} / {login[1]}")
    else:
        print("Demo-login: demo@mico.dk findes allerede (adgangskoden blev vist første gang; "
              "opret en ny med inbox-worker staff add)")


def _mail_commands(commands: Commands) -> None:
    """init-db, registry import, and the path of mail: ingest, explain, poll, run."""
    command(commands, "init-db", "opret databasen, eller bring den op til det nuværende skema (Alembic)",
            "inbox-worker init-db --config /etc/inbox-worker/config.toml", run=cmd_init_db)
    registry = group(commands, "registry", "kunderegistret: kunder, kontakter, enheder og aftaler",
                     "inbox-worker registry import registry.toml")
    imp = command(registry, "import", "indlæs kunder, kontakter, enheder og aftaler fra en registerfil",
                  "inbox-worker registry import /etc/inbox-worker/registry.toml", run=cmd_registry_import,
                  more="Indlæses filen igen, opdateres det, der findes; intet bliver dobbelt. Kunder, kontakter og "
                       "aliasser oprettet i webfladen beholdes; hvad filen ikke længere nævner, vises og fjernes "
                       "kun med --prune.")
    imp.add_argument("file", metavar="FIL", help="registerfilen (TOML; formatet står i interface.md)")
    imp.add_argument("--prune", action="store_true",
                     help="fjern kunder, kontakter og enheder fra filen, som filen ikke længere nævner (aldrig dem, "
                          "der er oprettet i webfladen; enheder og kunder, som sager henviser til, beholdes)")
    imp.add_argument("--json", action="store_true", help="resultatet som ét JSON-objekt (felterne på engelsk)")

    ingest = command(commands, "ingest", "kør .eml-filer eller Maildir-mapper gennem hele forløbet, som mail fra IMAP",
                     "inbox-worker ingest ~/Maildir/ printer-virker-ikke.eml", run=cmd_ingest)
    ingest.add_argument("paths", nargs="+", metavar="STI", help=".eml-filer og Maildir-mapper, i den rækkefølge")
    ingest.add_argument("--json", action="store_true",
                        help="én beslutning (JSON, felterne på engelsk) pr. mail, én pr. linje, i samme rækkefølge")
    explain = command(commands, "explain", "beslutningen for én .eml som JSON, uden at skrive eller sende noget",
                      "inbox-worker explain printer-virker-ikke.eml", run=cmd_explain)
    explain.add_argument("file", metavar="FIL", help="mailen (.eml)")

    poll = command(commands, "poll", "hent og behandl det nye i IMAP-postkassen ([mailbox]), og stop",
                   "inbox-worker poll --once", run=cmd_poll)
    poll.add_argument("--once", action="store_true", help="én runde og så stop (påkrævet)")
    command(commands, "run", "arbejderen, der kører hele tiden: IMAP (IDLE), udbakken og ugeoversigterne",
            "inbox-worker run --config /etc/inbox-worker/config.toml", run=cmd_run)


def _outbox_commands(commands: Commands) -> None:
    """outbox flush, list, retry, cancel."""
    outbox = group(commands, "outbox", "udgående mail: send, se, send igen eller annullér", "inbox-worker outbox list")
    command(outbox, "flush", "send mailene i udbakken med SMTP nu, og sig hvorfor de, der venter, venter",
            "inbox-worker outbox flush", run=cmd_outbox_flush,
            more="En mail, der ikke kunne sendes, bliver i kø og prøves igen senere.")
    listing = command(outbox, "list", "udgående mail, der ikke er sendt (fejlede afsendelser)",
                      "inbox-worker outbox list --status failed", run=cmd_outbox_list)
    listing.add_argument("--status", choices=["queued", "sending", "failed", "uncertain", "sent", "cancelled"],
                         help="kun mail med denne status (standard: alt, der ikke er sendt)")
    listing.add_argument("--json", action="store_true", help="ét objekt (felterne på engelsk) pr. mail, ét pr. linje")
    for name, what, example in (
            ("retry", "læg fejlet eller usikker mail i kø igen; den sendes ved næste afsendelse", "retry 12 13"),
            ("cancel", "markér mail, så den aldrig bliver sendt", "cancel 12")):
        change = command(outbox, name, what, f"inbox-worker outbox {example} --by JH", run=_outbox_change)
        change.add_argument("ids", nargs="+", metavar="ID", help="udbakke-id'er, som outbox list viser dem")
        change.add_argument("--by", metavar="HVEM", help="hvem gør det, til revisionsloggen (standard: login-navnet)")


def _quarantine_commands(commands: Commands) -> None:
    """quarantine list, show, reprocess."""
    quarantine = group(commands, "quarantine", "mail, der ikke kunne behandles sikkert",
                       "inbox-worker quarantine list")
    q_list = command(quarantine, "list", "det, der ligger i karantæne, ældste først",
                     "inbox-worker quarantine list --reason truncated-mime", run=cmd_quarantine_list)
    q_list.add_argument("--reason", metavar="ÅRSAG",
                        help="kun dette regel-id (fx truncated-mime) eller ord fra årsagen")
    q_list.add_argument("--json", action="store_true", help="ét objekt (felterne på engelsk) pr. mail, ét pr. linje")
    q_show = command(quarantine, "show", "én gemt mail: hvorfor den er i karantæne, dens historik og dens headers",
                     "inbox-worker quarantine show 42", run=cmd_quarantine_show)
    q_show.add_argument("id", type=int, metavar="ID", help="mailens id (første kolonne i quarantine list)")
    q_again = command(quarantine, "reprocess", "kør gemt mail gennem dagens regler og kode igen",
                      "inbox-worker quarantine reprocess --all --reason truncated-mime", run=cmd_quarantine_reprocess)
    q_again.add_argument("ids", nargs="*", type=int, metavar="ID", help="mailenes id'er (eller --all)")
    q_again.add_argument("--all", action="store_true", help="alt i karantæne (med --reason: kun det med den årsag)")
    q_again.add_argument("--reason", metavar="ÅRSAG", help="med --all: kun dette regel-id eller ord fra årsagen")
    q_again.add_argument("--by", metavar="HVEM", help="hvem tager mailen tilbage (standard: login-navnet)")


def _ticket_commands(commands: Commands) -> None:
    """tickets list, set-coverage, set-targets, log-time."""
    from functools import partial

    from inbox_worker.features.tickets.durations import parse_day, parse_minutes

    tickets = group(commands, "tickets", "sagskøen: se sager, afgør dækning, registrér tid",
                    "inbox-worker tickets list")
    listing = command(tickets, "list", "sagerne i køen, ældste først", "inbox-worker tickets list --status open",
                      run=cmd_tickets_list)
    listing.add_argument("--json", action="store_true",
                         help="ét objekt pr. sag, ét pr. linje (felterne og værdierne på engelsk, som i interface.md)")
    listing.add_argument("--status", choices=["open", "waiting", "closed"],
                         help="kun sager med denne status: open (åben), waiting (afventer kunde), closed (lukket)")
    override = command(tickets, "set-coverage", "medarbejderens afgørelse af en sags dækning; den vinder over reglerne",
                       'inbox-worker tickets set-coverage 1042 billable --rate agreement --reason "Ny pc"',
                       run=cmd_tickets_set_coverage)
    override.add_argument("ticket", type=int, metavar="N", help="sagsnummeret (1042 for #1042)")
    override.add_argument("status", choices=["covered", "billable"],
                          help="covered (dækket) eller billable (faktureres)")
    override.add_argument("--rate", metavar="SATS",
                          help="en sats fra [rates] (agreement, trial, none) eller kr. pr. time; kun ved billable")
    override.add_argument("--reason", required=True, metavar="TEKST", help="begrundelsen (står i revisionsloggen)")
    override.add_argument("--by", metavar="HVEM", help="hvem afgør det (standard: login-navnet)")
    targets = command(tickets, "set-targets", "medarbejderens egne svartidsfrister for en sag; de vinder over "
                      "reglerne fra nu af", 'inbox-worker tickets set-targets 1042 --first 1:00 --resolution 2t '
                      '--reason "Aftalt med kunden i telefonen"', run=cmd_tickets_set_targets,
                      more="Tiderne er arbejdstid: 90 (minutter), 1:30 (timer:minutter) eller 4t (timer).")
    targets.add_argument("ticket", type=int, metavar="N", help="sagsnummeret (1042 for #1042)")
    targets.add_argument("--first", required=True, metavar="TID", help="arbejdstid til første svar, fx 90 eller 1:30")
    targets.add_argument("--resolution", required=True, metavar="TID", help="arbejdstid til løsning, fx 7t eller 420")
    targets.add_argument("--clock", choices=["opening_hours", "around_the_clock"],
                         help="uret, fristerne løber på: opening_hours (i åbningstiden) eller around_the_clock "
                              "(døgnet rundt); standard: sagens nuværende")
    targets.add_argument("--reason", required=True, metavar="TEKST",
                         help="begrundelsen (gemmes med fristerne og i revisionsloggen)")
    targets.add_argument("--by", metavar="HVEM", help="hvem afgør det, fx initialer (standard: login-navnet)")
    log_time = command(tickets, "log-time", "en tidsregistrering på en sag (rettes med en ny, aldrig i sig selv)",
                       'inbox-worker tickets log-time 1042 1:30 --by JH --note "Ny toner sat i"',
                       run=cmd_tickets_log_time)
    log_time.add_argument("ticket", type=int, metavar="N", help="sagsnummeret (1042 for #1042)")
    log_time.add_argument("minutes", metavar="TID", type=typed(partial(parse_minutes, signed=True)),
                          help="tiden: 90, 1:30 eller 1t30m; negativ (fx -15) kun med --corrects")
    log_time.add_argument("--by", required=True, metavar="INITIALER", help="medarbejderens initialer, fx JH")
    log_time.add_argument("--note", metavar="TEKST", help="hvad tiden gik med")
    log_time.add_argument("--date", metavar="DATO", type=typed(parse_day),
                          help="dagen, arbejdet blev gjort: 04.05.2026 eller 2026-05-04 (standard: i dag)")
    log_time.add_argument("--corrects", type=int, metavar="ID",
                          help="id'et på den registrering, denne retter (TID lægges til eller trækkes fra)")
    which = log_time.add_mutually_exclusive_group()
    which.add_argument("--billable", dest="coverage", action="store_const", const="billable",
                       help="faktureres, uanset sagens dækning")
    which.add_argument("--covered", dest="coverage", action="store_const", const="covered",
                       help="dækket, uanset sagens dækning")


def _report_commands(commands: Commands) -> None:
    """billing export, summary send, sla report."""
    billing = group(commands, "billing", "fakturering", "inbox-worker billing export --quarter 2026-Q2")
    export = command(billing, "export", "kvartalets fakturalinjer pr. kunde som CSV",
                     "inbox-worker billing export --quarter 2026-Q2 --out faktura-2026-Q2.csv", run=cmd_billing_export)
    export.add_argument("--quarter", required=True, metavar="ÅÅÅÅ-Qn", help="kvartalet, fx 2026-Q2")
    export.add_argument("--out", metavar="FIL",
                        help="skriv CSV-filen her (standard: CSV på stdout, oversigten på stderr)")

    summary = group(commands, "summary", "ugeoversigter til kunderne", "inbox-worker summary send --dry-run")
    send = command(summary, "send", "læg ugens oversigt i udbakken til hver kundes kontaktperson (én gang pr. uge)",
                   "inbox-worker summary send --week 2026-W47 --dry-run", run=cmd_summary_send)
    send.add_argument("--week", metavar="ÅÅÅÅ-Wuu", help="ISO-uge, fx 2026-W47 (standard: ugen, der lige er slut)")
    send.add_argument("--customer", metavar="NØGLE", help="kun denne kunde (nøglen i registret)")
    send.add_argument("--dry-run", action="store_true",
                      help="vis, hvad der ville blive sendt; intet sendes eller gemmes")
    sla = group(commands, "sla", "svartider: løfterne holdt pr. kunde og prioritet",
                "inbox-worker sla report --month 2026-11")
    report = command(sla, "report", "frister holdt pr. kunde og prioritet, med median og 90-percentil i arbejdstimer",
                     "inbox-worker sla report --month 2026-11 --customer bageriet", run=cmd_sla_report,
                     more="Sager, hvis ure startede i måneden (dansk tid), som de står nu: første svar og løsning "
                     "holdt i %, åbne, median og 90-percentil (nærmeste rang) i arbejdstimer.")
    report.add_argument("--month", required=True, metavar="ÅÅÅÅ-MM", help="måneden, fx 2026-11")
    report.add_argument("--customer", metavar="NØGLE", help="kun denne kunde (nøglen i registret)")
    report.add_argument("--json", action="store_true",
                        help="ét JSON-objekt (engelske nøgler, minutter og timer)")


def _admin_commands(commands: Commands) -> None:
    """web, staff add, backup, demo, rules copy."""
    web = command(commands, "web", "medarbejdernes webgrænseflade (waitress)", "inbox-worker web --port 8080",
                  run=cmd_web)
    web.add_argument("--host", metavar="ADRESSE", help="adressen, der lyttes på (standard: web.host, 127.0.0.1)")
    web.add_argument("--port", type=int, metavar="PORT", help="porten (standard: web.port, 8080)")
    staff = group(commands, "staff", "medarbejderkonti til webgrænsefladen", "inbox-worker staff add lise@mico.dk")
    add = command(staff, "add", "et login til webgrænsefladen; adgangskoden spørges om to gange (eller --password-env)",
                  'inbox-worker staff add lise@mico.dk --name "Lise Holm" --initials LH', run=cmd_staff_add)
    add.add_argument("email", metavar="EMAIL", help="medarbejderens mailadresse; den er login-navnet")
    add.add_argument("--name", metavar="NAVN", help="det fulde navn")
    add.add_argument("--initials", metavar="XY", help="initialer, fx JH (standard: ud fra navnet)")
    add.add_argument("--password-env", metavar="VARIABEL", help="læs adgangskoden fra denne miljøvariabel")
    command(staff, "list", "alle medarbejderkonti: initialer, mailadresse, navn, aktiv eller fjernet, sidste login",
            "inbox-worker staff list", run=cmd_staff_list)
    passwd = command(staff, "passwd", "ny adgangskode; alle medarbejderens sessioner afsluttes (også en stjålen "
                     "cookie)", "inbox-worker staff passwd lise@mico.dk --by JH", run=cmd_staff_passwd)
    passwd.add_argument("email", metavar="EMAIL", help="medarbejderens mailadresse")
    passwd.add_argument("--password-env", metavar="VARIABEL", help="læs adgangskoden fra denne miljøvariabel")
    passwd.add_argument("--by", metavar="HVEM", help="hvem gør det, til revisionsloggen (standard: login-navnet)")
    remove = command(staff, "remove", "medarbejderen kan ikke længere logge ind, og alle sessioner afsluttes; "
                     "kontoen bliver stående til revisionsloggen", "inbox-worker staff remove lise@mico.dk --by JH",
                     run=cmd_staff_remove)
    remove.add_argument("email", metavar="EMAIL", help="medarbejderens mailadresse")
    remove.add_argument("--by", metavar="HVEM", help="hvem gør det, til revisionsloggen (standard: login-navnet)")
    health = group(commands, "health", "arbejderens eget helbred", "inbox-worker health check")
    check = command(health, "check", "/healthz-tjekkene, én linje hver; afslutter med 0, kun når alle består",
                    "inbox-worker health check --alert", run=cmd_health_check,
                    more="Med --alert også fra cron, når run ikke er den, der holder øje.")
    check.add_argument("--json", action="store_true", help="ét JSON-objekt (engelske nøgler)")
    check.add_argument("--alert", action="store_true", help="mail også medarbejderne om forhold, der er begyndt "
                       "eller ophørt, som run gør hvert minut")

    backup = command(commands, "backup", "en sikkerhedskopi af SQLite-databasen og de vedhæftede filer, mens "
                     "arbejderen kører", "inbox-worker backup /var/backups/inbox-worker/inbox-2026-05-04.tar.gz",
                     run=cmd_backup, more="Til PostgreSQL bruges pg_dump (README: Backups).")
    backup.add_argument("file", metavar="FIL", help="arkivet, der skrives (.tar.gz)")
    doctor = command(commands, "doctor", "tjek alt, arbejderen har brug for, én linje pr. tjek",
                     "inbox-worker doctor --config /etc/inbox-worker/config.toml", run=cmd_doctor,
                     more="Konfigurationsfilen; databasen (svarer, nyeste skema); regler og skabeloner; IMAP "
                     "(forbinder, logger ind, mapperne findes, IDLE og MOVE); SMTP (forbinder, STARTTLS, logger ind: "
                     "intet sendes); web.secret_key; mappen til vedhæftede filer (skrivbar, storage.min_free_mb "
                     "ledigt); uret og tidszonen. Et fejlet tjek siger, hvad der skal gøres; et tjek, der afhænger "
                     "af et fejlet, siges sprunget over. Afslutter med 0, kun når alle tjek består.")
    doctor.add_argument("--json", action="store_true",
                        help="ét objekt pr. tjek, ét pr. linje: name, ok, status, detail, advice (engelske nøgler)")
    doctor.set_defaults(reads_config_itself=True)  # a config that fails to load is one of its checks
    command(commands, "demo", "demo-register og demo-indbakke ind i standarddatabasen, og køen vist",
            "inbox-worker demo", run=cmd_demo)
    rules = group(commands, "rules", "reglerne og skabelonerne, som MICO retter i",
                  "inbox-worker rules copy /etc/inbox-worker")
    copy = command(rules, "copy", "skriv de medfølgende regler og skabeloner til MAPPE/rules og MAPPE/templates",
                   "inbox-worker rules copy /etc/inbox-worker", run=cmd_rules_copy,
                   more="Ret i kopierne, og peg [paths] rules og templates i konfigurationen på dem.")
    copy.add_argument("dir", metavar="MAPPE", help="mappen, kopierne skrives i")
    copy.add_argument("--force", action="store_true", help="overskriv filer, der allerede findes dér")


def cmd_privacy_export(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.privacy.export import export_to_path
    from inbox_worker.features.privacy.report import export_lines

    by = _who(args.by, "udleverer")[:16]
    result = export_to_path(settings, _engine(settings), args.email, args.customer, args.out, by, datetime.now(UTC))
    print("\n".join(export_lines(result)))
    return 0


def cmd_privacy_erase(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_worker.features.privacy.erase import erase_customer, erase_person
    from inbox_worker.features.privacy.text import erase_lines

    reason = (args.reason or "").strip()
    if not reason:
        raise UserError("--reason: skriv hvorfor (fx \"Anmodning af 1.12.2026\"); den står i revisionsloggen")
    by = _who(args.by, "sletter")
    now = datetime.now(UTC)
    engine = _engine(settings)
    if args.customer:
        plan = erase_customer(settings, engine, args.customer, reason, by, now, dry_run=args.dry_run)
    else:
        plan = erase_person(settings, engine, args.email, reason, by, now, dry_run=args.dry_run)
    print("\n".join(erase_lines(plan)))
    return 0


def cmd_privacy_retention(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from inbox_worker.features.privacy.retention import run_retention
    from inbox_worker.features.privacy.text import retention_lines

    now = datetime.now(UTC)
    run = run_retention(settings, _engine(settings), now, dry_run=args.dry_run)
    print("\n".join(retention_lines(run, settings.privacy, now, ZoneInfo(settings.company.timezone))))
    return 0


def _privacy_commands(commands: Commands) -> None:
    """privacy export, erase, retention (GDPR)."""
    privacy = group(commands, "privacy", "persondata (GDPR): udlevér, slet og hold opbevaringsfristerne",
                    "inbox-worker privacy export mette@bageriet.dk --out mette.zip")
    export = command(privacy, "export", "alt, der opbevares om en person eller en kunde, som én zip-fil",
                     "inbox-worker privacy export mette@bageriet.dk --out mette.zip", run=cmd_privacy_export,
                     more="Med personens aliasser: de originale mails (.eml), vedhæftede filer, sagerne med tråd, "
                          "noter og beslutninger, tidsregistreringer, ugeoversigter og revisionslog; en dansk "
                          "oversigt (index.html) og én JSON-fil pr. slags.")
    who = export.add_mutually_exclusive_group(required=True)
    who.add_argument("email", nargs="?", metavar="EMAIL", help="personens mailadresse (eller et af personens aliasser)")
    who.add_argument("--customer", metavar="NØGLE", help="hele kunden (nøglen i registret)")
    export.add_argument("--out", metavar="FIL.zip", help="zip-filen, der skrives (standard: privacy-<hvem>.zip)")
    export.add_argument("--by", metavar="HVEM", help="hvem udleverer, til adgangsloggen (standard: login-navnet)")
    erase = command(privacy, "erase", "slet en persons data; fakturagrundlaget beholdes, pseudonymiseret",
                    'inbox-worker privacy erase mette@bageriet.dk --reason "Anmodning af 1.12.2026" --dry-run',
                    run=cmd_privacy_erase,
                    more="Rå mails, tekster, vedhæftede filer, søgeindeks og registerposten slettes (en kontakt med "
                         "en pakke, fakturaen tæller, bliver en tom skal med pseudonymet); sagerne bliver stående med "
                         "et pseudonym (\"Slettet person #7\"); tid, dækning og fakturalinjer bliver og giver samme "
                         "beløb. Sletningen står i revisionsloggen uden de slettede data.")
    whom = erase.add_mutually_exclusive_group(required=True)
    whom.add_argument("email", nargs="?", metavar="EMAIL", help="personens mailadresse")
    whom.add_argument("--customer", metavar="NØGLE", help="en kunde og alle dens personer (fx efter opsigelse)")
    erase.add_argument("--reason", required=True, metavar="TEKST", help="hvorfor (står i revisionsloggen)")
    erase.add_argument("--dry-run", action="store_true", help="vis, hvad der ville blive slettet; intet ændres")
    erase.add_argument("--by", metavar="HVEM", help="hvem sletter, til revisionsloggen (standard: login-navnet)")
    retention = command(privacy, "retention", "anvend opbevaringsfristerne fra [privacy]; run gør det hver nat",
                        "inbox-worker privacy retention --dry-run", run=cmd_privacy_retention)
    retention.add_argument("--dry-run", action="store_true", help="vis, hvad der ville blive slettet; intet ændres")


def build_parser() -> Parser:
    parser = Parser(prog="inbox-worker", description="MICO ApS' supportindbakke: mail til support bliver til sager "
                    "med kunde,\ndækning og kvittering; tid, ugeoversigter og fakturagrundlag.",
                    epilog="Eksempel:\n  inbox-worker demo\n\nHjælp til en kommando: inbox-worker KOMMANDO --help")
    parser.add_argument("--config", metavar="FIL", help="konfigurationsfilen (standard: $INBOX_WORKER_CONFIG, ellers "
                        "./config.toml); kan stå hvor som helst på linjen")
    parser.add_argument("-v", "--verbose", action="store_true", help="skriv forløbet til stderr")
    parser.add_argument("--version", action="version", version=_version(), help="vis den installerede version")
    commands = parser.add_subparsers(dest="command", required=True, title="kommandoer", metavar="KOMMANDO",
                                     help="se inbox-worker KOMMANDO --help")
    for add in (_mail_commands, _outbox_commands, _quarantine_commands, _ticket_commands, _report_commands,
                _privacy_commands, _admin_commands):
        add(commands)
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
    try:
        if getattr(args, "reads_config_itself", False):  # doctor: a config that fails to load is one of its checks
            settings = None
        else:
            settings = load_settings(args.config)
            logsetup.configure(settings.logging, args.verbose, sys.stderr)
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
