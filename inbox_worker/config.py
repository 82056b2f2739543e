"""Load the TOML configuration (plus secrets from the environment) into frozen settings dataclasses.

This module is the only reader of configuration: every other module receives a `Settings`.
Unknown keys, wrong types and unreadable files raise `UserError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from inbox_worker.errors import UserError
from inbox_worker.tomlfile import read_toml

# The default rules and templates ship inside the package (package data), so an installed wheel finds them
# wherever it is started from; `[paths] rules/templates` point at edited copies (`inbox-worker rules copy`).
PACKAGED_RULES = Path(__file__).resolve().parent / "rules"
PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/inbox.db"
    # How long to wait for another process's lock before giving up with "database busy, try again".
    busy_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class MailboxSettings:
    host: str = ""
    port: int = 993
    ssl: bool = True
    starttls: bool = False  # with ssl = false: upgrade the plain connection with STARTTLS
    username: str = ""
    password: str = field(default="", repr=False)
    password_env: str = ""
    auth: str = "password"  # password | xoauth2 (Microsoft 365, Google)
    oauth_token_env: str = ""  # xoauth2: the access token from this environment variable ...
    oauth_token_command: str = ""  # ... or from the first line this command prints
    folder: str = "INBOX"
    # Processed mail is moved here; empty: it stays in `folder`, flagged \Seen and $MicoProcessed.
    processed_folder: str = ""
    batch_size: int = 100
    max_message_mb: float = 25.0  # larger mail is stored headers-only and quarantined; its body stays on the server
    idle: bool = True  # use IMAP IDLE when the server has it
    idle_seconds: int = 25 * 60  # re-issue IDLE before the server's 29-minute limit
    poll_interval_seconds: int = 60  # without IDLE
    timeout_seconds: float = 60.0
    retry_max_seconds: int = 300  # cap of the exponential backoff after connection failures
    lease_seconds: int = 120  # one worker per mailbox: the lease it holds, renewed while it works
    # authserv-id of the receiving server whose Authentication-Results header is believed ("" = the topmost)
    trusted_auth_server: str = ""


@dataclass(frozen=True)
class CompanySettings:
    name: str = "MICO ApS"
    support_address: str = "support@mico.dk"
    timezone: str = "Europe/Copenhagen"
    hours: str = "09:00-16:00"
    weekdays: str = "mon-fri"  # the days `hours` apply to: a range or a list (mon,tue,wed)
    public_holidays: bool = True  # Danish public holidays (helligdage) are closed days
    closed_days: list[str] = field(default_factory=list)  # more closed days: "12-24" yearly, "2026-12-28" once
    staff_domains: list[str] = field(default_factory=list)  # MICO's own mail domains besides the support address's
    oncall_address: str = "vagt@mico.dk"
    staff_address: str = "support-team@mico.dk"
    phone: str = "+45 70 20 30 40"  # phone support within hours
    oncall_phone: str = "+45 70 20 30 41"  # the on-call phone ("vagttelefon") for emergencies outside hours

    @property
    def support_domain(self) -> str:
        return self.support_address.rpartition("@")[2].lower()

    def open_weekdays(self) -> frozenset[int]:
        """Monday = 0; 'mon-fri' or 'mon,tue,thu'."""
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        days: set[int] = set()
        for part in self.weekdays.lower().replace(" ", "").split(","):
            first, _, last = part.partition("-")
            start, end = names.index(first), names.index(last or first)
            days.update(range(start, end + 1))
        return frozenset(days)

    def opening_hours(self) -> tuple[time, time]:
        start, _, end = self.hours.partition("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "smtp.example.dk"
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    password_env: str = ""
    from_address: str = "support@mico.dk"
    timeout_seconds: float = 30.0
    ca_file: str = ""  # a CA certificate (PEM) to trust besides the system's, for a server with a private CA


@dataclass(frozen=True)
class StorageSettings:
    attachments_dir: str = "var/attachments"
    # Attachments larger than this are recorded (name, type, size, hash) but their bytes are not kept.
    max_attachment_mb: float = 25.0
    min_free_mb: int = 500  # `doctor` fails when the attachments folder's disk has less free space than this


@dataclass(frozen=True)
class TicketSettings:
    # A reply to a ticket closed at most this long ago reopens it; a later reply opens a new ticket.
    reopen_window_days: int = 14


@dataclass(frozen=True)
class AckSettings:
    # A sender who already got this many acknowledgements within the last hour gets no more.
    max_per_sender_per_hour: int = 3


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 8
    backoff_seconds: int = 60  # doubled after each failed attempt
    backoff_max_seconds: int = 3600
    # A row left "sending" longer than this was interrupted; it is not retried blindly (see store/outbox.py).
    sending_timeout_seconds: int = 600


@dataclass(frozen=True)
class RateSettings:
    """Hourly rates in DKK excl. VAT, by rate key (the service agreement's price list)."""

    agreement: int = 650
    trial: int = 650
    none: int = 850


@dataclass(frozen=True)
class BillingSettings:
    """How logged time becomes quarterly invoice lines."""

    # Each time line's minutes are rounded up to the started block of this many minutes (15: the started
    # quarter hour); 1 bills the exact minutes.
    round_up_minutes: int = 15


@dataclass(frozen=True)
class SummarySettings:
    """The weekly summary to each customer's contact person, sent by `run` for the week just ended."""

    enabled: bool = True
    weekday: str = "mon"
    time: str = "07:00"  # company time zone
    misfire_grace_hours: int = 6  # a late scheduler still sends within this; after it, the start-up catch-up
    # One line on how many of the week's requests were answered within the promise, and the median time.
    response_times: bool = True


@dataclass(frozen=True)
class ResponseSettings:
    """The response-time warnings `run` sends (targets themselves are data: rules/response.toml)."""

    warnings: bool = True
    # One notice per ticket and target this many working minutes before the due moment (the clock's own
    # working time: opening hours, or around the clock for emergencies).
    warn_before_minutes: int = 30


@dataclass(frozen=True)
class AlertSettings:
    """When the worker mails `company.staff_address` about itself, and what /healthz calls failing (README)."""

    enabled: bool = True  # mail staff when a condition starts and when it clears
    after_minutes: int = 10  # failing polls, failing SMTP, failed mail, a low disk: mailed once this old
    heartbeat_stale_minutes: int = 5  # no heartbeat from `run` (or a poll) for this long: the worker is down
    poll_stale_minutes: int = 10  # `run` is up but has not polled successfully for this long
    outbox_max_age_minutes: int = 30  # the oldest unsent outgoing mail has waited longer than this
    quarantine_new: int = 5  # this many mails quarantined within the window ...
    quarantine_window_minutes: int = 60
    quarantine_max: int = 25  # ... or this many in quarantine at all: the quarantine is growing
    disk_min_free_mb: int = 1024  # the attachments' or SQLite database's file system has less free than this ...
    disk_min_free_percent: float = 5.0  # ... or less than this share of it


@dataclass(frozen=True)
class PrivacySettings:
    """How long personal data is kept (GDPR), applied by `privacy retention` and each night by `run`."""

    # Raw mail (.eml), stored attachments and rendered outgoing mail, counted from the ticket's close (mail
    # without a ticket, e.g. quarantined: from its arrival; a terminated customer's: at the latest its agreement end).
    raw_mail_months: int = 24
    ticket_text_months: int = 36  # then the ticket's text is anonymised: subject, bodies, notes, requester
    # Time entries and coverage decisions: kept this many years after the end of their (calendar) financial year.
    # Never less than 5 (bogføringsloven § 10).
    invoice_basis_years: int = 5
    access_log_months: int = 24  # the access log (views, downloads, exports); the audit log is kept
    nightly: bool = True  # `run` applies the retention periods every night ...
    nightly_at: str = "03:30"  # ... at this time (company time zone)


MIN_INVOICE_BASIS_YEARS = 5


@dataclass(frozen=True)
class PathSettings:
    rules: str = str(PACKAGED_RULES)
    templates: str = str(PACKAGED_TEMPLATES)


@dataclass(frozen=True)
class WebSettings:
    """The staff web UI (`inbox-worker web`)."""

    host: str = "127.0.0.1"
    port: int = 8080
    # Signs the session cookie. Empty (and no secret_key_env): a random key per process, so logins end
    # when the server restarts. The key is never logged.
    secret_key: str = field(default="", repr=False)
    secret_key_env: str = ""
    https: bool = False  # served over HTTPS (behind a proxy): session cookies are marked Secure
    session_hours: float = 12.0  # a login ends this long after it began, however active
    session_idle_minutes: float = 60.0  # ... or after this long without a request
    # Failed logins per (address, client) within the window before that pair is refused; a client is refused
    # after 4x this many over all addresses; an address alone (over all clients) is only slowed down, after 10x.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    page_size: int = 50
    threads: int = 8
    # Who may read /metrics: addresses or networks (CIDR). A request that came through a proxy (X-Forwarded-For,
    # Forwarded, X-Real-IP) is let in only when every address it names is allowed too.
    metrics_allow: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])

    # The UI's address as staff open it (e.g. https://support.mico.dk): links in staff notices. Empty: no links.
    base_url: str = ""
    # A staff reply's attachments: each file at most this large, and all files of one reply together at most the
    # total (a mail server commonly refuses a message over 25 MB, and base64 adds a third).
    reply_attachment_max_mb: float = 10.0
    reply_attachments_total_mb: float = 15.0


