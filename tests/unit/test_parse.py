"""The parser on real .eml files: decoding, the new text, attachments and structural damage."""

from __future__ import annotations

import pytest

from inbox_worker.mail.parse.parser import ParseError, new_text_of, parse_mail
from tests.conftest import mail_bytes


def test_an_encoded_danish_subject_and_sender_are_decoded() -> None:
    mail = parse_mail(mail_bytes("plain-danish-utf8-qp.eml"))
    assert mail.subject == "Printeren på 1. sal virker ikke"
    assert mail.from_address == "lone@bageriet-soerensen.dk"
    assert mail.from_name == "Lone Sørensen"
    assert mail.message_id == "<orig-1@bageriet-soerensen.dk>"
    assert mail.date is not None and mail.date.utcoffset() is not None
    assert "æ" in mail.body_text or "ø" in mail.body_text or "å" in mail.body_text


def test_latin1_8bit_mail_is_decoded_to_proper_danish_letters() -> None:
    mail = parse_mail(mail_bytes("latin1-8bit.eml"))
    assert any(letter in mail.body_text for letter in "æøåÆØÅ")
    assert "\ufffd" not in mail.body_text and "Ã" not in mail.body_text


def test_an_unknown_charset_does_not_stop_the_mail() -> None:
    mail = parse_mail(mail_bytes("unknown-charset.eml"))
    assert mail.body_text.strip()
    assert "CharsetDecodeDefect" in mail.defects


def test_html_only_mail_becomes_readable_text_without_script_or_style() -> None:
    mail = parse_mail(mail_bytes("html-only-outlook.eml"))
    assert mail.body_text.strip()
    assert "<" not in mail.body_text.replace("<http", "")
    assert "alert(1)" not in mail.body_text
    assert "MsoNormal" not in mail.body_text


def test_an_rfc2231_attachment_name_is_decoded_and_hashed() -> None:
    mail = parse_mail(mail_bytes("attachment-rfc2231-filename.eml"))
    [attachment] = mail.attachments
    assert attachment.filename == "skærmbillede æøå.png"
    assert attachment.payload.startswith(b"\x89PNG")
    assert attachment.size == len(attachment.payload) and len(attachment.sha256) == 64


def test_a_danish_reply_keeps_only_the_new_text() -> None:
    mail = parse_mail(mail_bytes("reply-danish-quoted.eml"))
    assert mail.in_reply_to == ("<orig-1@bageriet-soerensen.dk>",)
    assert "Den virker stadig ikke efter genstart." in mail.new_text
    assert "skrev" not in mail.new_text
    assert "Med venlig hilsen" not in mail.new_text and "12 34 56 78" not in mail.new_text


def test_an_outlook_english_reply_keeps_only_the_new_text() -> None:
    mail = parse_mail(mail_bytes("reply-english-outlook.eml"))
    assert mail.new_text
    assert "Sent:" not in mail.new_text and "From:" not in mail.new_text


@pytest.mark.parametrize("text, expected", [
    ("Hej\n\nDen virker ikke.\n\nMvh\nLone", "Hej\n\nDen virker ikke."),
    ("It is broken.\n\nBest regards,\nMark\n", "It is broken."),
    ("Serveren er nede\n-- \nMICO signatur", "Serveren er nede"),
    ("Kun tekst uden hilsen", "Kun tekst uden hilsen"),
])
def test_signatures_are_cut_from_the_new_text(text: str, expected: str) -> None:
    assert new_text_of(text) == expected


def test_newlines_in_an_encoded_subject_are_flattened() -> None:
    mail = parse_mail(mail_bytes("header-injection-subject.eml"))
    assert mail.subject is not None and "\r" not in mail.subject and "\n" not in mail.subject
    assert "Bcc" in mail.subject  # kept as harmless text on one line


@pytest.mark.parametrize("name, defect", [
    ("truncated-headers.eml", "NoHeaderBodySeparator"),
    ("truncated-multipart.eml", "CloseBoundaryNotFoundDefect"),
    ("binary-garbage.eml", "NulInHeaders"),
])
def test_structural_damage_is_reported(name: str, defect: str) -> None:
    assert defect in parse_mail(mail_bytes(name)).defects


def test_an_empty_file_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_mail(b"")


def test_a_mail_without_message_id_still_parses() -> None:
    mail = parse_mail(mail_bytes("no-message-id.eml"))
    assert mail.message_id is None and mail.from_address


def test_a_large_mail_keeps_its_attachment_byte_for_byte() -> None:
    import hashlib
    import random

    from inbox_worker.mail.parse.largemail import LARGE_MAIL_BYTES
    from tests.mailbuilder import build_mail

    payload = random.Random(7).randbytes(LARGE_MAIL_BYTES + 500_000)
    raw = build_mail(subject="Logfiler æøå", body="Hej\n\nHer er logfilerne fra serveren.\n\nMvh Lone",
                     attachment=("logs æøå.zip", payload))
    assert len(raw) > LARGE_MAIL_BYTES

    mail = parse_mail(raw)

    [attachment] = mail.attachments
    assert attachment.payload == payload
    assert (attachment.filename, attachment.size) == ("logs æøå.zip", len(payload))
    assert attachment.sha256 == hashlib.sha256(payload).hexdigest()
    assert mail.subject == "Logfiler æøå" and "logfilerne" in mail.body_text
    assert mail.sha256 == hashlib.sha256(raw).hexdigest() and mail.size == len(raw)
