"""The guard rules (rules/guard.toml) and the validation that protects staff editing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_worker.config import PACKAGED_RULES
from inbox_worker.domain.types import Trace
from inbox_worker.errors import UserError
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.guard import decide_guard
from inbox_worker.mail.parse.parser import parse_mail
from tests.conftest import mail_bytes
from tests.mailbuilder import build_mail

RULES = rulebook.guard(PACKAGED_RULES)
OWN = frozenset({"support@mico.dk"})


def guard(raw: bytes) -> tuple[str, str]:
    trace = Trace()
    decision = decide_guard(parse_mail(raw), OWN, RULES, trace)
    assert trace.entries[-1].rule == decision.rule
    return decision.action, decision.rule


def test_an_ordinary_mail_is_accepted() -> None:
    assert guard(mail_bytes("plain-danish-utf8-qp.eml")) == ("accept", "ordinary-mail")


def test_auto_submitted_no_is_an_ordinary_mail() -> None:
    assert guard(build_mail(headers={"Auto-Submitted": "no"}))[0] == "accept"


@pytest.mark.parametrize("headers, rule", [
    ({"Auto-Submitted": "auto-generated"}, "auto-submitted"),
    ({"X-Autorespond": "yes"}, "x-autorespond"),
    ({"Precedence": "junk"}, "precedence-bulk"),
    ({"List-Id": "<nyheder.example.dk>"}, "mailing-list"),
    ({"Return-Path": "<>"}, "bounce-empty-return-path"),
])
def test_automatic_mail_headers_are_recognised(headers: dict[str, str], rule: str) -> None:
    assert guard(build_mail(headers=headers)) == ("ignore", rule)


@pytest.mark.parametrize("subject", ["Autosvar: Printeren", "Fraværende: Lone er på ferie", "Out of Office: back Monday",
                                     "Automatic reply: Printer"])
def test_out_of_office_subjects_are_recognised(subject: str) -> None:
    assert guard(build_mail(subject=subject)) == ("ignore", "auto-reply-subject")


def test_mailer_daemon_is_a_bounce() -> None:
    assert guard(build_mail(sender="MAILER-DAEMON@mx.example.dk", name="Mail Delivery System")) == (
        "ignore", "bounce-mailer-daemon")


def test_the_spoofed_support_address_is_never_answered() -> None:
    assert guard(build_mail(sender="support@mico.dk", name="MICO")) == ("ignore", "own-mail")


def write_rules(tmp_path: Path, text: str) -> Path:
    (tmp_path / "guard.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("text, expected", [
    ('[[rule]]\nid = "a"\nwhen = { hedder = "x" }\nthen = { action = "ignore", reason = "r" }\n', "ukendt betingelse 'hedder'"),
    ('[[rule]]\nid = "a"\nwhen = { header = "x" }\nthen = { action = "ignore", reason = "r" }\n' * 2, "regel-id'et 'a' står der to gange"),
    ('[[rule]]\nid = "a"\nwhen = { header = "x" }\nthen = { action = "delete", reason = "r" }\n', "then.action"),
    ('[[rule]]\nwhen = { header = "x" }\nthen = { action = "ignore", reason = "r" }\n', "skal have et 'id'"),
    ('[[rule]]\nid = "a"\nwhen = { header = "x" }\nthen = { action = "ignore", colour = "r" }\n', "ukendt felt i then"),
])
def test_a_broken_rules_file_is_refused_with_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(UserError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        rulebook.guard(write_rules(tmp_path, text))