@dataclass(frozen=True)
class LoggingSettings:
    """What the commands log to stderr (systemd's journal under the service units)."""

    format: str = "text"  # text: one readable line per event; json: one JSON object per line (python-json-logger)
    level: str = "warning"  # debug | info | warning | error; -v lowers it to info. info logs one line per mail


LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = DatabaseSettings()
    mailbox: MailboxSettings = MailboxSettings()
    company: CompanySettings = CompanySettings()
    smtp: SmtpSettings = SmtpSettings()
    storage: StorageSettings = StorageSettings()
    tickets: TicketSettings = TicketSettings()
    ack: AckSettings = AckSettings()
    outbox: OutboxSettings = OutboxSettings()
    rates: RateSettings = RateSettings()
    billing: BillingSettings = BillingSettings()
    summary: SummarySettings = SummarySettings()
    alerts: AlertSettings = AlertSettings()
    response: ResponseSettings = ResponseSettings()
    privacy: PrivacySettings = PrivacySettings()
    paths: PathSettings = PathSettings()
    web: WebSettings = WebSettings()
    logging: LoggingSettings = LoggingSettings()
    source: str = "built-in defaults"


# How a key's type is named in an error: "nøglen 'smtp.port' skal være et helt tal, ikke 'x'".
TYPE_NAMES = {"int": "et helt tal", "float": "et tal", "str": "en tekst (i anførselstegn)", "bool": "true eller false",
              "list": "en liste, fx [\"a\", \"b\"]"}


