"""The shipped coverage policy (rules/coverage.toml), one scenario per rule, built from registry and mail facts."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

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
from inbox_worker.errors import UserError
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.coverage import decide_coverage
from inbox_worker.mail.decide.coverage_rules import CoverageRules
from inbox_worker.mail.decide.facts import mail_facts
from inbox_worker.mail.decide.priority import decide_priority

RULES_DIR = Path(__file__).resolve().parents[2] / "inbox_worker" / "rules"
RATES = {"agreement": 650, "trial": 600, "none": 850}  # a distinct trial rate shows which key was used
MAIL_DAY = date(2026, 5, 4)


def customer(key: str, agreement: str, packages: tuple[str, ...] = ("MCOSAABAS",), end: date | None = None,
             exceptions: tuple[dict[str, object], ...] = ()) -> CustomerInfo:
    return CustomerInfo(key, f"Kunde {key}", (f"{key}.dk",), agreement, end, packages, None, None, "da", exceptions)


def contact(key: str, name: str, packages: tuple[str, ...] = ()) -> ContactInfo:
    return ContactInfo(key, f"{name.lower()}@{key}.dk", (), name, packages, "da")


def device(key: str, tag: str, kind: str, user: str | None = None, primary: bool = False,
           packages: tuple[str, ...] = (), extra_network: bool = False) -> DeviceInfo:
    return DeviceInfo(key, tag, kind, f"{kind} {tag}", None, None, None, user and f"{user}@{key}.dk", primary,
                      packages, extra_network)


CUSTOMERS = [
    customer("tv", "active", ("MCOSAABAS", "MCOSADNET")),
    customer("nonet", "active"),
    customer("saer", "active", exceptions=(
        {"covered_device": "SAER-NAS-01", "note": "NAS'en er dækket efter aftale af 10.01.2026."},
        {"covered_category": "replacement"}, {"visits_per_year": 4})),
    customer("prove", "trial", ()),
    customer("ingen", "none", ()),
    customer("udloebet", "active", end=date(2026, 3, 31)),
    customer("opsagt", "terminated", end=date(2026, 12, 31)),
]
CONTACTS = [
    contact("tv", "Anna", ("MCOSABBRU",)), contact("tv", "Bo"), contact("opsagt", "Ole", ("MCOSABBRU",)),
    contact("saer", "Sara", ("MCOSABBRU",)), contact("prove", "Per"), contact("ingen", "Ida"),
    contact("udloebet", "Uffe", ("MCOSABBRU",)), contact("nonet", "Nina", ("MCOSABBRU",)),
]
DEVICES = [
    device("tv", "TV-PC-01", "computer", "anna", primary=True),
    device("tv", "TV-PC-02", "computer", "bo", primary=True),
    device("tv", "TV-PC-03", "computer", "anna", packages=("MCOSABCOM",)),
    device("tv", "TV-PC-04", "computer", "anna"),
    device("tv", "TV-SRV-01", "server"),
    device("tv", "TV-SRV-02", "server", packages=("MCOSACSRV",)),
    device("tv", "TV-NAS-01", "nas"),
    device("tv", "TV-PRN-01", "printer"),
    device("tv", "TV-NET-01", "router"),
    device("tv", "TV-NET-03", "access-point", extra_network=True),
    device("tv", "TV-MOB-01", "phone", "anna"),
    device("tv", "TV-MOB-02", "phone", "bo"),
    device("nonet", "NN-NET-01", "access-point", extra_network=True),
    device("nonet", "NN-NET-02", "switch", packages=("MCOSADNET",), extra_network=True),
    device("saer", "SAER-NAS-01", "nas"),
]


def registry() -> RegistrySnapshot:
    by_address = {c.email: c for c in CONTACTS}
    devices: dict[str, list[DeviceInfo]] = {}
    for d in DEVICES:
        devices.setdefault(d.customer, []).append(d)
    return RegistrySnapshot({c.key: c for c in CUSTOMERS}, by_address,
                            {domain: c.key for c in CUSTOMERS for domain in c.domains},
                            {k: tuple(v) for k, v in devices.items()})


@dataclass(frozen=True)
class Case:
    rule: str
    sender: str | None  # "name@customer" of a registry contact, "@customer" for an unknown person there, None: unknown
    devices: tuple[str, ...]
    category: str
    status: str
    rate: int
    package: str | None
    priority: str | None = None  # the priority the same facts get from rules/priority.toml (None: normal)
    visits_used: int = 0
    reason_has: str = ""


CASES = [
    Case("unknown-sender", None, (), "printer", "undetermined", 850, None),
    Case("agreement-expired", "uffe@udloebet", ("TV-PC-01",), "computer", "billable", 850, None, "low", reason_has="udløb 31.03.2026"),
    Case("no-agreement", "ida@ingen", (), "printer", "billable", 850, None, "low"),
    Case("trial-registration", "per@prove", (), "admin", "covered", 0, None),
    Case("trial-work", "per@prove", (), "printer", "billable", 600, None),
    Case("exception-covered-category", "sara@saer", (), "replacement", "covered", 0, None),
    Case("replacement-new-equipment", "anna@tv", ("TV-PC-01",), "replacement", "billable", 650, None),
    Case("service-visit-included", "anna@tv", (), "visit", "covered", 0, "MCOSAABAS", visits_used=1, reason_has="nr. 2 af 2 i 2026"),
    Case("service-visit-included", "sara@saer", (), "visit", "covered", 0, "MCOSAABAS", visits_used=3, reason_has="nr. 4 af 4"),
    Case("service-visit-extra", "anna@tv", (), "visit", "billable", 650, None, visits_used=2),
    Case("exception-covered-device", "sara@saer", ("SAER-NAS-01",), "server", "covered", 0, None, reason_has="efter aftale af 10.01.2026"),
    Case("server-package", "anna@tv", ("TV-SRV-02",), "server", "covered", 0, "MCOSACSRV", "high"),
    Case("server-without-package", "bo@tv", ("TV-SRV-01",), "server", "billable", 650, None, reason_has="Serveren TV-SRV-01 (server TV-SRV-01) har ingen serverpakke (MCOSACSRV)"),
    Case("server-without-package", "anna@tv", ("TV-NAS-01",), "backup", "billable", 650, None),
    Case("extra-network-device-package", "nina@nonet", ("NN-NET-02",), "network", "covered", 0, "MCOSADNET"),
    Case("extra-network-customer-package", "anna@tv", ("TV-NET-03",), "network", "covered", 0, "MCOSADNET"),
    Case("extra-network-without-package", "nina@nonet", ("NN-NET-01",), "network", "billable", 650, None),
    Case("base-infrastructure-device", "bo@tv", ("TV-PRN-01",), "printer", "covered", 0, "MCOSAABAS"),
    Case("base-infrastructure-device", "@tv", ("TV-NET-01",), "network", "covered", 0, "MCOSAABAS"),
    Case("base-network-printer", "bo@tv", (), "network", "covered", 0, "MCOSAABAS"),
    Case("base-backup", "bo@tv", (), "backup", "covered", 0, "MCOSAABAS"),
    Case("base-security", "bo@tv", (), "security", "covered", 0, "MCOSAABAS"),
    Case("base-advice", "bo@tv", ("TV-PC-02",), "advice", "covered", 0, "MCOSAABAS"),
    Case("base-administration", "@tv", (), "admin", "covered", 0, "MCOSAABAS"),
    Case("extra-computer-package", "anna@tv", ("TV-PC-03",), "computer", "covered", 0, "MCOSABCOM"),
    Case("extra-computer-without-package", "anna@tv", ("TV-PC-04",), "computer", "billable", 650, None),
    Case("user-primary-computer", "anna@tv", ("TV-PC-01",), "computer", "covered", 0, "MCOSABBRU"),
    Case("primary-computer-without-user-package", "bo@tv", ("TV-PC-02",), "computer", "billable", 650, None),
    Case("user-equipment", "bo@tv", ("TV-MOB-01",), "mobile", "covered", 0, "MCOSABBRU"),
    Case("user-equipment-sender-package", "anna@tv", ("TV-MOB-02",), "mobile", "covered", 0, "MCOSABBRU"),
    Case("user-equipment-without-package", "bo@tv", ("TV-MOB-02",), "mobile", "billable", 650, None),
    Case("server-unidentified", "anna@tv", (), "server", "undetermined", 650, None),
    Case("user-personal-support", "anna@tv", (), "software", "covered", 0, "MCOSABBRU"),
    Case("user-personal-support", "ole@opsagt", (), "account", "covered", 0, "MCOSABBRU"),  # terminated, in notice
    Case("personal-support-without-user-package", "bo@tv", (), "account", "billable", 650, None, reason_has="Bo har ingen brugerpakke"),
    Case("agreement-undecided", "anna@tv", (), "other", "undetermined", 650, None),
    Case("agreement-undecided", "@tv", (), "computer", "undetermined", 650, None),  # unknown person: whose package?
]


PRIORITY_RULES = rulebook.priority(RULES_DIR)


def decide(case: Case, rules: CoverageRules, registry_: RegistrySnapshot | None = None) -> tuple[Coverage, Trace]:
    coverage, trace, _ = decide_with_priority(case, rules, registry_)
    return coverage, trace


def decide_with_priority(case: Case, rules: CoverageRules,
                         registry_: RegistrySnapshot | None = None) -> tuple[Coverage, Trace, str]:
    """The pipeline's order: the facts once, the priority from them, then the coverage."""
    key = case.sender.partition("@")[2] if case.sender else None
    address = f"{case.sender}.dk" if case.sender and not case.sender.startswith("@") else None
    link = LinkDecision(key, address, case.devices, ())
    facts = mail_facts(link, Classification(case.category, "da"), registry_ or registry(), MAIL_DAY,
                       {key: case.visits_used} if key else {}, rules.visits_per_year)
    priority = decide_priority(facts, PRIORITY_RULES, Trace()).priority
    trace = Trace()
    return decide_coverage(replace(facts, priority=priority), rules, RATES, trace), trace, priority


