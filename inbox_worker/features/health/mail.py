"""The staff alert and its recovery notice, rendered from templates/alert/ (Danish, times in the company zone)."""

from __future__ import annotations

import re
import socket
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from inbox_worker.config import Settings
from inbox_worker.domain.health import AlertState
from inbox_worker.domain.outgoing import OutgoingMail
from inbox_worker.outbound.render import Renderer, day_text, hours_text, local_time_text

KIND = "alert"  # the outbox rows' kind
HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}  # RFC 3834: not a reply


def short_time(moment: datetime, now: datetime, zone: str) -> str:
    """'14:03' on the day of `now`, else '8. december 2026 14:03' (the subject line)."""
    local, today = moment.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone)).date()
    return f"{local:%H:%M}" if local.date() == today else f"{day_text(local.date())} {local:%H:%M}"


def duration_text(start: datetime, end: datetime) -> str:
    minutes = max(0, int((end - start).total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else hours_text(minutes)


def _context(renderer: Renderer, settings: Settings, state: AlertState, now: datetime,
             recovered: bool) -> dict[str, Any]:
    zone = settings.company.timezone
    context = {"now": now, "condition": state.condition, "facts": state.facts, "recovered": recovered,
               "since_text": local_time_text(state.since, "da", zone),
               "since_short": short_time(state.since, now, zone), "now_text": local_time_text(now, "da", zone),
               "duration": duration_text(state.since, now), "host": socket.gethostname()}
    return context | words(renderer, state.condition, state.facts, context)


def words(renderer: Renderer, condition: str, facts: dict[str, Any], context: dict[str, Any]) -> dict[str, str]:
    """The condition's title, what is wrong and what to do (templates/alert/_conditions.da.j2), as plain text.

    Called from here, not from the mail templates: a macro of a text template called from an HTML one
    would hand over its text unescaped as markup; as plain strings, the HTML part escapes them.
    """
    module: Any = renderer.env.get_template("alert/_conditions.da.j2").make_module(context)
    return {name: str(getattr(module, name)(condition, facts)).strip() for name in ("title", "what", "advice")}


def _subject(renderer: Renderer, context: dict[str, Any]) -> str:
    return re.sub(r"\s+", " ", renderer.render_text("alert/subject", "da", context)).strip()


def compose(renderer: Renderer, settings: Settings, state: AlertState, now: datetime, recovered: bool) -> OutgoingMail:
    """The alert (the condition began) or, with `recovered`, the notice that it cleared; to the staff address."""
    context = _context(renderer, settings, state, now, recovered)
    template = "alert/recovered" if recovered else "alert/alert"
    headers = {**HEADERS, "X-MICO-Alert": state.condition}
    return renderer.compose(KIND, settings.company.staff_address, _subject(renderer, context), template, "da",
                            context, headers)
