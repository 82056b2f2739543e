"""The "Karantæne" page: staff see what is in quarantine and why, and take mail back once the cause is fixed.

Staff only, CSRF on its form, every mail field escaped, every reprocessing audit-logged, exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, RawMessage, Ticket
from tests.conftest import FIXTURES
from tests.mailbuilder import build_mail

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def _quarantine_by_fault(settings: Settings, engine: Engine) -> int:
    """A mail with an attachment while the attachments folder is unusable: quarantined; the folder then fixed."""
    folder = Path(settings.storage.attachments_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    raw = (FIXTURES / "mail" / "copies" / "original.eml").read_bytes().replace(
        b"Subject: =?utf-8?q?Kassesystemet_g=C3=A5r_ned_hver_morgen?=", f"Subject: {HOSTILE}".encode())
    decision = Runner(settings, engine).process(raw, "imap:INBOX")
    folder.unlink()
    assert decision["outcome"] == "quarantined"
    with Session(engine) as session:
        return int(session.scalar(select(func.max(RawMessage.id))) or 0)


def test_the_page_lists_quarantined_mail_escaped_and_takes_it_back_once(
        client: FlaskClient, post: Any, settings: Settings, engine: Engine) -> None:
    raw_id = _quarantine_by_fault(settings, engine)
    Runner(settings, engine).process(build_mail(subject="Stadig helt i orden"), "test")  # not in quarantine

    page = client.get("/quarantine").get_data(as_text=True)
    assert "unexpected-error" in page and f'href="/quarantine/{raw_id}"' in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "Stadig helt i orden" not in page
    one = client.get(f"/quarantine/{raw_id}").get_data(as_text=True)
    assert "Behandl igen" in one and HOSTILE not in one and "Message-ID: &lt;kasse-42@bageriet-soerensen.dk&gt;" in one

    done = post("/quarantine/reprocess", raw_id=str(raw_id), back="mail")
    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Ny sag, sag #" in shown and "Behandl igen" not in shown
    assert shown.count("I karantæne") >= 1 and "Ny sag" in shown  # the quarantine stays in the history

    again = post("/quarantine/reprocess", raw_id=str(raw_id))
    assert "ikke i karantæne" in client.get(again.headers["Location"]).get_data(as_text=True)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "quarantine-reprocess")).all()
        assert entry.actor == "JH" and entry.details["raw"] == raw_id


def test_the_desk_needs_a_login_and_a_csrf_token(app: Flask, client: FlaskClient, settings: Settings,
                                                 engine: Engine) -> None:
    raw_id = _quarantine_by_fault(settings, engine)
    refused = client.post("/quarantine/reprocess", data={"raw_id": str(raw_id)})
    assert refused.status_code == 400
    with app.test_client() as anonymous:
        assert anonymous.get("/quarantine").status_code == 302
        assert anonymous.post("/quarantine/reprocess", data={"raw_id": str(raw_id)}).status_code in (302, 400)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
