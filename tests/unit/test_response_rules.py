"""Response-time targets come from rules/response.toml alone: the shipped table follows the agreement,
a new ticket's clocks are traced with both due moments, and mistakes in the file stop start-up."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.types import Classification, LinkDecision, Trace
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.errors import UserError
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.facts import MailFacts, mail_facts
from inbox_worker.mail.decide.response import ResponseRules, decide_response, decide_targets
from tests.unit.test_coverage_rules import registry

RULES_DIR = Path(__file__).resolve().parents[2] / "inbox_worker" / "rules"
CPH = ZoneInfo("Europe/Copenhagen")


def facts(sender: str, priority: str) -> MailFacts:
    link = LinkDecision(sender.partition("@")[2], f"{sender}.dk", (), ())
    found = mail_facts(link, Classification("other", "da"), registry(), date(2026, 5, 4), {}, 2)
    return dataclasses.replace(found, priority=priority)


@pytest.fixture(scope="module")
def shipped() -> ResponseRules:
    return rulebook.response(RULES_DIR)


@pytest.mark.parametrize(("sender", "priority", "rule", "first", "resolution", "clock"), [
    ("anna@tv", "emergency", "response-emergency", 30, 240, ClockMode.AROUND_THE_CLOCK),
    ("ida@ingen", "emergency", "response-emergency", 30, 240, ClockMode.AROUND_THE_CLOCK),  # whoever has it
    ("anna@tv", "high", "response-high", 60, 420, ClockMode.OPENING_HOURS),
    ("anna@tv", "normal", "response-normal", 240, 1260, ClockMode.OPENING_HOURS),
    ("per@prove", "normal", "response-normal", 240, 1260, ClockMode.OPENING_HOURS),  # trial: as an agreement
    ("ida@ingen", "low", "response-no-agreement", 420, 2100, ClockMode.OPENING_HOURS),
    ("uffe@udloebet", "low", "response-no-agreement", 420, 2100, ClockMode.OPENING_HOURS),  # past its end date
])
def test_the_shipped_targets_follow_the_agreement(shipped: ResponseRules, sender: str, priority: str, rule: str,
                                                  first: int, resolution: int, clock: ClockMode) -> None:
    targets, _ = decide_targets(facts(sender, priority), shipped)
    assert (targets.rule, targets.first_response_minutes, targets.resolution_minutes, targets.mode) == (
        rule, first, resolution, clock)


def test_a_new_tickets_clocks_are_traced_with_both_due_moments(shipped: ResponseRules) -> None:
    trace = Trace()
    arrived = datetime(2026, 11, 27, 15, 50, tzinfo=CPH)  # Friday 15:50, a customer with an agreement
    change = decide_response(facts("anna@tv", "normal"), shipped, arrived, WorkCalendar(OfficeHours()), trace)
    entry = trace.entries[-1]
    assert (entry.stage, entry.rule) == ("response", "response-normal")
    # 4 working hours: Friday 15:50-16:00, then Monday 09:00-12:50.
    assert change.clocks.first_response_due == datetime(2026, 11, 30, 12, 50, tzinfo=CPH)
    assert "Første svar senest man. 30.11. kl. 12:50" in entry.reason
    assert entry.details["first_response_due"] == change.clocks.first_response_due.isoformat()


@pytest.mark.parametrize(("rule", "message"), [
    ('when = { priority = "high" }\nthen = { first_response_minutes = 60, resolution_minutes = 30, '
     'clock = "opening_hours", reason = "x" }', "cannot be longer"),
    ('then = { first_response_minutes = 0, resolution_minutes = 30, clock = "opening_hours", reason = "x" }',
     "above 0"),
    ('then = { first_response_minutes = 10, resolution_minutes = 30, clock = "weekdays", reason = "x" }',
     "then.clock must be one of"),
    ('when = { priority = "urgent" }\nthen = { first_response_minutes = 1, resolution_minutes = 2, '
     'clock = "opening_hours", reason = "x" }', "urgent"),
    ('then = { first_response_minutes = 10, resolution_minutes = 30, clock = "opening_hours" }', "then.reason"),
])
def test_mistakes_in_the_file_stop_with_one_line_naming_the_rule(tmp_path: Path, rule: str, message: str) -> None:
    path = tmp_path / "response.toml"
    path.write_text(f'[[rule]]\nid = "broken"\n{rule}\n', encoding="utf-8")
    with pytest.raises(UserError, match=message) as raised:
        rulebook.response(tmp_path)
    assert "response.toml" in str(raised.value) and "\n" not in str(raised.value)


def test_the_last_rule_must_give_every_ticket_targets(tmp_path: Path) -> None:
    (tmp_path / "response.toml").write_text(
        '[[rule]]\nid = "only-high"\nwhen = { priority = "high" }\n'
        'then = { first_response_minutes = 60, resolution_minutes = 420, clock = "opening_hours", reason = "x" }\n',
        encoding="utf-8")
    with pytest.raises(UserError, match="last rule must have no conditions"):
        rulebook.response(tmp_path)
