"""Run every check in order, each line as soon as it is known, and say whether all passed (the exit code).

A check that needs one that failed is not left out: it is reported as skipped, with why. Only the
configuration stops the rest, since every other check reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from inbox_worker.config import PACKAGED_TEMPLATES, Settings, load_settings
from inbox_worker.errors import UserError
from inbox_worker.features.doctor.check import LABELS, Check, failed, json_line, passed, skipped, summary_line
from inbox_worker.features.doctor.imap_checks import imap_checks
from inbox_worker.features.doctor.local_checks import (
    clock_check,
    database_check,
    rules_check,
    secret_key_check,
    storage_check,
    templates_check,
)
from inbox_worker.features.doctor.smtp_checks import smtp_checks


def run_checks(config: str | None, now: datetime) -> Iterator[Check]:
    """The checks for the config file `config` (as `--config` names it: None = the usual search)."""
    try:
        settings = load_settings(config)
    except UserError as exc:
        yield failed("config", str(exc), "ret det, der nævnes, og kør inbox-worker doctor igen")
        yield from skipped([name for name in LABELS if name != "config"], "konfigurationen kunne ikke indlæses")
        return
    yield _config_loaded(settings)
    yield database_check(settings)
    yield rules_check(settings)
    yield templates_check(settings, PACKAGED_TEMPLATES)
    yield from imap_checks(settings.mailbox)
    yield from smtp_checks(settings.smtp)
    yield secret_key_check(settings.web)
    yield storage_check(settings.storage)
    yield clock_check(now, settings.company.timezone, installed_at())


def _config_loaded(settings: Settings) -> Check:
    if settings.source == Settings().source:
        return passed("config", "ingen konfigurationsfil fundet (--config, $INBOX_WORKER_CONFIG, ./config.toml): "
                      "de indbyggede standardværdier")
    return passed("config", f"{settings.source} indlæst")


def installed_at() -> datetime:
    """When this copy of inbox-worker was installed (its files' time): the clock cannot be before it."""
    return datetime.fromtimestamp(Path(__file__).stat().st_mtime, UTC)


def report(checks: Iterable[Check], *, as_json: bool, write: Callable[[str], None]) -> int:
    """Write one line per check (or one JSON object), then the summary; 0 when every check passed, else 1."""
    seen = []
    for check in checks:
        seen.append(check)
        write(json_line(check) if as_json else check.line())
    if not as_json:
        write("")
        write(summary_line(seen))
    return 0 if all(check.ok for check in seen) else 1
