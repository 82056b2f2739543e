"""Properties of every coverage decision under the shipped rules, over generated registries and mails."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_worker.domain.agreement import effective_agreement
from inbox_worker.domain.types import (
    Classification,
    ContactInfo,
    Coverage,
    CustomerInfo,
    DeviceInfo,
    LinkDecision,
    RegistrySnapshot,
    Trace,
)
from inbox_worker.domain.vocabulary import AGREEMENTS, CATEGORIES, COVERAGE_STATUSES, DEVICE_KINDS, PACKAGES, PRIORITIES
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.coverage import decide_coverage
from inbox_worker.mail.decide.facts import mail_facts

RULES = rulebook.coverage(Path(__file__).resolve().parents[2] / "inbox_worker" / "rules")
RATES = {"agreement": 650, "trial": 600, "none": 850}
MAIL_DAY = date(2026, 5, 4)

packages = st.frozensets(st.sampled_from(sorted(PACKAGES))).map(lambda s: tuple(sorted(s)))
exceptions = st.lists(st.one_of(
    st.builds(lambda tag: {"covered_device": tag}, st.sampled_from(["A-1", "A-2", "B-1"])),
    st.builds(lambda category: {"covered_category": category}, st.sampled_from(CATEGORIES)),
    st.builds(lambda n: {"visits_per_year": n}, st.integers(0, 5)),
), max_size=3).map(tuple)


@st.composite
def customers(draw: st.DrawFn, key: str) -> CustomerInfo:
    end = draw(st.none() | st.builds(lambda days: MAIL_DAY + timedelta(days=days), st.integers(-400, 400)))
    return CustomerInfo(key, f"Kunde {key}", (f"{key}.dk",), draw(st.sampled_from(AGREEMENTS)), end, draw(packages),
                        None, None, "da", draw(exceptions))


@st.composite
def devices(draw: st.DrawFn, key: str, number: int) -> DeviceInfo:
    user = draw(st.sampled_from([None, f"ansat@{key}.dk", "ansat@a.dk"]))
    return DeviceInfo(key, f"{key.upper()}-{number}", draw(st.sampled_from(DEVICE_KINDS)), "enhed", None, None, None,
                      user, draw(st.booleans()), draw(packages), draw(st.booleans()))


@dataclass(frozen=True)
class World:
    registry: RegistrySnapshot
    link: LinkDecision
    classification: Classification
    priority: str
    visits: dict[str, int]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """Two customers, a and b, with contacts and devices; a mail from one of a's people, or from a stranger."""
    a, b = draw(customers("a")), draw(customers("b"))
    contacts = {f"ansat@{k}.dk": ContactInfo(k, f"ansat@{k}.dk", (), "Ansat", draw(packages), "da") for k in "ab"}
    own = {k: tuple(draw(devices(k, n)) for n in (1, 2)) for k in "ab"}
    sender = draw(st.sampled_from(["ansat@a.dk", "ukendt@a.dk", None]))
    tags = draw(st.lists(st.sampled_from(["A-1", "A-2", "B-1", "B-2"]), max_size=3, unique=True))
    link = LinkDecision(None if sender is None else "a", sender if sender == "ansat@a.dk" else None, tuple(tags), ())
    registry = RegistrySnapshot({"a": a, "b": b}, contacts, {"a.dk": "a", "b.dk": "b"}, own)
    classification = Classification(draw(st.sampled_from(CATEGORIES)), "da", emergency=draw(st.booleans()))
    return World(registry, link, classification, draw(st.sampled_from(PRIORITIES)),
                 {"a": draw(st.integers(0, 6)), "b": draw(st.integers(0, 6))})


def decide(world: World, link: LinkDecision | None = None) -> Coverage:
    facts = mail_facts(link or world.link, world.classification, world.registry, MAIL_DAY, world.visits,
                       RULES.visits_per_year)
    return decide_coverage(replace(facts, priority=world.priority), RULES, RATES, Trace())


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_every_decision_names_a_shipped_rule_and_gives_a_reason(world: World) -> None:
    coverage = decide(world)
    assert coverage.rule in {rule.id for rule in RULES.rules}
    assert coverage.status in COVERAGE_STATUSES and coverage.reason and "{" not in coverage.reason


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_covered_exactly_when_the_rate_is_zero(world: World) -> None:
    coverage = decide(world)
    assert (coverage.status == "covered") == (coverage.rate_dkk == 0)
    assert coverage.rate_dkk in (0, *RATES.values())
    assert coverage.package is None or coverage.status == "covered"  # the package that covers it, or none


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_no_agreement_and_unknown_senders_are_never_covered(world: World) -> None:
    coverage = decide(world)
    if world.link.customer is None or effective_agreement(world.registry.customers["a"].agreement,
                                                                       world.registry.customers["a"].agreement_end,
                                                                       MAIL_DAY) == "none":
        assert coverage.status != "covered"
        assert coverage.rate_dkk == RATES["none"]


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_a_device_of_another_customer_never_decides(world: World) -> None:
    own_only = tuple(tag for tag in world.link.devices if tag.startswith("A-"))
    without_foreign = LinkDecision(world.link.customer, world.link.contact, own_only, ())
    assert decide(world) == decide(world, without_foreign)
