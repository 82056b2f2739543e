"""The ticket page built around the conversation: thread first, one form for the fields, Danish throughout."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, text_of, ticket_row
from tests.web.hostile import PAYLOAD

Ingest = Callable[[bytes], dict[str, Any]]
Post = Callable[..., Any]
QUOTED_REPLY = ("Den virker stadig ikke efter genstart.\n\nMed venlig hilsen\nLone Sørensen\n\n"
                "Den 20. nov. 2026 kl. 10.12 skrev MICO Support <support@mico.dk>:\n> Prøv at genstarte printeren.\n")


def page_of(client: FlaskClient, number: int) -> str:
    return client.get(f"/tickets/{number}").get_data(as_text=True)


def test_the_thread_comes_first_and_the_reply_box_follows_the_latest_entry(client: FlaskClient, ticket: int) -> None:
    page = page_of(client, ticket)
    assert page.index("<h1>") < page.index('class="thread"') < page.index('class="side"') < page.index('class="below"')
    last_entry = page.rindex('<article class="entry')
    assert last_entry < page.index(f'action="/tickets/{ticket}/reply"') < page.index('class="side"')
    for section in ("tid-og-daekning", "sporing", "revisionslog"):  # folded below, closed
        assert re.search(rf'<details class="section" id="{section}">', page)


def test_each_entry_says_who_wrote_with_the_contacts_phone_and_when_the_mail_was_written(
        client: FlaskClient, ticket: int) -> None:
    page = page_of(client, ticket)
    entry = page.split('<article class="entry inbound"')[1].split("</article>")[0]
    assert '<span class="who">Lone Sørensen</span>' in entry and "&lt;lone@bageriet-soerensen.dk&gt;" in entry
    assert 'href="tel:+4521436587"' in entry and "+45 21 43 65 87" in entry
    assert '<time title="Mailens dato">20.11.2026 10:12</time>' in entry  # the Date header, local time
    assert "modtaget " in entry  # ingested now, long after it was written: both times


def test_the_acknowledgement_is_labelled_and_folded_shown_in_full_on_demand(client: FlaskClient, ticket: int) -> None:
    page = page_of(client, ticket)
    ack = page.split('<article class="entry outbound out-ack"')[1].split("</article>")[0]
    assert '<strong class="what">Kvittering</strong>' in ack and "Mail til kunden" not in ack
    assert '<details class="full">' in ack and "Hej Lone" in ack  # the mail as sent, inside the fold


def test_quoted_history_and_signature_are_folded_under_the_new_text(
        client: FlaskClient, ticket: int, ingest: Ingest) -> None:
    ingest(build_mail(subject=f"Sv: [MICO #{ticket}] Printeren virker ikke", body=QUOTED_REPLY))
    page = page_of(client, ticket)
    entry = page.split('<article class="entry inbound"')[2].split("</article>")[0]
    assert '<pre class="body">Den virker stadig ikke efter genstart.</pre>' in entry
    folded = entry.split('<details class="quoted">')[1]
    assert "Vis signatur og citeret tekst" in folded and "&gt; Prøv at genstarte printeren." in folded
    assert "Med venlig hilsen" in folded


def test_the_fields_are_edited_in_one_form_with_one_save_each_change_audited(
        client: FlaskClient, post: Post, engine: Engine, ticket: int) -> None:
    page = page_of(client, ticket)
    form = page.split('id="ticket-fields"')[1].split("</form>")[0]
    assert all(f'name="{name}"' in form for name in ("status", "priority", "category", "assignee", "version"))
    assert form.count('type="submit"') == 3 and 'data-shortcut="e"' in form
    category = ticket_row(engine, ticket).category
    response = post(f"/tickets/{ticket}/update", status="waiting", priority="high", category=category,
                    assignee="KB", do="save")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tickets/{ticket}")
    stored = ticket_row(engine, ticket)
    assert (stored.status, stored.priority, stored.category, stored.assignee) == ("waiting", "high", category, "KB")
    assert audit_actions(engine, ticket) == ["set-priority", "set-status", "assign"]  # the category did not change
    log = text_of(page_of(client, ticket).split('id="revisionslog"')[1])
    assert "JH ændrede prioritet fra Normal til Høj" in log and "JH ændrede status fra Åben til Afventer kunde" in log
    assert "JH tildelte sagen til KB (før JH)" in log
    for raw in ("before:", "after:", "rate_dkk", "set-status"):
        assert raw not in log


def test_luk_sagen_closes_and_the_old_single_field_routes_still_work(
        post: Post, engine: Engine, ticket: int) -> None:
    assert post(f"/tickets/{ticket}/set", field="priority", value="low").status_code == 302
    assert post(f"/tickets/{ticket}/assign", assignee="KB").status_code == 302
    assert post(f"/tickets/{ticket}/update", status="open", priority="low", do="close").status_code == 302
    stored = ticket_row(engine, ticket)
    assert (stored.status, stored.priority, stored.assignee) == ("closed", "low", "KB")
    assert audit_actions(engine, ticket) == ["set-priority", "assign", "set-status"]


def test_gem_og_naeste_saves_and_opens_the_next_ticket_of_the_queue(
        client: FlaskClient, post: Post, engine: Engine, ingest: Ingest) -> None:
    numbers = [ingest(build_mail(subject=f"Sag {n}", body=f"Printeren virker ikke ({n})."))["ticket"]
               for n in range(3)]
    queue = client.get("/").get_data(as_text=True)
    order = [n for n in map(int, re.findall(r'href="/tickets/(\d+)"', queue)) if n in numbers]
    order = list(dict.fromkeys(order))
    assert sorted(order) == sorted(numbers)
    first, second, third = order
    moved = post(f"/tickets/{first}/update", status="closed", do="next")  # closing it leaves the queue
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/tickets/{second}")
    assert ticket_row(engine, first).status == "closed" and audit_actions(engine, first) == ["set-status"]
    assert post(f"/tickets/{second}/update", priority="emergency", do="next").headers["Location"].endswith(
        f"/tickets/{third}")  # raised to the top of the queue, it still goes on to the one after its old place
    last = post(f"/tickets/{third}/update", do="next")
    assert last.headers["Location"].endswith("/")
    assert "Der er ikke flere sager i køen efter denne" in client.get("/").get_data(as_text=True)


def test_hostile_subject_body_and_quote_are_inert_in_every_new_element(client: FlaskClient, ingest: Ingest) -> None:
    number = ingest(build_mail(subject="Faktura <script>alert(1)</script>", name="<img src=x onerror=alert(1)>",
                               body=f"Hej {PAYLOAD}\n\nMed venlig hilsen\n<b>Lone</b>\n\n"
                                    f"Den 20. nov. 2026 kl. 10.12 skrev MICO <support@mico.dk>:\n> {PAYLOAD}\n"))["ticket"]
    page = page_of(client, number)
    page = re.sub(r'<script src="/static/\w+\.js" defer></script>', "", page)  # our own scripts, external
    for forbidden in ("<script", "<svg", "<img src", "onerror=\"", "href=\"javascript:", "<b>Lone"):
        assert forbidden not in page
    assert "&lt;script&gt;window.__pwned" in page.split('<details class="quoted">')[1]  # quoted, escaped
    ack = page.split("out-ack")[1].split("</article>")[0]
    assert "Faktura &lt;script&gt;alert(1)&lt;/script&gt;" in ack  # the ack's subject, in its fold


def test_the_trace_reads_as_danish_sentences_without_json_or_escapes(client: FlaskClient, ingest: Ingest) -> None:
    number = ingest(build_mail(subject="Telefonen ringer ikke", body="Hej\n\nMin telefon virker ikke.\n\nLone"))["ticket"]
    trace = page_of(client, number).split('id="sporing"')[1].split('id="revisionslog"')[0]
    assert "Mailen nævner en telefon (telefon, telefon), men kontakten har ingen telefon registreret." in text_of(trace)
    assert "Dækning:" in trace and "<dt>prøvede regler</dt>" in trace and "Kategori Mobil:" in trace
    assert "<dt>svarfrist</dt><dd>i åbningstiden</dd>" in trace and "<dt>point</dt><dd>Mobil: 9</dd>" in trace
    for raw in ("\\u00", "{&#34;", "&#34;:", "[&#34;", "tried", "rate_dkk", "null"):
        assert raw not in trace, raw
