"""A queued message wrapped with its attachments when sent: headers untouched, the files as separate parts."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.headerregistry import Address

from inbox_worker.outbound.mime import Attachment, build_alternative, with_attachments

SUBJECT = "[MICO #1042] Printeren på 1. sal i bageriets baglokale skriver kun halve sider ud – igen efter opdatering"


def queued() -> bytes:
    return build_alternative([("From", Address("MICO ApS", addr_spec="support@mico.dk")),
                              ("To", Address(addr_spec="lone@bageriet-soerensen.dk")),
                              ("Subject", SUBJECT), ("Message-ID", "<reply.abc@mico.dk>")],
                             "Hej Lone\n", "<p>Hej Lone</p>\n")


def test_the_headers_survive_the_wrapping_and_mime_version_is_given_once() -> None:
    wrapped = with_attachments(queued(), [Attachment("tilbud.pdf", "application/pdf", b"%PDF")])
    message = message_from_bytes(wrapped, policy=policy.default)
    assert message["Subject"] == SUBJECT and message["Message-ID"] == "<reply.abc@mico.dk>"
    assert message.get_content_type() == "multipart/mixed" and wrapped.count(b"MIME-Version") == 1
    original = message_from_bytes(queued(), policy=policy.default)
    for kind in ("plain", "html"):  # the text and HTML read exactly as they did before the wrapping
        assert message.get_body(preferencelist=(kind,)).get_content() == \
            original.get_body(preferencelist=(kind,)).get_content()  # type: ignore[union-attr]
    assert all(len(line) <= 78 for line in wrapped.split(b"\r\n"))


def test_a_file_is_always_a_file_never_a_structure_or_a_header() -> None:
    wrapped = with_attachments(queued(), [
        Attachment("ondt\r\nBcc: spion@evil.example.eml", "message/rfc822", b"From: x\r\n\r\nhej"),
        Attachment("C:\\Users\\lone\\skærm billede.png", "image/png; name=evil", b"\x89PNG"),
    ])
    message = message_from_bytes(wrapped, policy=policy.default)
    parts = list(message.iter_attachments())
    assert [(p.get_content_type(), p.get_filename()) for p in parts] == [
        ("application/octet-stream", "ondtBcc: spion@evil.example.eml"),
        ("application/octet-stream", "skærm billede.png")]
    assert message["Bcc"] is None and b"\r\nBcc:" not in wrapped
    assert [p.get_payload(decode=True) for p in parts] == [b"From: x\r\n\r\nhej", b"\x89PNG"]


def test_a_message_without_attachments_is_sent_as_queued() -> None:
    message = queued()
    assert with_attachments(message, []) is message