def _check_type(value: Any, expected: Any) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    origin = typing.get_origin(expected)
    if origin is list:
        return isinstance(value, list) and all(_check_type(item, typing.get_args(expected)[0]) for item in value)
    if origin is types.UnionType:
        return any(_check_type(value, arg) for arg in typing.get_args(expected))
    return isinstance(value, expected)


def _build_section(cls: type, data: Any, where: str, filename: str) -> Any:
    if not isinstance(data, dict):
        raise UserError(f"{filename}: [{where}] skal være en tabel")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in known:
            raise UserError(f"{filename}: ukendt nøgle '{where}.{key}'")
        if not _check_type(value, hints[key]):
            type_name = getattr(hints[key], "__name__", str(hints[key]))
            kind = TYPE_NAMES.get(type_name, type_name)
            raise UserError(f"{filename}: nøglen '{where}.{key}' skal være {kind}, ikke {value!r}")
    return cls(**data)


def _resolve_secret(section: Any, where: str, filename: str) -> Any:
    """Read `password` from the environment variable named by `password_env`, when one is named."""
    if isinstance(section, WebSettings):
        return _resolve_web_secret(section, filename)
    env_name = getattr(section, "password_env", "")
    if not env_name:
        return section
    if env_name not in os.environ:
        raise UserError(f"{filename}: '{where}.password_env' peger på ${env_name}, som ikke er sat")
    return dataclasses.replace(section, password=os.environ[env_name])


