"""rules/classify.toml and rules/devices.toml: validated at start-up, one clear line per mistake;
vocabulary matching with inflections and compounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_worker.errors import UserError
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.terms import Entry, Lexicon

RULES = Path(__file__).resolve().parents[2] / "inbox_worker" / "rules"


def test_the_shipped_rules_load() -> None:
    rules = rulebook.classify(RULES / "classify.toml")
    assert "printer" in rules.categories and "advice" in rules.intents
    assert {kind for kind in rulebook.device_kinds(RULES / "devices.toml").kinds} >= {"computer", "printer", "server"}


@pytest.mark.parametrize("text, problem", [
    ('[[category]]\nid = "printers"\nterms = ["printer"]\n', "ukendt kategori 'printers'"),
    ('[[category]]\nid = "printer"\nterms = ["a"]\n[[category]]\nid = "printer"\nterms = ["b"]\n', "står der to gange"),
    ('[[category]]\nid = "printer"\nterms = ["re:(unclosed"]\n', "ugyldigt ord"),
    ('[[category]]\nid = "printer"\nterm = ["printer"]\n', "ukendt felt 'term'"),
    ('[settings]\nmin_scor = 2\n', "ukendt indstilling"),
    ('[emergency]\n[[emergency.rule]]\nid = "fire"\npatterns = ["brand"]\n', "mangler 'triggers'"),
    ('[device_evidence]\ntoaster = "printer"\n', "ukendt enhedstype"),
])
def test_a_mistake_in_classify_toml_is_one_clear_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "classify.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as raised:
        rulebook.classify(path)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def test_a_device_word_must_name_a_registry_kind(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text('[[kind]]\nid = "toaster"\nkinds = ["toaster"]\nterms = ["toaster"]\n', encoding="utf-8")
    with pytest.raises(UserError, match="skal nævne enhedstyper"):
        rulebook.device_kinds(path)


LEXICON = Lexicon([Entry("printer", "printer", 3), Entry("computer", "=pc", 2), Entry("network", "net", 1),
                   Entry("replacement", "ny pc", 4), Entry("network", "wi fi", 3),
                   Entry("security", r"re:\bklik\w* på et link", 4)])


@pytest.mark.parametrize("text, terms", [
    ("Printeren på 1. sal", {"printer"}),
    ("printerproblem igen", {"printer"}),
    ("Netværksprinteren er offline", {"printer", "net"}),  # compound: printer inside, net at the start
    ("kabinettet", set()),  # 'net' is short: only at the start of a word
    ("min PC'en er død", {"=pc"}),
    ("PCB-print", set()),
    ("Vi skal have en ny pc", {"=pc", "ny pc"}),
    ("Wi-Fi er væk", {"wi fi"}),
    ("jeg klikkede på et link", {r"re:\bklik\w* på et link"}),
])
def test_terms_match_inflections_and_compounds(text: str, terms: set[str]) -> None:
    assert {hit.term for hit in LEXICON.hits(text)} == terms
