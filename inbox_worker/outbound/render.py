"""Render outgoing mail from Jinja2 templates into complete RFC 5322 messages (text + HTML alternative).

The MIME assembly (outbound/mime.py, the standard library's `email` with `policy.SMTP`) encodes the
headers and refuses CR/LF in any of them: together with the parser's cleaning of subjects, no mail
content can inject a header.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from email.headerregistry import Address
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape

from inbox_worker.config import Settings
from inbox_worker.domain.addresses import is_safe_address
from inbox_worker.domain.decision import Decision
from inbox_worker.domain.money import kroner
from inbox_worker.domain.outgoing import OutgoingMail
from inbox_worker.domain.ticket_tag import TICKET_TAG, ticket_subject
from inbox_worker.domain.types import ParsedMail
from inbox_worker.outbound.mime import HeaderValue, build_alternative, mailbox

_MONTHS = {
    "da": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def local_time_text(moment: datetime, language: str, zone: str) -> str:
    """'20. november 2026 kl. 10.12' (Danish) or '20 November 2026 at 10:12' (English), in the company zone."""
    local = moment.astimezone(ZoneInfo(zone))
    month = _MONTHS[language][local.month - 1]
    if language == "en":
        return f"{local.day} {month} {local.year} at {local:%H:%M}"
    return f"{local.day}. {month} {local.year} kl. {local:%H.%M}"


def day_text(day: date, language: str = "da") -> str:
    """'23. november 2026' / '23 November 2026'."""
    month = _MONTHS[language][day.month - 1]
    return f"{day.day} {month} {day.year}" if language == "en" else f"{day.day}. {month} {day.year}"


def hours_text(minutes: int, language: str = "da") -> str:
    """'2 t 15 min' / '2 h 15 min'."""
    hours, rest = divmod(max(minutes, 0), 60)
    unit = "h" if language == "en" else "t"
    return f"{hours} {unit} {rest} min" if rest else f"{hours} {unit}"


class Renderer:
    """Owns the Jinja2 environment over templates/; one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(Path(settings.paths.templates)),
            # Our HTML templates are named *.html.j2: matching only "html" left every mail we send
            # unescaped (a subject of <script>…</script> went out as markup). Text templates stay as typed.
            autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self.domain = settings.smtp.from_address.rpartition("@")[2]
        self.env.filters.update(dkk=kroner, hours=hours_text, local=self._local_text, day=day_text)

    def _local_text(self, moment: datetime, language: str) -> str:
        return local_time_text(moment, language, self.settings.company.timezone)

    def _values(self, context: dict[str, Any]) -> dict[str, Any]:
        """What every template may use besides its own context: the company and its opening hours."""
        company = self.settings.company
        start, end = company.opening_hours()
        return {"company": company, "hours_from": f"{start:%H:%M}", "hours_to": f"{end:%H:%M}", **context}

    def template_problem(self, name: str, *, syntax_only: bool = False) -> str | None:
        """Why template `name` cannot be used (missing, bad syntax, an unknown filter), or None when it loads.

        `syntax_only`: parse it without compiling, for templates another environment (Flask's) renders.
        """
        try:
            if syntax_only:
                source, _path, _uptodate = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
                self.env.parse(source, name)
            else:
                self.env.get_template(name)
        except TemplateNotFound:
            return "findes ikke"
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            return f"linje {line}: {exc.message}" if line else str(exc.message)
        return None

    def render_text(self, template: str, language: str, context: dict[str, Any]) -> str:
        return self.env.get_template(f"{template}.{language}.txt.j2").render(self._values(context))

    def compose(self, kind: str, recipient: str, subject: str, template: str, language: str,
                context: dict[str, Any], headers: dict[str, str], recipient_name: str | None = None,
                cc: Sequence[str] = ()) -> OutgoingMail:
        """Any outgoing mail from `template`.{language}.{txt,html}.j2 (context must hold `now`).

        `recipient_name`: the display name in To (the envelope and the outbox keep the bare address).
        `cc`: plain addresses for a Cc header (the caller checked them; the outbox row keeps them for the envelope).
        """
        company = self.settings.company
        values = self._values(context)
        text = self.env.get_template(f"{template}.{language}.txt.j2").render(values)
        html = self.env.get_template(f"{template}.{language}.html.j2").render(values)
        if not all(is_safe_address(address) for address in (recipient, *cc)):
            raise ValueError(f"refusing to address mail to {recipient!r} (cc {list(cc)!r})")
        message_id = f"<{kind}.{secrets.token_hex(10)}@{self.domain}>"
        all_headers: list[tuple[str, HeaderValue]] = [
            ("From", mailbox(self.settings.smtp.from_address, company.name)),
            ("To", mailbox(recipient, recipient_name)),
            ("Subject", subject), ("Date", format_datetime(context["now"])), ("Message-ID", message_id),
            ("X-MICO-Kind", kind), *headers.items(),
        ]
        if cc:
            all_headers.insert(2, ("Cc", tuple(Address(addr_spec=address) for address in cc)))
        return OutgoingMail(kind, recipient, message_id, subject, build_alternative(all_headers, text, html))

    def compose_ack(self, decision: Decision, mail: ParsedMail, now: datetime) -> OutgoingMail:
        """The acknowledgement of a new ticket, to the sender, threaded on their mail."""
        assert decision.ticket is not None and mail.from_address is not None
        number, language = decision.ticket, str(decision.language or "da")
        subject = ticket_subject(number, mail.subject, language)
        references = " ".join([*mail.references, *([mail.message_id] if mail.message_id else [])][-20:])
        headers = {
            # RFC 3834: we are an automatic reply; and Exchange should not answer us with its own.
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
            "X-MICO-Ticket": str(number),
        }
        if mail.message_id:
            headers["In-Reply-To"] = mail.message_id
            headers["References"] = references
        received = mail.date or now
        name = mail.from_name if mail.from_name and "@" not in mail.from_name else ""
        context = {
            "now": now, "ticket": number, "subject": TICKET_TAG.sub("", mail.subject or "").strip(),
            "name": name.split(" ")[0],
            "received": local_time_text(received, language, self.settings.company.timezone),
        }
        return self.compose("ack", mail.from_address, subject, "ack/ack", language, context, headers, name)
