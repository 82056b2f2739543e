"""Headers as real mail writes them (tests/fixtures/mail/realworld/): read as a tolerant mail client reads them.

Each file is named after what it guards; before the fix each lost letters, lost its sender, or was
quarantined as having no or truncated headers.
"""

from __future__ import annotations

import pytest

from inbox_worker.mail.parse.parser import parse_mail
from tests.conftest import mail_bytes

# file, subject, sender address, sender name
HEADERS = [
    ("gb2312-subject-with-gbk-bytes.eml", "打印机坏了，請幫忙", "wang@example.cn", "Wang Wei"),
    ("ks-c-5601-1987-subject.eml", "프린터 고장 똠방각하", "kim@example.kr", "김민수"),
    ("iso-8859-8-i-subject.eml", "המדפסת לא עובדת", "dana@example.co.il", "Dana Levi"),
    ("utf7-encoded-word-subject.eml", "Skærmen på kontoret", "lone@bageriet-soerensen.dk", "Lone Sørensen"),
    ("raw-8bit-cp1252-headers-old-outlook.eml", "Skærmen på kontoret er sort – hjælp", "lone@bageriet-soerensen.dk",
     "Søren Ærbø"),
    ("raw-8bit-utf8-headers.eml", "Skærmen på kontoret er sort", "lone@bageriet-soerensen.dk", "Søren Ærbø"),
]


@pytest.mark.parametrize("name, subject, address, sender_name", HEADERS)
def test_encoded_and_raw_8bit_headers_are_decoded_as_mail_clients_decode_them(name: str, subject: str, address: str,
                                                                               sender_name: str) -> None:
    mail = parse_mail(mail_bytes(f"realworld/{name}"))
    assert (mail.subject, mail.from_address, mail.from_name) == (subject, address, sender_name)
    assert "\ufffd" not in mail.body_text and mail.body_text.strip()


def test_a_body_in_a_charset_label_python_lacks_is_decoded() -> None:
    assert "המדפסת לא עובדת" in parse_mail(mail_bytes("realworld/iso-8859-8-i-subject.eml")).body_text
    assert "프린터가" in parse_mail(mail_bytes("realworld/ks-c-5601-1987-subject.eml")).body_text


def test_an_undeclared_8bit_body_from_old_outlook_is_read_as_windows_1252() -> None:
    mail = parse_mail(mail_bytes("realworld/raw-8bit-cp1252-headers-old-outlook.eml"))
    assert "skærmen er sort. Søren har prøvet" in mail.body_text


@pytest.mark.parametrize("name, note", [
    ("from-without-address-sender-used.eml", "FromAddressFromSender"),
    ("from-without-address-return-path-used.eml", "FromAddressFromReturnPath"),
])
def test_a_from_without_an_address_takes_sender_or_return_path_and_says_so(name: str, note: str) -> None:
    mail = parse_mail(mail_bytes(f"realworld/{name}"))
    assert mail.from_address == "lone@bageriet-soerensen.dk"
    assert mail.from_name in ("Lone Sørensen", "Lone")
    assert note in mail.defects


@pytest.mark.parametrize("name, note", [
    ("mbox-from-line-after-blank-line.eml", "MboxFromLine"),
    ("bare-cr-line-endings.eml", None),
    ("mixed-lf-and-crlf-line-endings.eml", None),
    ("no-blank-line-before-body.eml", "BodyWithoutBlankLine"),
    ("header-continued-without-indent.eml", "HeaderLineWithoutIndent"),
])
def test_a_damaged_header_block_that_a_tolerant_parser_reads_is_read(name: str, note: str | None) -> None:
    mail = parse_mail(mail_bytes(f"realworld/{name}"))
    assert (mail.from_address, mail.subject) == ("lone@bageriet-soerensen.dk", "Printeren virker ikke")
    assert mail.message_id is not None and mail.date is not None
    assert "Printeren på 1. sal virker ikke." in mail.new_text
    assert not {"NoHeaders", "NoHeaderBodySeparator", "MissingHeaderBodySeparatorDefect", "NulInHeaders"} & set(mail.defects)
    assert note is None or note in mail.defects


@pytest.mark.parametrize("name, rule", [
    ("from-without-address-sender-used.eml", "sender-from-sender"),
    ("from-without-address-return-path-used.eml", "sender-from-return-path"),
])
def test_the_trace_says_when_the_sender_came_from_another_header_than_from(name: str, rule: str) -> None:
    from inbox_worker.mail.explain import decision_for
    from inbox_worker.mail.incoming import IncomingMail
    from tests.unit.test_parse_hostile import NOW, PARAMS, RENDERER, RULES

    decision = decision_for(IncomingMail(mail_bytes(f"realworld/{name}"), name), RULES, PARAMS, RENDERER, NOW)
    assert str(decision.outcome) == "new_ticket"
    entry = next(e for e in decision.trace if e.rule == rule)
    assert entry.result == "lone@bageriet-soerensen.dk" and "From-feltet har ingen adresse" in entry.reason


def test_a_multipart_without_a_boundary_from_an_old_mailer_is_read_as_text_and_answered() -> None:
    """Old mailers wrote `Content-Type: multipart/alternative;` and lost the boundary: mail clients show the
    body as text. It was quarantined as a cut-off mail; no part is missing, so it is an ordinary request."""
    from inbox_worker.mail.explain import decision_for
    from inbox_worker.mail.incoming import IncomingMail
    from tests.unit.test_parse_hostile import NOW, PARAMS, RENDERER, RULES

    raw = mail_bytes("realworld/multipart-without-boundary-old-mailer.eml")
    mail = parse_mail(raw)
    assert "papirstop" in mail.body_text and "MultipartWithoutBoundary" in mail.defects
    decision = decision_for(IncomingMail(raw, "noboundary"), RULES, PARAMS, RENDERER, NOW)
    assert str(decision.outcome) == "new_ticket"
    assert not any(e.rule == "truncated-mime" for e in decision.trace)
    assert any(e.rule == "ack-new-ticket" and e.result == "queued" for e in decision.trace)
