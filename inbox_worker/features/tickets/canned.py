"""Canned replies (standardsvar): texts staff keep as templates, filled with the ticket's fields, edited before sending.

They are data, edited without code: `canned/index.toml` in the templates folder (`[paths] templates`) lists
each reply's id, its title per language and its languages; its body is `canned/<id>.<language>.txt.j2`,
rendered by the mail templates' own environment (plain text, never HTML: what the ticket carries stays
text). The coverage sentence is a template too (`canned/_coverage.<language>.txt.j2`). A reply that
cannot be read or rendered is answered with a Danish sentence saying which and why, never an error page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.money import kroner
from inbox_worker.domain.ticket_tag import TICKET_TAG
from inbox_worker.domain.vocabulary import LANGUAGES
from inbox_worker.errors import UserError
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.models import Contact, Device, Ticket, TicketDevice
from inbox_worker.tomlfile import read_toml

INDEX = "canned/index.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class CannedProblem(Exception):
    """A canned reply that cannot be used, with the reason in Danish."""


@dataclass(frozen=True)
class CannedReply:
    id: str
    titles: dict[str, str]  # language -> title
    languages: tuple[str, ...]  # the languages it has a body in

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("da") or next(iter(self.titles.values()), self.id)

    def language_for(self, wanted: str) -> str:
        """The body's language: the contact's when the reply has it, else Danish, else its first."""
        return wanted if wanted in self.languages else "da" if "da" in self.languages else self.languages[0]


def load_index(templates: str | Path) -> list[CannedReply]:
    """The canned replies listed in `canned/index.toml`, in its order (no file: none). UserError when it is wrong."""
    path = Path(templates) / INDEX
    if not path.exists():
        return []
    data = read_toml(path, "standardsvarenes indeks")
    replies, seen = [], set()
    for number, item in enumerate(data.get("reply", []), start=1):
        where = f"{path}: svar nr. {number}"
        if not isinstance(item, dict):
            raise UserError(f"{where} skal være en tabel ([[reply]])")
        reply_id, titles, languages = item.get("id"), item.get("title"), item.get("languages", ["da", "en"])
        if not isinstance(reply_id, str) or not _ID.match(reply_id) or reply_id in seen:
            raise UserError(f"{where}: 'id' skal være et unikt navn af små bogstaver, cifre og bindestreger")
        if not isinstance(titles, dict) or not titles or not all(isinstance(v, str) for v in titles.values()):
            raise UserError(f"{where} ({reply_id}): 'title' skal være en tabel, fx {{ da = \"…\", en = \"…\" }}")
        if (not isinstance(languages, list) or not languages
                or not all(isinstance(x, str) and x in LANGUAGES for x in languages)):
            raise UserError(f"{where} ({reply_id}): 'languages' skal være en liste af {', '.join(LANGUAGES)}")
        seen.add(reply_id)
        replies.append(CannedReply(reply_id, dict(titles), tuple(languages)))
    return replies


def first_name(session: Session, ticket: Ticket) -> str:
    """The contact's first name (the registry's name for the ticket's contact), or empty."""
    if not ticket.contact_email:
        return ""
    name = session.scalar(select(Contact.name).where(Contact.email == ticket.contact_email)) or ""
    return name.split()[0] if name.split() else ""


def device_text(session: Session, ticket: int) -> str:
    """The ticket's linked devices as 'BAG-PRN-01 (Printer i butikken)', comma-separated; empty when none."""
    devices = session.execute(select(Device.tag, Device.name).join(TicketDevice, TicketDevice.device_id == Device.id)
                              .where(TicketDevice.ticket_id == ticket).order_by(Device.tag)).all()
    return ", ".join(f"{tag} ({name})" if name else tag for tag, name in devices)


def variables(session: Session, renderer: Renderer, ticket: Ticket, staff_name: str, language: str) -> dict[str, Any]:
    """What a canned reply may use: name, ticket, subject, device, coverage (a sentence), staff_name."""
    coverage = ticket.coverage or {}
    rate = int(coverage.get("rate_dkk") or 0)
    sentence = _render(renderer, "canned/_coverage", language, {
        "status": ticket.coverage_status, "rate": kroner(rate, language) if rate else "",
        "package": coverage.get("package") or ""}).strip()
    return {"name": first_name(session, ticket), "ticket": ticket.id,
            "subject": TICKET_TAG.sub("", ticket.subject or "").strip(), "device": device_text(session, ticket.id),
            "coverage": sentence, "staff_name": staff_name}


def _render(renderer: Renderer, template: str, language: str, values: dict[str, Any]) -> str:
    try:
        return renderer.render_text(template, language, values)
    except TemplateNotFound as exc:
        raise CannedProblem(f"skabelonen {exc.name} findes ikke") from None
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise CannedProblem(f"{template}.{language}.txt.j2" + (f", linje {line}" if line else "")
                            + f": {exc.message}") from None


def render(session: Session, renderer: Renderer, ticket: Ticket, reply_id: str, staff_name: str) -> str:
    """The canned reply `reply_id` for this ticket, in the contact's language where it has one.

    CannedProblem (Danish) when it is unknown, its index is wrong, or its template does not render.
    """
    try:
        replies = {reply.id: reply for reply in load_index(renderer.settings.paths.templates)}
    except UserError as exc:
        raise CannedProblem(f"Standardsvarene kan ikke læses: {exc}") from None
    reply = replies.get(reply_id)
    if reply is None:
        raise CannedProblem(f"Standardsvaret »{reply_id[:64]}« findes ikke")
    language = reply.language_for(ticket.language if ticket.language in LANGUAGES else "da")
    try:
        values = variables(session, renderer, ticket, staff_name, language)
        return _render(renderer, f"canned/{reply.id}", language, values).strip("\n")
    except CannedProblem as exc:
        raise CannedProblem(f"Standardsvaret »{reply.title('da')}« kan ikke bruges: {exc}") from None