@pytest.fixture(scope="module")
def rules() -> CoverageRules:
    return rulebook.coverage(RULES_DIR)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}-{c.sender}-{'+'.join(c.devices)}" for c in CASES])
def test_each_rule_decides_its_case(case: Case, rules: CoverageRules) -> None:
    coverage, trace, priority = decide_with_priority(case, rules)

    assert (coverage.rule, coverage.status, coverage.rate_dkk, coverage.package) == (
        case.rule, case.status, case.rate, case.package)
    assert priority == (case.priority or "normal")
    assert coverage.reason and "{" not in coverage.reason
    assert case.reason_has in coverage.reason
    assert ("billable" in coverage.review) == (case.status == "billable")
    entry = trace.entries[-1]
    assert entry.rule == case.rule and entry.details["tried"][-1] == case.rule


def test_every_shipped_rule_has_a_case(rules: CoverageRules) -> None:
    assert {rule.id for rule in rules.rules} == {case.rule for case in CASES}


def test_explain_lists_the_rules_tried_in_order(rules: CoverageRules) -> None:
    _, trace = decide(Case("base-backup", "bo@tv", (), "backup", "covered", 0, "MCOSAABAS"), rules)
    tried = trace.entries[-1].details["tried"]
    ids = [rule.id for rule in rules.rules]
    assert tried == ids[: ids.index("base-backup") + 1]


