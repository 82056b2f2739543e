"""The checks that need no network: database schema, rules, templates, web key, attachments folder, clock."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import SQLAlchemyError

from inbox_worker.config import Settings, StorageSettings, WebSettings
from inbox_worker.errors import UserError
from inbox_worker.features.doctor.check import Check, failed, passed
from inbox_worker.features.doctor.network import NETWORK_TIMEOUT_SECONDS
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.db import head_revision, is_known_revision, make_readonly_engine, schema_revision, sqlite_path

INIT_DB = "kør inbox-worker init-db"
MIN_SECRET_CHARS = 16


def database_check(settings: Settings) -> Check:
    """The database answers and is at this version's newest migration; read-only, it creates nothing."""
    url = settings.database.url
    try:
        engine = make_readonly_engine(url, connect_timeout_seconds=int(NETWORK_TIMEOUT_SECONDS))
    except SQLAlchemyError:
        return failed("database", f"database.url er ikke en gyldig database-URL: {url.partition(':')[0]}:…",
                      "ret database.url (fx sqlite:///var/inbox.db eller postgresql+psycopg://bruger@vært/navn)")
    path = sqlite_path(url)
    if engine is None:
        return failed("database", f"{path.absolute() if path else url} findes ikke endnu", INIT_DB)
    shown = str(path.absolute()) if path else engine.url.render_as_string(hide_password=True)
    try:
        current = schema_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return failed("database", f"{shown} svarer ikke: {reason}",
                      "kontrollér database.url, og at databaseserveren kører og kan nås herfra")
    finally:
        engine.dispose()
    head = head_revision()
    if current is None:
        return failed("database", f"{shown} svarer, men har intet skema endnu", INIT_DB)
    if current == head:
        return passed("database", f"{shown} svarer, skema på nyeste version ({head})")
    if is_known_revision(current):
        return failed("database", f"{shown} svarer, skema på version {current}, nyeste er {head}", INIT_DB)
    return failed("database",
                  f"{shown} har skemaversion {current}, som denne inbox-worker ikke kender (nyeste: {head})",
                  "databasen er fra en nyere version af inbox-worker: installér den version")


def rules_check(settings: Settings) -> Check:
    folder = Path(settings.paths.rules)
    try:
        load_rulebook(folder)
    except UserError as exc:
        return failed("rules", str(exc), "ret filen (rules/README.md beskriver reglerne), eller ret paths.rules")
    return passed("rules", f"{len(list(folder.glob('*.toml')))} regelfiler i {folder} er gyldige")


def templates_check(settings: Settings, shipped: Path) -> Check:
    """Every template the package ships is in the configured folder and loads there (the web pages: parses)."""
    folder = Path(settings.paths.templates)
    if not folder.is_dir():
        return failed("templates", f"mappen {folder} findes ikke",
                      "ret paths.templates, eller skriv standardskabelonerne ud med inbox-worker rules copy DIR")
    names = sorted(path.relative_to(shipped).as_posix() for path in shipped.rglob("*")
                   if path.suffix in (".j2", ".html"))
    renderer = Renderer(settings)
    problems = [f"{name}: {problem}" for name in names
                if (problem := renderer.template_problem(name, syntax_only=name.startswith("web/")))]
    if problems:
        more = f" (og {len(problems) - 3} til)" if len(problems) > 3 else ""
        return failed("templates", f"{len(problems)} af {len(names)} skabeloner i {folder} kan ikke bruges: "
                      + "; ".join(problems[:3]) + more,
                      "ret skabelonen, eller hent standarden med inbox-worker rules copy DIR")
    return passed("templates", f"{len(names)} skabeloner i {folder} indlæses")


def secret_key_check(web: WebSettings) -> Check:
    """The key that signs staff logins is set and not trivially short (its value is never shown)."""
    make_one = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if not web.secret_key:
        return failed("web.secret_key", "web.secret_key er ikke sat: hver genstart af inbox-worker web logger alle ud",
                      f"sæt web.secret_key_env til en miljøvariabel med en tilfældig nøgle (lav en med {make_one})")
    if len(web.secret_key) < MIN_SECRET_CHARS:
        return failed("web.secret_key", f"web.secret_key er kun {len(web.secret_key)} tegn",
                      f"brug en tilfældig nøgle på mindst 32 tegn (lav en med {make_one})")
    where = f"fra ${web.secret_key_env}" if web.secret_key_env else "i konfigurationsfilen"
    return passed("web.secret_key", f"sat ({where})")


def storage_check(storage: StorageSettings) -> Check:
    """The attachments folder (or, before the first attachment, the folder it will be made in) takes a file."""
    folder = Path(storage.attachments_dir).absolute()
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return failed("storage", f"{folder}: {existing} er en fil, ikke en mappe", "ret storage.attachments_dir")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".inbox-worker-doctor-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return failed("storage", f"kan ikke skrive i {existing} ({exc.strerror})",
                      "giv tjenestebrugeren skriveadgang (fx chown inbox-worker), eller ret storage.attachments_dir")
    free_mb = shutil.disk_usage(existing).free // (1024 * 1024)
    if free_mb < storage.min_free_mb:
        return failed("storage",
                      f"{folder}: kun {_size(free_mb)} fri, under storage.min_free_mb ({storage.min_free_mb} MB)",
                      "ryd op på disken, eller giv den mere plads")
    if existing == folder:
        return passed("storage", f"{folder} er skrivbar, {_size(free_mb)} fri")
    return passed("storage", f"{folder} findes ikke endnu; {existing}, hvor den oprettes, er skrivbar, "
                  f"{_size(free_mb)} fri")


def _size(megabytes: int) -> str:
    """'812 MB', '53,2 GB' (Danish decimal comma)."""
    return f"{megabytes} MB" if megabytes < 1024 else f"{megabytes / 1024:.1f} GB".replace(".", ",")


def clock_check(now: datetime, timezone: str, installed: datetime | None) -> Check:
    """The company time zone resolves; the clock is not before this version was installed (a dead clock)."""
    try:
        local = now.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return failed("clock", f"tidszonen {timezone!r} findes ikke",
                      "ret company.timezone (fx Europe/Copenhagen); mangler tidszonedata, installér pakken tzdata")
    offset = local.strftime("%z")
    shown = f"{local:%Y-%m-%d %H:%M} {timezone} ({local:%Z}, UTC{offset[:3]}:{offset[3:]})"
    if installed is not None and now < installed - timedelta(days=1):
        return failed("clock", f"uret viser {shown}, før denne inbox-worker blev installeret ({installed:%Y-%m-%d})",
                      "sæt systemuret, og hold det ved lige med NTP (fx systemd-timesyncd)")
    return passed("clock", shown)
