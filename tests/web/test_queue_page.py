"""The triage queue: what needs a look comes first; filters, counts, search, paging and "mine"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.mailbuilder import build_mail

Ingest = Callable[[bytes], dict[str, Any]]
Post = Callable[..., Any]


def _numbers(page: str) -> list[int]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [int(n) for n in re.findall(r'<td><a href="/tickets/(\d+)">#', body)]


def _count(page: str, facet_value_text: str) -> int:
    match = re.search(re.escape(facet_value_text) + r'</a> <span class="count">(\d+)</span>', page)
    assert match, facet_value_text
    return int(match.group(1))


def test_tickets_needing_a_look_come_first_then_priority_then_age(client: FlaskClient, post: Post,
                                                                   ingest: Ingest) -> None:
    plain_old = ingest(build_mail(subject="Gammel sag"))["ticket"]
    plain_new = ingest(build_mail(subject="Ny sag"))["ticket"]
    stranger = ingest(build_mail(sender="fremmed@gmail.com", subject="Hvem er jeg"))["ticket"]
    low = ingest(build_mail(sender="pernille@salon-haarfin.dk", subject="Lav prioritet"))["ticket"]
    high = ingest(build_mail(subject="Vigtig"))["ticket"]
    post(f"/tickets/{high}/set", field="priority", value="high")
    emergency = ingest(build_mail(subject="Serveren er nede"))["ticket"]
    post(f"/tickets/{emergency}/set", field="priority", value="emergency")
    page = client.get("/?status=open").get_data(as_text=True)
    assert _numbers(page)[:2] == [emergency, stranger]
    assert set(_numbers(page)[2:]) | set(_numbers(client.get("/?page=2").get_data(as_text=True))) == {
        high, plain_old, plain_new, low}
    second_page = _numbers(client.get("/?page=2").get_data(as_text=True))
    # Salon Hårfin has no agreement: its (low priority) printer work is billable, and billable work needs a look
    # before tickets that need none, whatever their priority; those then go by priority and age.
    assert _numbers(page)[2:] + second_page == [low, high, plain_old, plain_new]  # page_size 5 in tests


def test_filters_and_their_counts(client: FlaskClient, post: Post, ingest: Ingest) -> None:
    bakery = [ingest(build_mail(subject=f"Bageri {n}"))["ticket"] for n in range(3)]
    dentist = ingest(build_mail(sender="mette@tandlaegerne-aaen.dk", subject="Tandlæge"))["ticket"]
    post(f"/tickets/{bakery[0]}/set", field="category", value="network")  # all four are printer mails
    post(f"/tickets/{bakery[1]}/set", field="status", value="closed")
    page = client.get("/").get_data(as_text=True)
    assert _count(page, "Bageriet Sørensen ApS") == 2 and _count(page, "Netværk") == 1 and _count(page, "Printer") == 2
    assert _count(page, "Lukket") == 1 and _count(page, "Åben") == 3
    assert sorted(_numbers(client.get("/?customer=bageriet").get_data(as_text=True))) == [bakery[0], bakery[2]]
    assert _numbers(client.get("/?category=network").get_data(as_text=True)) == [bakery[0]]
    assert _numbers(client.get("/?status=closed").get_data(as_text=True)) == [bakery[1]]
    assert len(_numbers(client.get("/?status=").get_data(as_text=True))) == 4
    # Bageriet's printer is covered by its agreement; the dentists are on trial, where work is billable.
    assert sorted(_numbers(client.get("/?coverage=covered").get_data(as_text=True))) == [bakery[0], bakery[2]]
    assert _numbers(client.get("/?coverage=billable&priority=normal").get_data(as_text=True)) == [dentist]
    assert _numbers(client.get("/?coverage=billable&priority=high").get_data(as_text=True)) == []
    assert _numbers(client.get("/?customer=findes-ikke").get_data(as_text=True)) == []


def test_search_by_number_subject_and_sender(client: FlaskClient, ingest: Ingest) -> None:
    printer = ingest(build_mail(subject="Printeren på 1. sal"))["ticket"]
    mette = ingest(build_mail(sender="mette@tandlaegerne-aaen.dk", subject="Røntgen-pc'en",
                              body="Hej\n\nRøntgen-pc'en starter ikke.\n\nMette"))["ticket"]
    assert _numbers(client.get("/?q=printeren").get_data(as_text=True)) == [printer]
    assert _numbers(client.get("/?q=RØNTGEN").get_data(as_text=True)) == [mette]
    assert _numbers(client.get("/?q=tandlaegerne-aaen").get_data(as_text=True)) == [mette]
    jump = client.get(f"/?q=%23{mette}")  # a ticket number jumps straight to that ticket
    assert jump.status_code == 302 and jump.headers["Location"].endswith(f"/tickets/{mette}")
    assert _numbers(client.get("/?q=100%25").get_data(as_text=True)) == []  # % is a character, not a wildcard


def test_mine_shows_the_tickets_assigned_to_me(client: FlaskClient, post: Post, ingest: Ingest) -> None:
    bakery = ingest(build_mail())["ticket"]  # Bageriet's account manager is JH
    dentist = ingest(build_mail(sender="mette@tandlaegerne-aaen.dk"))["ticket"]
    post(f"/tickets/{dentist}/assign", assignee="KB")
    assert _numbers(client.get("/?mine=1").get_data(as_text=True)) == [bakery]
    post(f"/tickets/{dentist}/assign", assignee="JH")
    assert sorted(_numbers(client.get("/?mine=1").get_data(as_text=True))) == sorted([bakery, dentist])


def test_the_queue_escapes_hostile_subjects(client: FlaskClient, ingest: Ingest) -> None:
    ingest(build_mail(subject="<img src=x onerror=alert(1)>"))
    page = client.get("/").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