def test_a_device_of_another_customer_is_ignored(rules: CoverageRules) -> None:
    # Anna (tv) names nonet's extra-network access point: it must not make her mail billable.
    coverage, _ = decide(Case("", "anna@tv", ("NN-NET-01",), "software", "", 0, None), rules)
    assert coverage.rule == "user-personal-support"


def test_the_registry_makes_nas_work_covered_for_one_customer(rules: CoverageRules) -> None:
    nas_case = Case("", "anna@tv", ("TV-NAS-01",), "server", "", 0, None)
    assert decide(nas_case, rules)[0].status == "billable"
    tv = next(c for c in CUSTOMERS if c.key == "tv")
    special = CustomerInfo(**{**tv.__dict__, "exceptions": ({"covered_device": "TV-NAS-01"},)})
    snapshot = registry()
    changed = RegistrySnapshot({**snapshot.customers, "tv": special}, snapshot.contacts_by_address,
                               snapshot.customer_by_domain, snapshot.devices)

    coverage, _ = decide(nas_case, rules, changed)

    assert (coverage.status, coverage.rule) == ("covered", "exception-covered-device")


def test_a_rule_added_to_rules_makes_nas_work_covered_without_code(tmp_path: Path) -> None:
    shutil.copy(RULES_DIR / "coverage.toml", tmp_path / "coverage.toml")
    text = (tmp_path / "coverage.toml").read_text(encoding="utf-8")
    extra = ('[[rule]]\nid = "tv-nas-covered"\nwhen = { agreement = "active", customer = "tv", device_kind = "nas" }\n'
             'then = { status = "covered", package = "MCOSAABAS", reason = "Særaftale: {device} er dækket" }\n\n')
    first_rule = text.index("[[rule]]")
    (tmp_path / "coverage.toml").write_text(text[:first_rule] + extra + text[first_rule:], encoding="utf-8")

    coverage, trace = decide(Case("", "anna@tv", ("TV-NAS-01",), "server", "", 0, None), rulebook.coverage(tmp_path))

    assert (coverage.status, coverage.rule, coverage.reason) == ("covered", "tv-nas-covered", "Særaftale: TV-NAS-01 er dækket")
    assert trace.entries[-1].details["tried"][-1] == "tv-nas-covered"


