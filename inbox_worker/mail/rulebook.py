"""Read the rule tables staff edit (rules/*.toml) and validate them into the Rulebook the pipeline uses.

The only module of the mail path that reads rules files: the decision stages get the tables as
values. A mistake stops with one line naming the file, the rule and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from inbox_worker.domain.rules_engine import free_mail_domains
from inbox_worker.mail.decide.classify_rules import (
    ClassifyRules,
    DeviceKindRules,
    classify_rules_from,
    device_kinds_from,
)
from inbox_worker.mail.decide.coverage_rules import CoverageRules
from inbox_worker.mail.decide.guard import GuardRules
from inbox_worker.mail.decide.link import LinkRules
from inbox_worker.mail.decide.priority import PriorityRules
from inbox_worker.mail.decide.response import ResponseRules
from inbox_worker.mail.pipeline import Rulebook
from inbox_worker.tomlfile import read_toml


def load_rulebook(rules_dir: str | Path) -> Rulebook:
    path = Path(rules_dir)
    return Rulebook(guard=guard(path), link=link(path), classify=classify(path / "classify.toml"),
                    priority=priority(path), coverage=coverage(path), response=response(path))


def guard(rules_dir: Path) -> GuardRules:
    path = rules_dir / "guard.toml"
    return GuardRules.from_data(read_toml(path, "regelfilen"), str(path))


def link(rules_dir: Path) -> LinkRules:
    path = rules_dir / "freemail.toml"
    return LinkRules(free_mail_domains(read_toml(path, "filen med freemail-domæner"), str(path)),
                     device_kinds(rules_dir / "devices.toml"))


def classify(path: Path) -> ClassifyRules:
    return classify_rules_from(read_toml(path, "regelfilen"), str(path))


def device_kinds(path: Path) -> DeviceKindRules:
    return device_kinds_from(read_toml(path, "regelfilen"), str(path))


def priority(rules_dir: Path) -> PriorityRules:
    path = rules_dir / "priority.toml"
    return PriorityRules.from_data(read_toml(path, "regelfilen"), str(path))


def coverage(rules_dir: Path) -> CoverageRules:
    path = rules_dir / "coverage.toml"
    return CoverageRules.from_data(read_toml(path, "regelfilen"), str(path))


def response(rules_dir: Path) -> ResponseRules:
    path = rules_dir / "response.toml"
    return ResponseRules.from_data(read_toml(path, "regelfilen"), str(path))
