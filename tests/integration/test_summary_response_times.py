"""The weekly summary's response-time line from the database (week 47 of tests/clocks.seed_november), both databases.

Requests whose clocks started in week 47 (16-22 November 2026), counted as of the week's end:
  Bageriet     #answered 180 min (met), #late 300 (missed), #emergency 20 (met, around the clock);
               #merged left out -> 2 of 3, median of 20 180 300 = 180 (3 t)
  Tandlægerne  #waited 60 (met) -> 1 of 1, median 1 t
  Hårfin       #friday (Friday 15:50, due Monday 15:50, answered Monday 10:00): still within the promise at the
               week's end -> no figure yet, said as such
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.features.summary.build import IsoWeek
from inbox_worker.features.summary.send import send_summaries
from inbox_worker.store.models import Customer
from tests.clocks import seed_november
from tests.conftest import SmtpCapture, make_settings

WEEK = IsoWeek(2026, 47)
NEXT_MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Copenhagen


def previews(settings: Settings, engine: Engine) -> dict[str, str]:
    run = send_summaries(settings, engine, WEEK, dry_run=True, now=NEXT_MONDAY)
    return {key: text for key, _subject, text in run.previews}


def test_each_contact_person_reads_how_fast_their_requests_were_answered(settings: Settings, engine: Engine) -> None:
    seed_november(engine)
    texts = previews(settings, engine)
    assert ("  I uge 47 besvarede vi 2 af 3 henvendelser inden for den lovede tid; mediantiden til første svar var "
            "3 t (i åbningstiden; akutte sager døgnet rundt).\n") in texts["bageriet"]
    assert ("  I uge 47 besvarede vi 1 af 1 henvendelse inden for den lovede tid; mediantiden til første svar var "
            "1 t (i åbningstiden).\n") in texts["tandlaegerne"]
    assert "  Ugens 1 henvendelse er stadig inden for den lovede svartid.\n" in texts["haarfin"]


def test_in_english_for_a_customer_who_reads_english(settings: Settings, engine: Engine) -> None:
    seed_november(engine)
    with Session(engine) as session, session.begin():
        session.scalars(select(Customer).where(Customer.key == "tandlaegerne")).one().language = "en"
    texts = previews(settings, engine)
    assert ("  In week 47 we answered 1 of 1 request within the promised time; the median time to our first reply "
            "was 1 h (in opening hours).\n") in texts["tandlaegerne"]


def test_turned_off_there_is_no_line(tmp_path: Path, db_url: str, engine: Engine) -> None:
    seed_november(engine)
    off = make_settings(tmp_path, db_url, summary={"response_times": False})
    texts = previews(off, engine)
    assert texts["bageriet"] and not any("lovede" in text for text in texts.values())


def test_the_html_summary_carries_the_same_line(tmp_path: Path, db_url: str, engine: Engine,
                                               smtp_server: SmtpCapture) -> None:
    seed_november(engine)
    settings = make_settings(tmp_path, db_url, smtp={"host": smtp_server.host, "port": smtp_server.port,
                                                     "starttls": False})
    send_summaries(settings, engine, WEEK, customer="bageriet", now=NEXT_MONDAY)
    flush_outbox(settings, engine, now=NEXT_MONDAY)
    [summary] = [m for m in smtp_server.messages if m["X-MICO-Kind"] == "summary"]
    html = summary.get_body(("html",))
    assert isinstance(html, EmailMessage)
    assert ('<p id="response-times">I uge 47 besvarede vi 2 af 3 henvendelser inden for den lovede tid; '
            "mediantiden til første svar var 3 t (i åbningstiden; akutte sager døgnet rundt).</p>") in str(
                html.get_content())
