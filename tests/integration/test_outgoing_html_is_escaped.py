"""Mail content is hostile in every mail we send: the HTML part of each shows it as text, never as markup.

The acknowledgement, the on-call notice, a staff reply and the weekly summary all carry the
customer's subject (and the notice their first lines); tests/fixtures/mail/ has the hostile mail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.summary.build import IsoWeek
from inbox_worker.features.summary.send import send_summaries
from inbox_worker.features.tickets.reply import queue_reply
from inbox_worker.mail.runner import Runner
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.models import OutboxMessage, Ticket
from tests.conftest import mail_bytes

SATURDAY_NIGHT = datetime(2026, 11, 28, 20, 45, tzinfo=UTC)  # outside opening hours: the on-call notice too


class _Elements(HTMLParser):
    """Every element and attribute a mail client would see in an HTML part."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def _markup_from_the_mail(html: str) -> list[str]:
    found = _Elements()
    found.feed(html)
    return sorted({tag for tag in found.tags if tag in ("script", "img", "svg", "iframe", "object")}
                  | {name for name, _ in found.attributes if name.startswith("on")}
                  | {value for _, value in found.attributes if value.strip().lower().startswith("javascript:")})


def _html(row: OutboxMessage) -> str:
    message = message_from_bytes(row.body, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("html",))
    assert part is not None, row.kind
    return str(part.get_content())


def _outbox(engine: Engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        return {row.kind: row for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def test_every_mail_we_send_shows_hostile_markup_as_text(settings: Settings, engine: Engine) -> None:
    decision = Runner(settings, engine).process(mail_bytes("hostile-markup-in-subject-and-body.eml"), "t",
                                                now=SATURDAY_NIGHT)
    assert decision["priority"] == "emergency" and decision["ack"] == "queued"
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, decision["ticket"])
        assert ticket is not None
        queue_reply(session, Renderer(settings), ticket, "Vi kigger på <b>det</b> nu", "JH", "Jens <Hansen>",
                    SATURDAY_NIGHT)
    send_summaries(settings, engine, IsoWeek(2026, 48), customer="bageriet",
                   now=datetime(2026, 11, 30, 6, 0, tzinfo=UTC))

    sent = _outbox(engine)
    assert set(sent) == {"ack", "oncall", "reply", "summary"}
    for kind, row in sent.items():
        html = _html(row)
        assert _markup_from_the_mail(html) == [], kind
        shown = "&lt;b&gt;det&lt;/b&gt;" if kind == "reply" else "&lt;script&gt;"
        assert shown in html, kind  # the words are there, as text
