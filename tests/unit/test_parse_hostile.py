"""Hostile and broken mail (tests/fixtures/mail/hostile/): one deliberate decision each, never an exception.

The decision is made by explain's own path without a database (`decision_for`), which is what
ingest stores for the same bytes (tests/integration/test_explain_equals_ingest_hostile.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox_worker.config import settings_from_dict
from inbox_worker.domain.decision import Decision
from inbox_worker.mail.explain import decision_for
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.parse.parser import MAX_NESTING, ParseError, parse_mail
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.outbound.render import Renderer
from tests.conftest import mail_bytes

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SETTINGS = settings_from_dict({}, "test")
RULES, PARAMS, RENDERER = load_rulebook(SETTINGS.paths.rules), PipelineParams.from_settings(SETTINGS), Renderer(SETTINGS)


def decided(name: str) -> Decision:
    return decision_for(IncomingMail(mail_bytes(f"hostile/{name}"), name), RULES, PARAMS, RENDERER, NOW)


def test_50000_open_parentheses_in_from_are_read_as_a_comment_not_a_crash() -> None:
    mail = parse_mail(mail_bytes("hostile/from-50000-open-parens.eml"))
    assert mail.from_address is None and mail.subject == "Printeren virker ikke"
    decision = decided("from-50000-open-parens.eml")
    assert (str(decision.outcome), decision.rule) == ("quarantined", "no-sender")  # the guard's, not a crash's


def test_an_address_before_50000_open_parentheses_is_still_the_sender() -> None:
    mail = parse_mail(mail_bytes("hostile/from-address-then-50000-open-parens.eml"))
    assert (mail.from_address, mail.from_name) == ("lone@bageriet-soerensen.dk", "Lone")
    assert str(decided("from-address-then-50000-open-parens.eml").outcome) == "new_ticket"


@pytest.mark.parametrize("name", ["charset-with-nul-cp1252.eml", "charset-with-junk-quotes-and-spaces.eml"])
def test_junk_in_the_charset_label_does_not_stop_an_ordinary_mail(name: str) -> None:
    mail = parse_mail(mail_bytes(f"hostile/{name}"))
    assert "skærmen er sort. Søren har prøvet" in mail.body_text
    assert str(decided(name).outcome) == "new_ticket"


def test_multipart_nested_deeper_than_anyone_writes_is_unparseable_the_same_way_everywhere() -> None:
    with pytest.raises(ParseError, match=str(MAX_NESTING)):
        parse_mail(mail_bytes("hostile/multipart-nested-300-deep.eml"))
    decision = decided("multipart-nested-300-deep.eml")
    assert (str(decision.outcome), decision.rule) == ("quarantined", "unparseable")
    assert decision.message_id == "<deep@fixtures.mico.dk>"


def test_invalid_encoded_words_keep_what_can_be_read() -> None:
    mail = parse_mail(mail_bytes("hostile/invalid-encoded-words.eml"))
    assert mail.from_address == "lone@bageriet-soerensen.dk"
    assert mail.subject is not None and mail.subject.startswith("Printeren på")
    assert "1. sal" in mail.subject and "virker" in mail.subject
    assert str(decided("invalid-encoded-words.eml").outcome) == "new_ticket"


def test_an_encoded_word_whose_charset_name_holds_a_nul_does_not_stop_the_mail() -> None:
    # mail-parser decodes every header it is given and died on str(bytes, "\0so-8859-8-i"); it is now given
    # only the MIME headers, and the subject is decoded by our own header code, which keeps what it can.
    mail = parse_mail(mail_bytes("hostile/encoded-word-charset-with-nul.eml"))
    assert mail.from_address == "dana@example.co.il" and "printer" in (mail.subject or "")
    assert "Printeren på kontoret virker ikke" in mail.body_text
    assert mail.message_id == "<nul-charset-word@fixtures.mico.dk>"
    assert str(decided("encoded-word-charset-with-nul.eml").outcome) == "new_ticket"
