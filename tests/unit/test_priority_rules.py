"""The priority is decided by rules/priority.toml alone: the shipped table, edits to it, and its mistakes."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from inbox_worker.domain.types import Classification, LinkDecision, RegistrySnapshot, Trace
from inbox_worker.errors import UserError
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.facts import mail_facts
from inbox_worker.mail.decide.priority import PriorityRules, decide_priority
from inbox_worker.mail.parse.parser import parse_mail
from inbox_worker.mail.pipeline import run_pipeline
from inbox_worker.mail.rulebook import load_rulebook
from tests.unit.test_coverage_rules import CASES, registry

RULES_DIR = Path(__file__).resolve().parents[2] / "inbox_worker" / "rules"
DAY = date(2026, 5, 4)


def priority_of(sender: str, devices: tuple[str, ...], category: str, rules: PriorityRules,
                emergency: bool = False, reg: RegistrySnapshot | None = None) -> tuple[str, str]:
    key = sender.partition("@")[2]
    link = LinkDecision(key, f"{sender}.dk", devices, ())
    facts = mail_facts(link, Classification(category, "da", emergency=emergency), reg or registry(), DAY, {}, 2)
    trace = Trace()
    priority = decide_priority(facts, rules, trace).priority
    return priority, trace.entries[-1].rule


@pytest.fixture(scope="module")
def shipped() -> PriorityRules:
    return rulebook.priority(RULES_DIR)


@pytest.mark.parametrize(("sender", "devices", "category", "emergency", "expected"), [
    ("anna@tv", ("TV-SRV-02",), "server", False, ("high", "priority-server-package")),  # the server package
    ("anna@tv", (), "backup", False, ("normal", "priority-normal")),  # no server named, and TV-SRV-01 lacks it
    ("bo@tv", ("TV-SRV-01",), "server", False, ("normal", "priority-normal")),  # a server without the package
    ("ida@ingen", (), "printer", False, ("low", "priority-no-agreement")),
    ("uffe@udloebet", (), "computer", False, ("low", "priority-no-agreement")),  # past its end date
    ("ida@ingen", (), "network", True, ("emergency", "priority-emergency")),  # an emergency stays one
    ("anna@tv", ("TV-SRV-02",), "server", True, ("emergency", "priority-emergency")),
    ("per@prove", (), "printer", False, ("normal", "priority-normal")),
])
def test_the_shipped_table_follows_the_agreement(shipped: PriorityRules, sender: str, devices: tuple[str, ...],
                                                 category: str, emergency: bool, expected: tuple[str, str]) -> None:
    assert priority_of(sender, devices, category, shipped, emergency) == expected


def test_every_shipped_priority_rule_fires_for_some_case(shipped: PriorityRules) -> None:
    fired = {priority_of(c.sender, c.devices, c.category, shipped)[1] for c in CASES if c.sender and "@" in c.sender
             and not c.sender.startswith("@")}
    fired |= {priority_of("ida@ingen", (), "network", shipped, emergency=True)[1]}
    one_server = replace(registry(), devices={"tv": tuple(d for d in registry().devices["tv"]
                                                          if d.kind not in ("server", "nas") or "MCOSACSRV" in d.packages)})
    assert priority_of("anna@tv", (), "backup", shipped, reg=one_server) == ("high", "priority-server-package-work")
    fired |= {"priority-server-package-work"}
    assert fired == {rule.id for rule in shipped.rules}


def _without_line(tmp_path: Path, pattern: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    text = (rules / "priority.toml").read_text(encoding="utf-8")
    block = re.compile(r"\[\[rule\]\]\nid = \"" + pattern + r"\"\n(?:[^\[\n][^\n]*\n)*")
    assert block.search(text), pattern
    (rules / "priority.toml").write_text(block.sub("", text), encoding="utf-8")
    return rules


SERVER_RULES = "priority-server-package(?:-work)?"  # both lines that make server-package work high


def test_removing_the_server_package_lines_from_the_rules_changes_the_decided_priority(
        shipped: PriorityRules, tmp_path: Path) -> None:
    edited = rulebook.priority(_without_line(tmp_path, SERVER_RULES))
    assert priority_of("anna@tv", ("TV-SRV-02",), "server", shipped)[0] == "high"
    assert priority_of("anna@tv", ("TV-SRV-02",), "server", edited) == ("normal", "priority-normal")


def test_removing_the_no_agreement_line_makes_customers_without_one_normal(tmp_path: Path) -> None:
    edited = rulebook.priority(_without_line(tmp_path, "priority-no-agreement"))
    assert priority_of("ida@ingen", (), "printer", edited) == ("normal", "priority-normal")


def test_the_whole_pipeline_takes_its_priority_from_the_file(tmp_path: Path) -> None:
    """Through run_pipeline, from a real mail: the decision changes with the file, no Python involved."""
    from sqlalchemy.orm import Session

    from inbox_worker.domain.types import MailContext
    from inbox_worker.mail.pipeline import PipelineParams
    from inbox_worker.store.db import make_engine, migrate
    from inbox_worker.store.registry_import import import_registry
    from inbox_worker.store.repository import load_snapshot
    from tests.conftest import DEMO, make_settings

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}")
    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    with Session(engine) as session:
        snapshot = load_snapshot(session)
    engine.dispose()
    mail = parse_mail((DEMO / "inbox" / "07-backup-fejlet-server-langsom.eml").read_bytes())
    context = MailContext(datetime(2026, 11, 27, tzinfo=UTC), None, None, 0, next_ticket_number=1)
    params = PipelineParams.from_settings(settings)
    before = run_pipeline(mail, context, snapshot, load_rulebook(RULES_DIR), params)
    edited = _without_line(tmp_path, SERVER_RULES)
    after = run_pipeline(mail, context, snapshot, load_rulebook(edited), params)
    assert (before.priority, after.priority) == ("high", "normal")
    assert [e.rule for e in after.trace if e.stage == "priority"] == ["priority-normal"]


@pytest.mark.parametrize(("rule", "message"), [
    ('id = "a"\nthen = { priority = "urgent", reason = "x" }', "mangler then.priority"),
    ('id = "a"\nthen = { priority = "high" }', "mangler then.priority"),
    ('id = "a"\nwhen = { priority = "high" }\nthen = { priority = "high", reason = "x" }', "kan ikke teste den prioritet"),
    ('id = "a"\nwhen = { servers_have = "MCOSAXXX" }\nthen = { priority = "high", reason = "x" }', "ukendt værdi 'MCOSAXXX'"),
    ('id = "a"\nwhen = { emergency = "yes" }\nthen = { priority = "high", reason = "x" }', "tager true eller false"),
    ('id = "a"\nthen = { priority = "high", reason = "{nope}" }', "ukendt pladsholder '{nope}'"),
    ('id = "a"\nthen = { priority = "high", review = "emergency", reason = "x" }', "then.review har den forkerte type"),
    ('id = "a"\nwhen = { emergency = true }\nthen = { priority = "high", reason = "x" }', "den sidste regel må ingen betingelser have"),
])
def test_a_mistake_in_priority_toml_is_one_clear_line(tmp_path: Path, rule: str, message: str) -> None:
    (tmp_path / "priority.toml").write_text(f"raises_ticket = []\n[[rule]]\n{rule}\n", encoding="utf-8")
    if "den sidste regel" not in message:  # each case is one mistake: end with the catch-all the file needs
        with (tmp_path / "priority.toml").open("a", encoding="utf-8") as handle:
            handle.write('[[rule]]\nid = "z"\nthen = { priority = "normal", reason = "x" }\n')
    with pytest.raises(UserError, match=re.escape(message)) as error:
        rulebook.priority(tmp_path)
    assert "\n" not in str(error.value) and "priority.toml" in str(error.value)


def test_a_priority_left_in_coverage_toml_points_to_priority_toml(tmp_path: Path) -> None:

    (tmp_path / "coverage.toml").write_text(
        '[[rule]]\nid = "a"\nwhen = { agreement = "none" }\n'
        'then = { status = "billable", rate = "none", priority = "low", reason = "x" }\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"prioriteter afgøres i priority\.toml"):
        rulebook.coverage(tmp_path)


def test_no_priority_is_decided_in_python() -> None:
    """The words of the priorities appear in the decide stages only as the enum and the facts, never as a choice."""
    decide = Path(__file__).resolve().parents[2] / "inbox_worker" / "mail" / "decide"
    for path in decide.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "MCOSACSRV" not in text, path.name
        assert not re.search(r"""["'](high|low)["']""", text), path.name


def test_raises_ticket_and_the_review_flags_of_a_priority_are_data(tmp_path: Path, shipped: PriorityRules) -> None:
    assert shipped.raises_ticket == {"emergency", "high"}
    trace = Trace()
    key = "ingen"
    facts = mail_facts(LinkDecision(key, "ida@ingen.dk", (), ()), Classification("network", "da", emergency=True),
                       registry(), DAY, {}, 2)
    assert decide_priority(facts, shipped, trace).review == ("emergency",)
    (tmp_path / "priority.toml").write_text('raises_ticket = ["emergency"]\n[[rule]]\nid = "all"\n'
                                            'then = { priority = "normal", reason = "x" }\n', encoding="utf-8")
    assert rulebook.priority(tmp_path).raises_ticket == {"emergency"}
    for wrong in ('raises_ticket = ["urgent"]\n', ""):
        (tmp_path / "priority.toml").write_text(wrong + '[[rule]]\nid = "all"\n'
                                                'then = { priority = "normal", reason = "x" }\n', encoding="utf-8")
        with pytest.raises(UserError, match="raises_ticket"):
            rulebook.priority(tmp_path)
