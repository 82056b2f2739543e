"""The erasure reads every stored mail once, before its write transaction (reading takes seconds per thousand
mails, too long to hold the lock the worker needs for every new mail); inside the transaction it reads only
the mail stored since. A mail arriving in between is still found; a scan made for another identity is not
trusted. SQLite and PostgreSQL, real mail through the worker."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import RawMessage
from inbox_worker.store.privacy.holdings import find_holdings
from inbox_worker.store.privacy.person import person_of
from inbox_worker.store.privacy.scan import RawScan
from tests.mailbuilder import build_mail

LONE, PSEUDONYM = "lone@bageriet-soerensen.dk", "Slettet person #1"


def _raw_id(engine: Engine, message_id: str) -> int:
    with Session(engine) as session:
        found = session.scalar(select(RawMessage.id).where(RawMessage.message_id == message_id))
    assert found is not None
    return int(found)


def test_mail_stored_after_the_scan_before_the_lock_is_found_inside_it(settings: Settings, engine: Engine) -> None:
    worker = Runner(settings, engine)
    worker.process(build_mail(message_id="<own@bageriet-soerensen.dk>", subject="Kassen"), "imap")
    own = _raw_id(engine, "<own@bageriet-soerensen.dk>")
    with Session(engine) as session:
        before = find_holdings(session, person_of(session, LONE), PSEUDONYM).raw_scan
    assert before is not None and own in before.found

    # Between the read-only scan and the erasure's write: a colleague's mail that names her.
    worker.process(build_mail(sender="mette@tandlaegerne-aaen.dk", name="Mette Kjærgaard", subject="Bogholderiet",
                              message_id="<later@tandlaegerne-aaen.dk>",
                              body="Hej\n\nKan Lone Sørensen ringe mig op om fakturaen?\n\nMette"), "imap")
    later = _raw_id(engine, "<later@tandlaegerne-aaen.dk>")
    assert later > before.upto
    with Session(engine) as session:
        inside = find_holdings(session, person_of(session, LONE), PSEUDONYM, since=before).raw_scan
    assert inside is not None
    assert {own, later} <= inside.found and inside.upto == later

    # The mail before `upto` is not read again: a scan that found nothing there is trusted ...
    trusted = RawScan(before.identity, frozenset(), before.upto)
    with Session(engine) as session:
        again = find_holdings(session, person_of(session, LONE), PSEUDONYM, since=trusted).raw_scan
    assert again is not None and own not in again.found and later in again.found
    # ... but only for the identity it looked for: another one's scan is read again from the start.
    other = RawScan(replace(before.identity, names=()), frozenset(), before.upto)
    with Session(engine) as session:
        full = find_holdings(session, person_of(session, LONE), PSEUDONYM, since=other).raw_scan
    assert full is not None and {own, later} <= full.found
