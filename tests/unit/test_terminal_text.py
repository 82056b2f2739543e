"""What a person reads in the terminal: Danish words and plurals, tables that stay aligned, and why mail waits."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import UTC, datetime

import pytest

from inbox_worker.domain.labels import count, decision_line, outcome_counts
from inbox_worker.domain.text_table import table
from inbox_worker.features.outbox.reasons import why
from inbox_worker.features.queue.listing import queue_table
from inbox_worker.store.outbox import INTERRUPTED


def test_a_batch_of_mail_is_counted_in_danish_with_singular_and_plural() -> None:
    assert outcome_counts(Counter({"new_ticket": 20, "ignored": 1})) == "20 nye sager, 1 ignoreret"
    assert outcome_counts({"ignored": 2, "new_ticket": 1, "updated_ticket": 1}) == \
        "1 ny sag, 1 opdateret sag, 2 ignorerede"
    assert outcome_counts({"quarantined": 3, "duplicate": 1, "reopened_ticket": 2}) == \
        "2 genåbnede sager, 1 dublet, 3 i karantæne"
    assert outcome_counts(Counter()) == "ingen mail"
    assert (count(0, "sag", "sager"), count(1, "sag", "sager")) == ("0 sager", "1 sag")


def test_a_decision_reads_as_a_sentence() -> None:
    assert decision_line({"outcome": "new_ticket", "ticket": 21, "ack": "queued"}) == "Ny sag #21, kvittering sendes"
    assert decision_line({"outcome": "quarantined", "ticket": None, "ack": "none", "reason": "Ikke en e-mail"}) == \
        "I karantæne, ingen kvittering (Ikke en e-mail)"
    assert decision_line({"outcome": "updated_ticket", "ticket": 4, "ack": "suppressed",
                          "ack_reason": "kvitteringsgrænse nået"}) == \
        "Sag opdateret #4, kvittering holdt tilbage (kvitteringsgrænse nået)"


def test_columns_stay_aligned_whatever_the_letters_and_long_text_is_cut_with_an_ellipsis() -> None:
    decomposed = unicodedata.normalize("NFD", "Æbleå")  # "å" as "a" + ring, as some mail clients send it
    lines = table([("emne", 12), ("kunde", 8)], [[decomposed, "Sørensen ApS"], ["Printeren på 1. sal", "x"],
                                                 ["linje\nto\tog\x1b[2Jslut", None]])
    assert lines[0] == "emne          kunde"
    assert lines[2] == "Æbleå         Sørense…"
    assert lines[3] == "Printeren p…  x"
    assert lines[4] == "linje to og…  –"  # one line per row, no terminal escapes
    assert all(line[12:14] == "  " and line[14] != " " for line in lines[2:])


def row(**values: object) -> dict[str, object]:
    base = {"ticket": 1, "status": "waiting", "customer": "bageriet", "from": "lone@bageriet-soerensen.dk",
            "subject": "Printeren på kontoret printer ikke, og heller ikke den i kælderen", "category": "printer",
            "priority": "emergency", "coverage": {"status": "billable"}, "last_outcome": "reopened_ticket"}
    return {**base, **values}


def test_the_text_queue_has_a_status_column_and_danish_values() -> None:
    shown = queue_table([row(), row(ticket=12, status="open", coverage=None, customer=None)]).splitlines()
    assert shown[0].split() == ["#", "status", "kunde", "afsender", "emne", "kategori", "prioritet", "dækning",
                                "seneste", "mail"]
    assert shown[2].startswith("#1   Afventer kunde  bageriet ")
    assert "Akut" in shown[2] and "Faktureres" in shown[2] and "Sag genåbnet" in shown[2]
    assert "  Printeren på kontoret printer ikke, og …  Printer  " in shown[2]  # 40 characters, then the next column
    assert shown[3].startswith("#12  Åben            –  ")
    assert shown[-1] == "2 sager" and queue_table([]).splitlines()[-1] == "0 sager"


@pytest.mark.parametrize(("error", "says"), [
    ("gaierror: [Errno -2] Name or service not known",
     "navnet smtp.example.dk kunne ikke slås op (gaierror: [Errno -2] Name or service not known)"),
    ("gaierror: [Errno -3] Temporary failure in name resolution", "navnet smtp.example.dk kunne ikke slås op ("),
    ("ConnectionRefusedError: [Errno 111] Connection refused",
     "forbindelse afvist af smtp.example.dk (ConnectionRefusedError: [Errno 111] Connection refused)"),
    ("TimeoutError: timed out", "smtp.example.dk svarede ikke i tide (TimeoutError: timed out)"),
    ("SMTPServerDisconnected: Connection unexpectedly closed: timed out", "svarede ikke i tide"),
    ("SMTPServerDisconnected: Connection unexpectedly closed", "smtp.example.dk lukkede forbindelsen ("),
    ("OSError: [Errno 101] Network is unreachable", "netværket kan ikke nås ("),
    ("SMTPAuthenticationError: (535, b'5.7.8 Error: authentication failed')", "smtp.example.dk afviste login ("),
    ("SMTPNotSupportedError: STARTTLS extension not supported by server.", "tilbyder ikke STARTTLS"),
    ("SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
     "certifikatet fra smtp.example.dk kunne ikke godkendes"),
    ("recipient refused: 550 5.1.1 no such user", "afviste modtageren for godt (recipient refused: 550 5.1.1"),
    ("message refused: 554 5.7.1 spam", "smtp.example.dk afviste mailen for godt ("),
    ("SMTPResponseException: (451, 'recipient refused: try later')", "afviste modtageren for nu (prøves igen)"),
    ("SMTPResponseException: (421, 'message refused: too busy')", "bad om at vente"),
    ("no reply after the whole message was sent: TimeoutError: timed out", "intet svar, efter hele mailen var sendt"),
    ("SomethingNew: the server did a thing", "fejl ved afsendelsen (SomethingNew: the server did a thing)"),
])
def test_why_a_mail_waits_is_said_in_danish_with_the_original_error(error: str, says: str) -> None:
    assert says in why(error, "smtp.example.dk")


def test_the_reason_is_one_line_and_never_unbounded() -> None:
    assert why(None) == "" and why("") == ""
    assert why(INTERRUPTED).startswith("afbrudt under afsendelsen: serveren kan have den")
    long = why("SMTPResponseException: (451, '" + "x\r\n" * 500 + "')")
    assert "\n" not in long and len(long) < 250 and long.endswith("…)")
    assert why("ConnectionRefusedError: [Errno 111] Connection refused").startswith("forbindelse afvist af serveren")


def test_a_table_row_cell_may_be_a_moment_or_a_number() -> None:
    lines = table([("id", 4), ("hvornår", 25)], [[7, datetime(2026, 5, 4, 9, 30, tzinfo=UTC)]])
    assert lines[2] == "7   2026-05-04 09:30:00+00:00"
