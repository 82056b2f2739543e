"""Build realistic test mails in a line, for scenarios that need a mail shaped around earlier ones."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid


def build_mail(
    sender: str = "lone@bageriet-soerensen.dk",
    name: str = "Lone Sørensen",
    subject: str = "Printeren virker ikke",
    body: str = "Hej MICO\n\nPrinteren på kontoret virker ikke.\n\nMed venlig hilsen\nLone",
    date: str = "Fri, 20 Nov 2026 10:12:00 +0100",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((name, sender))
    message["To"] = "support@mico.dk"
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    if attachment:
        filename, payload = attachment
        message.add_attachment(payload, maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()
