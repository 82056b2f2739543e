"""The thread folds quoted history and signatures: real Danish, English/Outlook and interleaved replies."""

from __future__ import annotations

from pathlib import Path

from inbox_worker.mail.parse.parser import parse_mail
from inbox_worker.mail.parse.reply_parts import split_reply

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def body_of(name: str) -> str:
    return parse_mail((MAIL / name).read_bytes()).body_text


def test_a_danish_reply_shows_the_new_text_and_folds_the_signature_and_the_quote() -> None:
    parts = split_reply(body_of("reply-danish-quoted.eml"))
    assert parts.new == "Den virker stadig ikke efter genstart."
    assert parts.signature.startswith("Med venlig hilsen\nLone Sørensen") and "12 34 56 78" in parts.signature
    assert parts.quoted.startswith("Den 20. nov. 2026 kl. 10.12 skrev MICO Support")
    assert "> Printeren på 1. sal virker ikke" in parts.quoted and parts.folded


def test_an_outlook_reply_folds_the_from_sent_header_block_and_what_follows() -> None:
    parts = split_reply(body_of("reply-english-outlook.eml"))
    assert parts.new == "Hi,\n\nThanks - the VPN works again from home. You can close the case."
    assert parts.signature == "Best regards\nPeter Holm\nHolm & Co. Revision"
    assert parts.quoted.startswith("From: MICO Support <support@mico.dk>\nSent: Tuesday")
    assert "We have renewed the VPN certificate" in parts.quoted


def test_a_new_mail_folds_only_its_signature() -> None:
    parts = split_reply(body_of("plain-danish-utf8-qp.eml"))
    assert parts.new.startswith("Hej MICO") and "Ærøskøbingvej" in parts.new
    assert parts.signature.startswith("Med venlig hilsen") and parts.quoted == ""


def test_a_wrapped_attribution_line_goes_with_the_quote() -> None:
    body = ("Tak, det virker nu.\n\nDen fre. 20. nov. 2026 kl. 10.12 skrev MICO Support\n<support@mico.dk>:\n"
            "> Prøv at genstarte routeren.\n")
    parts = split_reply(body)
    assert parts.new == "Tak, det virker nu." and parts.signature == ""
    assert parts.quoted.startswith("Den fre. 20. nov. 2026 kl. 10.12 skrev MICO Support\n<support@mico.dk>:")


def test_an_answer_written_between_quoted_lines_is_shown_whole_nothing_hidden() -> None:
    body = "> Virker printeren nu?\nJa, den virker.\n> Og scanneren?\nNej, stadig ikke.\n"
    parts = split_reply(body)
    assert "Ja, den virker." in parts.new and "Nej, stadig ikke." in parts.new and not parts.folded


def test_an_empty_body_and_a_bare_quote() -> None:
    assert split_reply("").new == "" and not split_reply("  \n").folded
    parts = split_reply("> kun citat\n> intet nyt\n")
    assert parts.new == "" and parts.quoted.startswith("> kun citat")
