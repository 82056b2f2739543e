"""Bulk actions from the queue: the ticked tickets assigned, set to a status or priority, or merged into one, all
or nothing; each ticket's change audited as on its own page; back to the same queue view with a Danish summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, ticket_row

Ingest = Callable[[bytes], dict[str, Any]]
Post = Callable[..., Any]
BACK = "/?status=open&category=printer"


def _versions(engine: Engine, numbers: list[int]) -> dict[str, str]:
    """The version fields of the queue page as loaded now."""
    return {f"version-{n}": str(ticket_row(engine, n).version) for n in numbers}


@pytest.fixture
def three(ingest: Ingest) -> list[int]:
    return [int(ingest(build_mail(subject=f"Printer {n}"))["ticket"]) for n in range(3)]


def _bulk(post: Post, engine: Engine, numbers: list[int], **form: Any) -> Any:
    return post("/bulk", ticket=[str(n) for n in numbers], back=BACK, **{**_versions(engine, numbers), **form})


def _flash(client: FlaskClient, response: Any) -> str:
    """The last message the queue view shows after the action (an earlier action's may come before it)."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return page.split('role="status">')[-1].split("</p>")[0] if 'role="status">' in page else ""


def test_bulk_assign_audits_each_ticket_and_returns_to_the_same_view(client: FlaskClient, post: Post,
                                                                     engine: Engine, three: list[int]) -> None:
    response = _bulk(post, engine, three, action="assign", assignee="KB")
    assert response.status_code == 302 and response.headers["Location"] == BACK
    assert _flash(client, response) == "3 sager tildelt KB"
    for number in three:
        assert ticket_row(engine, number).assignee == "KB"
        assert audit_actions(engine, number)[-1] == "assign"


def test_bulk_status_and_priority_move_each_ticket_as_its_own_page_would(client: FlaskClient, post: Post,
                                                                         engine: Engine, three: list[int]) -> None:
    assert _flash(client, _bulk(post, engine, three[:2], action="priority", priority="high")) == (
        "2 sager sat til prioritet høj")
    assert _flash(client, _bulk(post, engine, three, action="status", status="closed")) == (
        "3 sager sat til status lukket")
    for number in three:
        ticket = ticket_row(engine, number)
        assert ticket.status == "closed" and ticket.closed_at is not None and audit_actions(engine, number)[-1] == (
            "set-status")
    assert [ticket_row(engine, n).priority for n in three] == ["high", "high", "normal"]
    assert "set-priority" in audit_actions(engine, three[0]) and "set-priority" not in audit_actions(engine, three[2])
    # Already closed: nothing to change, nothing audited, and the summary says so.
    before = audit_actions(engine, three[0])
    assert _flash(client, _bulk(post, engine, three[:1], action="status", status="closed")) == (
        "0 sager sat til status lukket (1 sag havde det allerede)")
    assert audit_actions(engine, three[0]) == before


def test_bulk_merge_into_the_lowest_number_or_a_chosen_one(client: FlaskClient, post: Post, engine: Engine,
                                                           three: list[int]) -> None:
    low, middle, high = three
    assert _flash(client, _bulk(post, engine, [high, low], action="merge", into="")) == (
        f"1 sag flettet ind i #{low}: #{high}")
    assert ticket_row(engine, high).merged_into_id == low and ticket_row(engine, high).status == "closed"
    assert audit_actions(engine, high)[-1] == "merge" and audit_actions(engine, low)[-1] == "merged-in"
    assert _flash(client, _bulk(post, engine, [low, middle], action="merge", into=f"#{middle}")) == (
        f"1 sag flettet ind i #{middle}: #{low}")
    assert ticket_row(engine, low).merged_into_id == middle


def test_a_stale_ticket_refuses_the_whole_action_and_changes_nothing(client: FlaskClient, post: Post,
                                                                     engine: Engine, three: list[int]) -> None:
    loaded = _versions(engine, three)  # the queue page as staff loaded it
    post(f"/tickets/{three[1]}/assign", assignee="JH")  # meanwhile a colleague acts on the second one
    audits = {n: audit_actions(engine, n) for n in three}
    response = post("/bulk", ticket=[str(n) for n in three], back=BACK, action="assign", assignee="KB", **loaded)
    assert response.headers["Location"] == BACK
    message = _flash(client, response)
    assert f"Sag #{three[1]} er ændret, siden du åbnede den" in message
    assert "Ingen af de valgte sager er ændret." in message
    assert [ticket_row(engine, n).assignee for n in three] == ["JH", "JH", "JH"]  # Bageriet's account manager
    assert {n: audit_actions(engine, n) for n in three} == audits


def test_a_refusal_for_one_ticket_names_it_and_changes_none(client: FlaskClient, post: Post, engine: Engine,
                                                            three: list[int], ingest: Ingest) -> None:
    dentist = int(ingest(build_mail(sender="mette@tandlaegerne-aaen.dk"))["ticket"])
    message = _flash(client, _bulk(post, engine, [three[0], dentist], action="merge"))
    assert message == (f"Sag #{dentist}: Sagerne tilhører forskellige kunder. Ingen af de valgte sager er ændret.")
    assert ticket_row(engine, dentist).merged_into_id is None and ticket_row(engine, dentist).status == "open"
    assert "merge" not in audit_actions(engine, dentist)


def test_an_empty_selection_or_a_bad_request_is_a_clear_message(client: FlaskClient, post: Post, engine: Engine,
                                                                three: list[int]) -> None:
    empty = post("/bulk", back=BACK, action="assign", assignee="KB")
    assert empty.headers["Location"] == BACK
    assert _flash(client, empty) == "Vælg mindst én sag i listen først. Ingen af de valgte sager er ændret."
    assert _flash(client, _bulk(post, engine, three[:1], action="merge")).startswith(
        "Vælg mindst to sager for at flette dem.")
    assert _flash(client, _bulk(post, engine, three[:2], action="merge", into=str(three[2]))).startswith(
        f"Sag #{three[2]} er ikke blandt de valgte sager.")
    assert _flash(client, _bulk(post, engine, three, action="assign", assignee="ZZ")).startswith(
        f"Sag #{three[0]}: Ukendt medarbejder.")
    assert _flash(client, _bulk(post, engine, three, action="status", status="deleted")).startswith(
        f"Sag #{three[0]}: Ugyldig værdi.")
    assert [ticket_row(engine, n).status for n in three] == ["open"] * 3


def test_the_way_back_stays_on_this_site(post: Post, engine: Engine, three: list[int]) -> None:
    for back in ("//evil.example/", "https://evil.example/", "/tickets/1/../../x", "javascript:alert(1)"):
        response = post("/bulk", ticket=[str(three[0])], back=back, action="assign", assignee="KB",
                        **_versions(engine, three[:1]))
        assert response.headers["Location"] == "/", back


def test_bulk_actions_need_the_csrf_token(client: FlaskClient, engine: Engine, three: list[int]) -> None:
    response = client.post("/bulk", data={"ticket": [str(n) for n in three], "action": "assign", "assignee": "KB",
                                          "back": BACK, **_versions(engine, three)})
    assert response.status_code == 400
    assert [ticket_row(engine, n).assignee for n in three] == ["JH"] * 3


def test_the_queue_carries_the_bulk_form(client: FlaskClient, three: list[int]) -> None:
    page = client.get(BACK).get_data(as_text=True)
    form = page.split('<form method="post" action="/bulk"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form and f'<input type="hidden" name="back" value="{BACK.replace("&", "&amp;")}">' in form
    for number in three:
        assert f'<input type="checkbox" name="ticket" value="{number}"' in form
    for action in ("assign", "status", "priority", "merge"):
        assert f'name="action" value="{action}"' in form
    # Enter in the merge field must not run the first action: the form's default button is a disabled one.
    assert form.index("hidden disabled") < form.index('value="assign"')