def _resolve_web_secret(section: WebSettings, filename: str) -> WebSettings:
    if not section.secret_key_env:
        return section
    if section.secret_key_env not in os.environ:
        raise UserError(f"{filename}: 'web.secret_key_env' peger på ${section.secret_key_env}, som ikke er sat")
    return dataclasses.replace(section, secret_key=os.environ[section.secret_key_env])


def _validate(settings: Settings, filename: str) -> None:
    try:
        settings.company.opening_hours()
    except ValueError:
        raise UserError(f"{filename}: nøglen 'company.hours' skal se ud som 09:00-16:00, "
                        f"ikke {settings.company.hours!r}") from None
    try:
        settings.company.open_weekdays()
    except ValueError:
        raise UserError(f"{filename}: nøglen 'company.weekdays' skal se ud som mon-fri eller mon,tue,wed, "
                        f"ikke {settings.company.weekdays!r}") from None
    summary = settings.summary
    if summary.weekday not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") or not re.fullmatch(
            r"\d{2}:\d{2}", summary.time) or summary.misfire_grace_hours < 0:
        raise UserError(f"{filename}: i [summary] skal weekday være mon..sun, time som 07:00 og "
                        "misfire_grace_hours mindst 0")
    for day in settings.company.closed_days:
        if not re.fullmatch(r"(\d{4}-)?\d{2}-\d{2}", day):
            raise UserError(f"{filename}: nøglen 'company.closed_days': {day!r} er ikke MM-DD eller ÅÅÅÅ-MM-DD")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(settings.company.timezone)
    except Exception:
        raise UserError(f"{filename}: nøglen 'company.timezone': {settings.company.timezone!r} er ikke en kendt "
                        "tidszone (fx Europe/Copenhagen)") from None
    for where, address in (
        ("company.support_address", settings.company.support_address),
        ("smtp.from_address", settings.smtp.from_address),
    ):
        if "@" not in address:
            raise UserError(f"{filename}: nøglen '{where}' er ikke en mailadresse: {address!r}")
    if settings.mailbox.auth not in ("password", "xoauth2"):
        raise UserError(f"{filename}: nøglen 'mailbox.auth' skal være 'password' eller 'xoauth2', "
                        f"ikke {settings.mailbox.auth!r}")
    if settings.database.busy_timeout_seconds < 0:
        raise UserError(f"{filename}: nøglen 'database.busy_timeout_seconds' må ikke være negativ")
    if settings.mailbox.batch_size < 1:
        raise UserError(f"{filename}: nøglen 'mailbox.batch_size' skal være mindst 1")
    if settings.billing.round_up_minutes < 1 or min(dataclasses.astuple(settings.rates)) < 1:
        raise UserError(f"{filename}: 'billing.round_up_minutes' og satserne i [rates] skal være mindst 1")
    web = settings.web
    if (web.page_size < 1 or web.login_max_failures < 1 or web.session_hours <= 0 or web.session_idle_minutes <= 0
            or web.threads < 1):
        raise UserError(f"{filename}: i [web] skal page_size, login_max_failures, session_hours, "
                        "session_idle_minutes og threads være over 0")
    if web.reply_attachment_max_mb <= 0 or web.reply_attachments_total_mb < web.reply_attachment_max_mb:
        raise UserError(f"{filename}: 'web.reply_attachment_max_mb' skal være over 0 og højst "
                        "'web.reply_attachments_total_mb'")
    if settings.response.warn_before_minutes < 1:
        raise UserError(f"{filename}: nøglen 'response.warn_before_minutes' skal være mindst 1 "
                        "(slå varsler fra med response.warnings = false)")
    if web.base_url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", web.base_url):
        raise UserError(f"{filename}: nøglen 'web.base_url' skal ligne https://support.mico.dk, "
                        f"ikke {web.base_url!r}")
    if settings.ack.max_per_sender_per_hour < 0 or settings.tickets.reopen_window_days < 0:
        raise UserError(f"{filename}: grænserne i [ack] og [tickets] må ikke være negative")
    _validate_logging(settings.logging, filename)
    _validate_monitoring(settings, filename)
    _validate_privacy(settings.privacy, filename)


