"""The export's index.html: a Danish overview for the person or customer receiving it (what is included, how
much, their tickets, every file), from templates/privacy/index.da.html.j2, autoescaped: mail content is hostile."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Template, TemplateError, TemplateNotFound

from inbox_worker.domain.labels import label
from inbox_worker.errors import UserError
from inbox_worker.features.privacy.archive import Member
from inbox_worker.features.privacy.collect import Collected
from inbox_worker.features.privacy.scope import ScopeKind
from inbox_worker.outbound.render import Renderer, local_time_text

TEMPLATE = "privacy/index.da.html.j2"
COUNTS = (  # counts key -> what it counts, in the order the page shows them
    ("mails", "originale mails (.eml)"), ("quarantined", "heraf i karantæne"),
    ("attachments", "vedhæftede filer"), ("tickets", "sager"), ("entries", "indlæg i sagernes tråde"),
    ("time_entries", "tidsregistreringer"), ("summaries", "ugeoversigter"), ("outgoing", "mails fra os"),
    ("audit", "poster i revisionsloggen"), ("access_log", "poster i adgangsloggen"),
)


def size_text(size: int) -> str:
    """'812 byte', '12,3 kB', '4,1 MB' (Danish decimal comma)."""
    if size < 1000:
        return f"{size} byte"
    value, unit = (size / 1e6, "MB") if size >= 1e6 else (size / 1e3, "kB")
    return f"{value:.1f} {unit}".replace(".", ",")


def _who(collected: Collected) -> dict[str, Any]:
    scope = collected.scope
    if scope.kind == ScopeKind.CUSTOMER:
        assert scope.customer is not None
        return {"name": scope.customer.name, "key": scope.customer.key,
                "people": [f"{c.name} <{c.email}>" for c in scope.contacts]}
    contact = scope.contact
    return {"name": contact.name if contact else scope.asked, "email": contact.email if contact else scope.asked,
            "aliases": sorted(scope.addresses - {(contact.email if contact else scope.asked).lower()}),
            "customer": scope.customer.name if scope.customer else None}


def _tickets(collected: Collected, zone: ZoneInfo) -> list[dict[str, Any]]:
    def day(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%d.%m.%Y") if moment else "–"

    return [{"number": t.id, "subject": t.subject or "(intet emne)", "status": label(t.status, "status"),
             "created": day(t.created_at), "closed": day(t.closed_at),
             "entries": len(collected.entries.get(t.id, [])),
             "own": t.id in collected.own} for t in collected.tickets]


def template(renderer: Renderer) -> Template:
    """The index template, or one Danish line saying why it cannot be used (an edited folder from before it)."""
    try:
        return renderer.env.get_template(TEMPLATE)
    except TemplateNotFound:
        raise UserError(f"privacy export: skabelonen {TEMPLATE} findes ikke i {renderer.settings.paths.templates} "
                        "(paths.templates): kopiér den fra en ny 'inbox-worker rules copy DIR'") from None
    except TemplateError as exc:
        raise UserError(f"privacy export: skabelonen {TEMPLATE} kan ikke bruges: {exc.message}") from None


def render(page: Template, renderer: Renderer, collected: Collected, counts: dict[str, int], members: list[Member],
           missing: list[str], now: datetime, actor: str) -> bytes:
    settings = renderer.settings
    zone = ZoneInfo(settings.company.timezone)
    text = page.render(
        company=settings.company.name, kind=collected.scope.kind.value, who=_who(collected),
        generated=local_time_text(now, "da", settings.company.timezone), actor=actor,
        counts=[(what, counts.get(key, 0)) for key, what in COUNTS], tickets=_tickets(collected, zone),
        files=[(m.name, size_text(m.size)) for m in members], missing=missing, left_out=collected.left_out,
        without_bytes=counts.get("mails_without_bytes", 0))
    return text.encode("utf-8")
