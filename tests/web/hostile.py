"""Hostile mails for the web tests: every payload would set `window.__pwned` if it ever ran."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

SCRIPT = "<script>window.__pwned = 'script'</script>"
ONERROR = "<img src=\"https://tracker.example/x.gif\" onerror=\"window.__pwned = 'onerror'\">"
JS_LINK = "<a href=\"javascript:void(window.__pwned = 'link')\" id=\"jslink\">Klik her for at se fakturaen</a>"
SVG = "<svg onload=\"window.__pwned = 'svg'\"></svg>"
PAYLOAD = SCRIPT + ONERROR + JS_LINK + SVG


def hostile_mail(sender: str = "lone@bageriet-soerensen.dk", subject: str = "Faktura <script>alert(1)</script>",
                 attachment: tuple[str, bytes, str] | None = None) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Lone <{sender}>"
    message["To"] = "support@mico.dk"
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 10:12:00 +0100"
    message["Message-ID"] = make_msgid(domain="bageriet-soerensen.dk")
    message.set_content(f"Hej MICO\n\nSe vedhæftede. {PAYLOAD}\n\nLone")
    message.add_alternative(f"<html><body><p>Hej MICO</p>{PAYLOAD}<p>Lone</p></body></html>", subtype="html")
    if attachment:
        name, payload, content_type = attachment
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
