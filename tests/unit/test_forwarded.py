"""A colleague's forward: the original sender, subject and words are found inside the body."""

from __future__ import annotations

from inbox_worker.mail.parse.forwarded import find_forwarded
from inbox_worker.mail.parse.parser import new_text_of


def found(subject: str, body: str) -> tuple[str, str | None, str] | None:
    forwarded = find_forwarded(subject, body, new_text_of)
    return None if forwarded is None else (forwarded.from_address, forwarded.subject, forwarded.text)


def test_gmail_style_marker() -> None:
    body = ("Kan I tage den her?\n\n---------- Forwarded message ---------\n"
            "From: Lone Sørensen <Lone@Bageriet-Soerensen.dk>\nDate: man. 2. nov. 2026 kl. 08.12\n"
            "Subject: Printeren virker ikke\nTo: Jens <jh@mico.dk>\n\nHej Jens\nPrinteren i butikken er død.\n")
    assert found("Fwd: Printeren virker ikke", body) == (
        "lone@bageriet-soerensen.dk", "Printeren virker ikke", "Hej Jens\nPrinteren i butikken er død.")


def test_danish_outlook_header_block_with_mailto() -> None:
    body = ("Se nedenfor.\n\nFra: Åse Løkke [mailto:aase@bageriet-soerensen.dk]\nSendt: 3. november 2026 09:10\n"
            "Til: Jens Hansen\nEmne: NAS'en bipper\n\nNAS'en bipper og blinker orange.\n\nMvh Åse\n")
    assert found("VS: NAS'en bipper", body) == ("aase@bageriet-soerensen.dk", "NAS'en bipper",
                                                 "NAS'en bipper og blinker orange.")


def test_apple_mail_marker_and_quoted_original() -> None:
    body = ("FYI\n\nBegin forwarded message:\n\n> From: Mark <mark@example.com>\n> Subject: VPN\n>\n"
            "> The VPN drops every hour.\n")
    assert found("Fwd: VPN", body) == ("mark@example.com", "VPN", "The VPN drops every hour.")


def test_an_outlook_reply_is_not_a_forward() -> None:
    body = "Tak, det virker nu.\n\nFra: Jens Hansen <jh@mico.dk>\nSendt: 3. november 2026\nEmne: SV: Printer\n\nPrøv igen.\n"
    assert found("SV: Printer", body) is None


def test_a_marker_without_a_readable_sender_is_no_forward() -> None:
    assert found("Fwd: x", "---------- Forwarded message ---------\nSubject: x\n\ntext\n") is None
