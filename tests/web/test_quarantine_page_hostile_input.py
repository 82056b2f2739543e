"""/quarantine under hostile form values, ids and a busy database: a 400, 404 or 503, never a 500."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def test_a_unicode_digit_as_raw_id_is_a_400_not_a_500(client: FlaskClient, post: Any) -> None:
    """web/quarantine_page.take_back checks str.isdigit(), which is true for '²' and '١'; int() then raises."""
    answer = post("/quarantine/reprocess", raw_id="²")
    assert answer.status_code == 400, answer.status_code


def test_a_raw_id_past_the_integer_column_is_a_refusal_not_a_500(client: FlaskClient, post: Any) -> None:
    """A digits-only id larger than the INTEGER column (PostgreSQL int4) reaches the database unchecked."""
    answer = post("/quarantine/reprocess", raw_id="99999999999")
    assert answer.status_code in (302, 400, 404), answer.status_code


def test_showing_a_raw_id_past_the_integer_column_is_a_404(client: FlaskClient) -> None:
    answer = client.get("/quarantine/99999999999")
    assert answer.status_code == 404, answer.status_code


def test_behandl_igen_while_the_database_is_held_is_a_503_not_a_500(settings: Any, engine: Any,
                                                                    staff: Any) -> None:
    """The runner turns a held lock into DatabaseBusy (a UserError, not an OperationalError); the web app
    only maps OperationalError to its 503 page, so the quarantine button answers 500 while an ingest runs."""
    from inbox_worker.store.db import make_engine
    from inbox_worker.web import create_app
    from tests.web.conftest import csrf_of
    from tests.web.locks import short_lock_wait
    from tests.web.test_database_busy import _logged_in, database_held
    from tests.web.test_quarantine_page import _quarantine_by_fault

    raw_id = _quarantine_by_fault(settings, engine)
    app_engine = short_lock_wait(make_engine(settings.database.url))
    app = create_app(settings, app_engine)
    try:
        client = _logged_in(app)
        form = {"csrf_token": csrf_of(client), "raw_id": str(raw_id)}
        with database_held(settings, engine):
            response = client.post("/quarantine/reprocess", data=form)
        assert response.status_code == 503, response.status_code
        assert response.headers.get("Retry-After") == "5"
    finally:
        app_engine.dispose()
