"""The ticket page: hostile mail shown as text or sanitized HTML, attachments only through their own ticket, the trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.mailbuilder import build_mail
from tests.web.hostile import hostile_mail

Ingest = Callable[[bytes], dict[str, Any]]


def test_a_hostile_mail_is_shown_as_escaped_text(client: FlaskClient, ingest: Ingest) -> None:
    number = ingest(hostile_mail())["ticket"]
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "&lt;script&gt;window.__pwned" in page  # the text, readable, as text
    assert "<script>" not in page and "<img src=\"https://tracker" not in page and "<svg" not in page
    assert 'href="javascript:' not in page
    assert "Faktura &lt;script&gt;alert(1)&lt;/script&gt;" in page  # the subject too


def test_the_html_version_is_sanitized_and_remote_images_are_blocked(client: FlaskClient, ingest: Ingest) -> None:
    number = ingest(hostile_mail())["ticket"]
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    entry = page.split(f"/tickets/{number}/mail/")[1].split('"')[0]
    html = client.get(f"/tickets/{number}/mail/{entry}").get_data(as_text=True)
    body = html.split('<div class="mailhtml">')[1].split("</div>")[0]
    assert "Hej MICO" in body and "Klik her for at se fakturaen" in body
    for forbidden in ("<script", "onerror", "onload", "javascript:", "tracker.example", "<svg"):
        assert forbidden not in body.lower()
    assert "1 billede(r) er blokeret" in html


def test_another_tickets_mail_cannot_be_read_through_this_ticket(client: FlaskClient, ingest: Ingest) -> None:
    first = ingest(hostile_mail())["ticket"]
    second = ingest(build_mail(subject="Noget andet"))["ticket"]
    page = client.get(f"/tickets/{first}").get_data(as_text=True)
    entry = page.split(f"/tickets/{first}/mail/")[1].split('"')[0]
    assert client.get(f"/tickets/{first}/mail/{entry}").status_code == 200
    assert client.get(f"/tickets/{second}/mail/{entry}").status_code == 404


def test_an_attachment_downloads_as_an_attachment_with_a_safe_type(client: FlaskClient, ingest: Ingest) -> None:
    payload = b"<html><script>window.__pwned = 'attachment'</script></html>"
    number = ingest(hostile_mail(attachment=("faktura æøå.html", payload, "text/html")))["ticket"]
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    attachment_id = page.split(f"/tickets/{number}/attachments/")[1].split('"')[0]
    response = client.get(f"/tickets/{number}/attachments/{attachment_id}")
    assert response.status_code == 200
    assert response.data == payload
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''faktura%20%C3%A6%C3%B8%C3%A5.html" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_another_tickets_attachment_id_cannot_be_fetched_through_the_wrong_ticket(client: FlaskClient,
                                                                                 ingest: Ingest) -> None:
    owner = ingest(build_mail(attachment=("kontrakt.pdf", b"%PDF-1.7 hemmelig")))["ticket"]
    other = ingest(build_mail(subject="Skærmen flimrer"))["ticket"]
    page = client.get(f"/tickets/{owner}").get_data(as_text=True)
    attachment_id = page.split(f"/tickets/{owner}/attachments/")[1].split('"')[0]
    assert client.get(f"/tickets/{owner}/attachments/{attachment_id}").status_code == 200
    wrong = client.get(f"/tickets/{other}/attachments/{attachment_id}")
    assert wrong.status_code == 404 and b"hemmelig" not in wrong.data


def test_the_decision_and_its_trace_are_shown(client: FlaskClient, ingest: Ingest) -> None:
    number = ingest(build_mail(sender="ukendt@gmail.com", name="Ukendt"))["ticket"]
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "Beslutning og sporing" in page
    assert "<code>free-mail-domain</code>" in page  # the rule id
    assert "gmail.com er et gratis maildomæne" in page  # its reason
    assert "Ukendt afsender" in page  # the review flag, in Danish


def test_a_missing_ticket_is_a_danish_404(client: FlaskClient) -> None:
    response = client.get("/tickets/999999")
    assert response.status_code == 404 and "Sag #999999 findes ikke" in response.get_data(as_text=True)
