"""Trace steps and audit entries as Danish sentences: no JSON, no escapes, no English keys."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inbox_worker.domain.audit_text import audit_sentence
from inbox_worker.domain.labels import ACTION, DEVICE_KIND, device_kind, label
from inbox_worker.domain.trace_text import trace_line, trace_lines

ZONE = ZoneInfo("Europe/Copenhagen")
RAW_KEYS = ("before:", "after:", "rate_dkk", "{", "}", "[", "]", "\\u", '"', "None")

# Details as the code that writes each action stores them (grep audit.record).
DETAILS: dict[str, dict[str, Any]] = {
    "link-customer": {"customer": 3, "before": {"customer_id": None, "contact": None}, "customer_key": "bageriet",
                      "contact": "lone@bageriet-soerensen.dk", "alias_added": "lone.soerensen@gmail.com"},
    "link-device": {"device": "BAG-PC-01"}, "unlink-device": {"device": "BAG-PC-01"},
    "set-category": {"before": "printer", "after": "network", "clock": []},
    "set-priority": {"before": "normal", "after": "emergency", "clock": ["recomputed"]},
    "set-status": {"before": "open", "after": "closed", "clock": ["resolved"]},
    "assign": {"before": None, "after": "KB"}, "note": {"length": 42},
    "reply": {"outbox": 7, "to": "lone@bageriet-soerensen.dk", "clock": ["first-response"]},
    "merge": {"into": 12, "clock": ["resolved"]}, "merged-in": {"source": 11},
    "reviewed": {"cleared": ["unknown-sender", "low-confidence"]},
    "phone-ticket": {"customer": 3, "coverage": {"status": "covered", "rate_dkk": 0}, "category": "printer",
                     "priority": "normal", "devices": [], "response": None, "trace": [{"stage": "x"}]},
    "set-coverage": {"before": "covered", "after": "billable", "rate_dkk": 650, "reason": "Ny printer, ikke i aftalen"},
    "log-time": {"entry": 4, "minutes": 75, "coverage": "billable", "rate_dkk": 650, "work_date": "2026-11-19"},
    "correct-time": {"entry": 5, "corrects": 4, "minutes": -15},
    "quarantine-reprocess": {"raw": 9, "outcome": "new_ticket", "source": "imap"},
    "outbox-retry": {"outbox": 7, "kind": "ack", "to": "lone@bageriet-soerensen.dk", "was": "failed", "attempts": 5,
                     "last_error": "550"},
    "outbox-cancel": {"outbox": 7, "kind": "reply", "to": "lone@bageriet-soerensen.dk", "was": "uncertain",
                      "attempts": 1, "last_error": None},
    "set-targets": {"reason": "Aftalt med Lone", "clock": "around_the_clock", "before": {"rule": "response-normal"},
                    "first_response_minutes": 60, "resolution_minutes": 150},
}


@pytest.mark.parametrize("action", sorted(ACTION))
def test_every_audit_action_reads_as_a_danish_sentence_without_keys_or_json(action: str) -> None:
    sentence = audit_sentence("JH", action, DETAILS.get(action, {"what": "noget"}), ZONE)
    assert sentence.startswith("JH ") or sentence.startswith("JH: ")
    for raw in RAW_KEYS:
        assert raw not in sentence, (action, sentence)


def test_the_audit_sentences_staff_read_most() -> None:
    assert audit_sentence("JH", "set-status", DETAILS["set-status"], ZONE) == (
        "JH ændrede status fra Åben til Lukket (fristerne afsluttet)")
    assert audit_sentence("JH", "set-coverage", DETAILS["set-coverage"], ZONE) == (
        "JH satte dækningen til Faktureres (før Dækket), sats 650 kr./time: Ny printer, ikke i aftalen")
    assert audit_sentence("JH", "log-time", DETAILS["log-time"], ZONE) == (
        "JH registrerede 1 t 15 min den 19.11.2026 (faktureres, sats 650 kr./time)")
    assert audit_sentence("KB", "assign", {"before": "JH", "after": None}, ZONE) == "KB fjernede tildelingen (var JH)"


def test_a_reply_names_its_copies_files_and_what_it_did_to_the_status() -> None:
    details = {"to": "lone@bageriet-soerensen.dk", "cc": ["anne@bageriet-soerensen.dk"],
               "attachments": ["vejledning.pdf"], "then": "closed", "outbox": 7}
    assert audit_sentence("JH", "reply", details, ZONE) == (
        "JH sendte et svar til lone@bageriet-soerensen.dk, kopi til anne@bageriet-soerensen.dk, "
        "1 vedhæftning (vejledning.pdf) og lukkede sagen")
    assert audit_sentence("JH", "reply", {"to": "lone@x.dk", "then": "unchanged"}, ZONE) == (
        "JH sendte et svar til lone@x.dk")
    assert audit_sentence("JH", "create-contact", {"email": "bjorn@aerlo.dk", "name": "Bjørn Ærlø"}, ZONE) == (
        "JH oprettede kontakten Bjørn Ærlø (bjorn@aerlo.dk)")


def test_an_action_without_a_sentence_of_its_own_still_reads_in_words() -> None:
    sentence = audit_sentence("JH", "bulk-assign", {"tickets": [3, 4], "after": "KB", "rate_dkk": 650}, ZONE)
    assert sentence == "JH: bulk-assign (tickets 3, 4; efter KB; sats 650 kr./time)"


def test_a_trace_step_reads_as_a_sentence_with_readable_details() -> None:
    line = trace_line({"stage": "coverage", "rule": "agreement-covers", "result": "covered",
                       "reason": "Aftalen dækker printere på kontoret", "details": {
                           "tried": ["device-excluded", "agreement-covers"], "package": "MCOSAABAS", "rate_dkk": 650,
                           "facts": {"agreement": "active", "category": "printer", "device_packages": None,
                                     "visits_used": 0}}}, ZONE)
    assert line.stage == "Dækning" and line.sentence == "Aftalen dækker printere på kontoret."
    assert line.rule == "agreement-covers"
    details = dict(line.details)
    assert details["prøvede regler"] == "device-excluded, agreement-covers"
    assert details["sats"] == "650 kr./time"
    assert details["fakta"] == "aftale: Aktiv; kategori: Printer; enhedens pakker: –; besøg brugt: 0"


def test_trace_details_show_danish_letters_times_and_shares_not_escapes() -> None:
    [line] = trace_lines([{"stage": "classify", "rule": "category-printer", "result": "printer",
                           "reason": "Kategori printer: printeren, blækpatron", "details": {
                               "matched": ["printeren", "blækpatron"], "confidence": 0.87,
                               "first_response_due": "2026-11-20T13:12:00+00:00"}}], ZONE)
    details = dict(line.details)
    assert details == {"matchede ord": "printeren, blækpatron", "sikkerhed": "87 %", "første svar senest": "20.11.2026 14:12"}
    assert trace_lines("not a list", ZONE) == [] and trace_line({}, ZONE).sentence == "Ingen begrundelse registreret."


@pytest.mark.parametrize("kind", ["computer", "server", "nas", "printer", "copier", "scanner", "camera", "phone",
                                  "tablet", "router", "firewall", "switch", "access-point", "network", "other"])
def test_every_device_kind_has_danish_words(kind: str) -> None:
    assert kind in DEVICE_KIND and label(kind, "device") == device_kind(kind)
    assert device_kind(kind, 2).split(" ", 1)[0] in ("en", "et", "noget")
    assert device_kind("phone", 2) == "en telefon" and device_kind("camera", 2) == "et kamera"
