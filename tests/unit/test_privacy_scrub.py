"""The scrub that takes an erased person out of kept text (domain/privacy.py), and the retention cutoffs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine

from inbox_worker.config import settings_from_dict
from inbox_worker.domain.privacy import (
    MARKER,
    Identity,
    Scrubber,
    display_names,
    person_pseudonym,
    phone_digits,
    phone_forms,
    untagged,
    without_addresses,
    written_lines,
)
from inbox_worker.domain.retention import Periods, agreement_ended_at, counted_from, cutoffs, months_before
from inbox_worker.errors import UserError
from inbox_worker.schedule import add_retention_job, retention_trigger

CPH = ZoneInfo("Europe/Copenhagen")
LONE = Identity(person_pseudonym(7), ("lone@bageriet-soerensen.dk", "lone.soerensen@gmail.com"), ("Lone Sørensen",),
                ("+45 21 43 65 87",))
SCRUB = Scrubber(LONE)
P = "Slettet person #7"


@pytest.mark.parametrize("text, scrubbed", [
    ("Svar til lone@bageriet-soerensen.dk", f"Svar til {P}"),
    ("LONE@Bageriet-Soerensen.DK skrev", f"{P} skrev"),
    ("<mailto:lone+kvittering@bageriet-soerensen.dk>", f"<mailto:{P}>"),
    ("lone%40bageriet-soerensen.dk i en adresse", f"{P} i en adresse"),
    ("Lone.Soerensen@gmail.com.", f"{P}."),
    ("Ring til Lone  Sørensen i morgen", f"Ring til {P} i morgen"),
    ("LONE SØRENSEN\nbageriet", f"{P}\nbageriet"),
    ("Tlf. +45 21 43 65 87", f"Tlf. {P}"),
    ("mobil 21436587 eller 0045 21-43-65-87", f"mobil {P} eller {P}"),
])
def test_addresses_names_and_phones_become_the_pseudonym(text: str, scrubbed: str) -> None:
    assert SCRUB.scrub(text) == scrubbed
    assert SCRUB.mentions(text)


@pytest.mark.parametrize("text", [
    "malone@bageriet-soerensen.dk er en anden",  # another mailbox that ends the same way
    "lone@bageriet-soerensen.dkx",
    "Lone ringede",  # a first name alone is any Lone's, outside the person's own text
    "Sørensen & Søn",
    "ordre 1214365870 og 2143658",  # other numbers that hold the digits
])
def test_what_is_not_the_person_stays(text: str) -> None:
    assert SCRUB.scrub(text) == text
    assert not SCRUB.mentions(text)


def test_in_the_persons_own_text_the_first_name_goes_too() -> None:
    assert SCRUB.scrub("Lones bærbare, som Lone bruger", loose=True) == f"{P}s bærbare, som {P} bruger"
    assert SCRUB.mentions("Lone sagde det", loose=True) and not SCRUB.mentions("Lone sagde det")
    assert SCRUB.scrub("Salonen og Malonee", loose=True) == "Salonen og Malonee"


def test_lines_of_the_persons_own_mail_are_left_out_where_quoted() -> None:
    lines = written_lines(["Jeg har fundet årsagen: der lå mandelkager i printerbakken.\nMed venlig hilsen\nLone"])
    assert lines == {"jeg har fundet årsagen: der lå mandelkager i printerbakken."}  # short lines are anyone's
    scrubber = Scrubber(Identity(P, LONE.addresses, LONE.names, lines=lines))
    quoting = ("Tak, nu virker den.\n\nDen 20.11. skrev Lone Sørensen <lone@bageriet-soerensen.dk>:\n"
               "> Jeg har fundet årsagen: der lå  mandelkager i printerbakken.\n"
               ">> jeg har fundet årsagen: der lå mandelkager i printerbakken.\n> \n")
    assert scrubber.scrub(quoting) == (f"Tak, nu virker den.\n\nDen 20.11. skrev {P} <{P}>:\n> {MARKER}\n> \n")
    assert scrubber.mentions("> jeg har fundet årsagen: der lå mandelkager i printerbakken.")


def test_json_values_are_scrubbed_and_their_keys_kept() -> None:
    details = {"to": "lone@bageriet-soerensen.dk", "cc": ["a@b.dk", "Lone Sørensen"], "minutes": 30,
               "reason": {"before": "Lone Sørensen ringede"}}
    assert SCRUB.scrub_value(details) == {"to": P, "cc": ["a@b.dk", P], "minutes": 30, "reason": {"before": f"{P} ringede"}}


def test_renamed_phrases_go_with_the_rest() -> None:
    scrubber = Scrubber(Identity(P, LONE.addresses, LONE.names, renames=(("Lones bærbare", f"{P}s bærbare"),)))
    assert scrubber.scrub("BAG-PC-01 (Lones bærbare) er dækket") == f"BAG-PC-01 ({P}s bærbare) er dækket"


def test_the_sql_filter_finds_every_stored_form() -> None:
    needles = SCRUB.needles()
    stored = json.dumps({"name": "Lone Sørensen"})  # as SQLAlchemy's JSON writes it: \u00f8
    assert any(needle in stored for needle in needles)
    assert {"lone@bageriet-soerensen.dk", "LONE SØRENSEN", "21436587", "21 43 65 87"} <= set(needles)


def test_small_helpers() -> None:
    assert phone_digits("+45 21 43 65 87") == phone_digits("0045 21436587") == "21436587"
    assert phone_digits("+46 8 123 456 78") == "46812345678"  # only a Danish prefix is optional
    assert without_addresses("Fra a.b+c@x.dk og <d@y.co.uk>") == "Fra Anonymiseret person og <Anonymiseret person>"
    assert display_names(["Lone", "Lone Sørensen", "\"Lone  Sørensen\"", "it@x.dk y"]) == ("Lone Sørensen",)


# --- the retention periods -------------------------------------------------------------------------------------

PERIODS = Periods(24, 36, 5, 24)


def test_months_are_calendar_months() -> None:
    assert months_before(datetime(2026, 3, 31, 12, tzinfo=UTC), 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert months_before(datetime(2026, 12, 2, tzinfo=UTC), 25) == datetime(2024, 11, 2, tzinfo=UTC)
    assert months_before(datetime(2028, 3, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize("now, first_kept", [
    (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), date(2021, 1, 1)),  # 31 December in Copenhagen: 2020 is kept
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2022, 1, 1)),  # New Year in Copenhagen: 2021's year is over +5
])
def test_the_invoice_basis_is_kept_five_years_after_its_years_end(now: datetime, first_kept: date) -> None:
    assert cutoffs(now, PERIODS, CPH).invoice_basis == first_kept


def test_a_ticket_counts_from_its_close_or_its_customers_agreement_end() -> None:
    end = agreement_ended_at(date(2026, 3, 31), CPH)
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # midnight after the last day, summer time
    opened, closed = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    assert counted_from(opened, closed, None) == closed
    assert counted_from(opened, None, None) is None  # open: kept
    assert counted_from(opened, None, end) == end  # open when the customer left: from the end
    assert counted_from(opened, closed, end) == end  # closed after the end: the end came first
    assert counted_from(datetime(2026, 5, 1, tzinfo=UTC), None, end) is None  # opened after it: its own close


def test_the_privacy_section_refuses_less_than_five_years_with_one_danish_line() -> None:
    with pytest.raises(UserError) as refused:
        settings_from_dict({"privacy": {"invoice_basis_years": 4}}, "config.toml")
    assert str(refused.value) == ("config.toml: nøglen 'privacy.invoice_basis_years' skal være mindst 5 "
                                  "(bogføringsloven: fakturagrundlaget gemmes i 5 år), ikke 4")
    with pytest.raises(UserError, match=r"'privacy\.raw_mail_months' skal være mindst 1"):
        settings_from_dict({"privacy": {"raw_mail_months": 0}}, "config.toml")
    with pytest.raises(UserError, match=r"'privacy\.nightly_at' skal se ud som 03:30"):
        settings_from_dict({"privacy": {"nightly_at": "25:00"}}, "config.toml")
    assert settings_from_dict({"privacy": {"invoice_basis_years": 7}}).privacy.invoice_basis_years == 7


def test_run_applies_retention_every_night_at_half_past_three_copenhagen_time() -> None:
    settings = settings_from_dict({})
    assert retention_trigger(settings).get_next_fire_time(None, datetime(2026, 7, 1, 12, tzinfo=UTC)) == \
        datetime(2026, 7, 2, 3, 30, tzinfo=CPH)
    scheduler = BackgroundScheduler(timezone="Europe/Copenhagen")
    add_retention_job(scheduler, settings, create_engine("sqlite://"))
    job = scheduler.get_job("privacy-retention")
    assert job is not None and job.coalesce and job.misfire_grace_time == 6 * 3600
    off = BackgroundScheduler(timezone="Europe/Copenhagen")
    add_retention_job(off, settings_from_dict({"privacy": {"nightly": False}}), create_engine("sqlite://"))
    assert off.get_jobs() == []


def test_a_stored_mail_holds_the_person_only_by_their_whole_address_or_name() -> None:
    from inbox_worker.store.privacy.scan import bytes_pattern

    pattern = bytes_pattern(LONE)
    assert pattern is not None
    assert pattern.search(b"Cc: =?utf-8?q?Lone?= <LONE+x@Bageriet-Soerensen.dk>\r\n")
    assert pattern.search("Hilsen\nLone Sørensen\n".encode())
    assert not pattern.search(b"From: Malone <malone@bageriet-soerensen.dk>\r\n")
    assert not pattern.search(b"lone@bageriet-soerensen.dkx Lone Soerensen")


@pytest.mark.parametrize("written", ["2143 6587", "21-43-65-87", "21.43.65.87", "214 36 587", "21 43 6587",
                                     "2143\u00a06587", "+45 2143 6587", "0045 21436587"])
def test_every_usual_grouping_of_the_phone_is_found_by_the_cheap_filter_and_scrubbed(written: str) -> None:
    text = f"Ring til hende på {written} i morgen"
    assert any(needle in text for needle in SCRUB.needles())  # the SQL filter would pick the row
    assert SCRUB.scrub(text) == f"Ring til hende på {P} i morgen"


def test_the_phone_forms_and_the_subaddress() -> None:
    assert {"21436587", "21 43 65 87", "2143 6587", "2143-6587", "214 36 587"} <= set(phone_forms("21436587"))
    assert untagged("Lone+Faktura@Bageriet-Soerensen.dk") == "lone@bageriet-soerensen.dk"
    assert untagged("lone@bageriet-soerensen.dk") == "lone@bageriet-soerensen.dk"
    assert untagged("+45@sms.example") == "+45@sms.example"  # nothing before the plus: no subaddress