BAD_RULES = [
    ('id = "a"\nwhen = { colour = "red" }\nthen = { status = "covered", reason = "x" }', "ukendt betingelse 'colour'"),
    ('id = "a"\nwhen = { agreement = "active", customer_has = "MCOSAXXX" }\nthen = { status = "covered", reason = "x" }',
     "ukendt værdi 'MCOSAXXX'"),
    ('id = "a"\nwhen = { agreement = "active", category = "printers" }\nthen = { status = "covered", reason = "x" }',
     "ukendt værdi 'printers'"),
    ('id = "a"\nwhen = { agreement = "active" }\nthen = { status = "covered", package = "MCOSAXXX", reason = "x" }',
     "ukendt pakke 'MCOSAXXX'"),
    ('id = "a"\nwhen = { agreement = "active" }\nthen = { status = "billable", rate = "agreement", package = "MCOSACSRV", reason = "x" }',
     "kun i covered-regler"),
    ('id = "a"\nwhen = { agreement = "active" }\nthen = { status = "covered", colour = "x", reason = "x" }',
     "ukendt felt i then: 'colour'"),
    ('id = "a"\nwhen = { agreement = ["active", "none"] }\nthen = { status = "covered", reason = "x" }',
     "aldrig none eller unknown"),
    ('id = "a"\nwhen = { category = "backup" }\nthen = { status = "covered", reason = "x" }', "skal nævne sine aftaler"),
    ('id = "a"\nwhen = { agreement = "active" }\nthen = { status = "billable", reason = "x" }', "skal have en"),
    ('id = "a"\nwhen = { agreement = "active" }\nthen = { status = "billable", rate = "cheap", reason = "x" }',
     "ukendt sats 'cheap'"),
    ('id = "a"\nwhen = { agreement = "active" }\nthen = { status = "covered", reason = "{dveice} er dækket" }',
     "ukendt pladsholder '{dveice}'"),
    ('id = "staff-override"\nwhen = { agreement = "active" }\nthen = { status = "covered", reason = "x" }', "reserveret"),
    ('id = "a"\nwhen = { device_primary = "yes" }\nthen = { status = "billable", rate = "none", reason = "x" }',
     "tager true eller false"),
]


@pytest.mark.parametrize(("rule", "message"), BAD_RULES)
def test_a_mistake_in_coverage_toml_is_one_clear_line(tmp_path: Path, rule: str, message: str) -> None:
    (tmp_path / "coverage.toml").write_text(f"[[rule]]\n{rule}\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        rulebook.coverage(tmp_path)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert "coverage.toml: regel 1 (" in str(error.value)


def test_duplicate_ids_and_unknown_top_level_keys_are_refused(tmp_path: Path) -> None:
    rule = '[[rule]]\nid = "a"\nwhen = { agreement = "active" }\nthen = { status = "covered", reason = "x" }\n'
    (tmp_path / "coverage.toml").write_text(rule + rule, encoding="utf-8")
    with pytest.raises(UserError, match="regel-id'et 'a' står der to gange"):
        rulebook.coverage(tmp_path)
    (tmp_path / "coverage.toml").write_text("visit_per_year = 3\n" + rule, encoding="utf-8")
    with pytest.raises(UserError, match="ukendt nøgle øverst i filen: 'visit_per_year'"):
        rulebook.coverage(tmp_path)