def _validate_privacy(section: PrivacySettings, filename: str) -> None:
    if section.invoice_basis_years < MIN_INVOICE_BASIS_YEARS:
        raise UserError(f"{filename}: nøglen 'privacy.invoice_basis_years' skal være mindst {MIN_INVOICE_BASIS_YEARS} "
                        f"(bogføringsloven: fakturagrundlaget gemmes i 5 år), ikke {section.invoice_basis_years}")
    for key in ("raw_mail_months", "ticket_text_months", "access_log_months"):
        if getattr(section, key) < 1:
            raise UserError(f"{filename}: nøglen 'privacy.{key}' skal være mindst 1, ikke {getattr(section, key)}")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", section.nightly_at):
        raise UserError(f"{filename}: nøglen 'privacy.nightly_at' skal se ud som 03:30, ikke {section.nightly_at!r}")


def _validate_logging(section: LoggingSettings, filename: str) -> None:
    for key, value, allowed in (("format", section.format, LOG_FORMATS), ("level", section.level, LOG_LEVELS)):
        if value not in allowed:
            raise UserError(f"{filename}: nøglen 'logging.{key}' skal være en af {', '.join(allowed)}, ikke {value!r}")


def _validate_monitoring(settings: Settings, filename: str) -> None:
    import ipaddress

    for entry in settings.web.metrics_allow:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise UserError(f"{filename}: nøglen 'web.metrics_allow': {entry!r} er hverken en IP-adresse "
                            "eller et netværk") from None
    alerts = settings.alerts
    minutes = (alerts.after_minutes, alerts.outbox_max_age_minutes, alerts.quarantine_window_minutes)
    if min(minutes) < 0 or alerts.heartbeat_stale_minutes < 1 or alerts.poll_stale_minutes < 1 \
            or alerts.quarantine_new < 1 or alerts.quarantine_max < 1 or alerts.disk_min_free_mb < 0 \
            or not 0 <= alerts.disk_min_free_percent < 100:
        raise UserError(f"{filename}: [alerts]: minutterne og grænserne må ikke være negative "
                        "(heartbeat_stale_minutes, poll_stale_minutes, quarantine_new og quarantine_max mindst 1; "
                        "disk_min_free_percent under 100)")


def settings_from_dict(data: dict[str, Any], filename: str = "<config>") -> Settings:
    sections: dict[str, Any] = {}
    fields_by_name = {f.name: f for f in dataclasses.fields(Settings) if f.name != "source"}
    hints = typing.get_type_hints(Settings)
    for name, value in data.items():
        if name not in fields_by_name:
            raise UserError(f"{filename}: ukendt afsnit [{name}]")
        section = _build_section(hints[name], value, name, filename)
        sections[name] = _resolve_secret(section, name, filename)
    settings = Settings(**sections, source=filename)
    _validate(settings, filename)
    return settings


def config_path(explicit: str | None) -> Path | None:
    """The config file to read: --config, else $INBOX_WORKER_CONFIG, else ./config.toml, else none."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("INBOX_WORKER_CONFIG")
    if env:
        return Path(env)
    local = Path("config.toml")
    return local if local.exists() else None


def load_settings(explicit: str | None = None) -> Settings:
    path = config_path(explicit)
    if path is None:
        return Settings()
    return settings_from_dict(read_toml(path, "konfigurationsfilen"), str(path))
