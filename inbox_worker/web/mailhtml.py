"""A stored mail's HTML part, sanitized with nh3: no scripts, event handlers, javascript: URLs or remote images."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

import nh3

MAX_HTML_CHARS = 2_000_000
# ammonia's defaults (nh3.ALLOWED_TAGS) have no script, style, form, iframe or object; attributes have no
# event handlers or style. Links may only be http(s) or mailto; images lose their source (see below).
_URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class SafeHtml:
    html: str
    blocked_images: int


def html_part(raw: bytes) -> str | None:
    """The text/html body of a raw mail, or None when it has none or cannot be read."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        part = message.get_body(preferencelist=("html",))
        content = part.get_content() if part is not None else None
    except Exception:  # hostile or broken MIME: show the text version only
        return None
    return content[:MAX_HTML_CHARS] if isinstance(content, str) else None


def sanitize(html: str) -> SafeHtml:
    """Clean HTML; every image source is dropped (remote images would tell the sender the mail was read)."""
    blocked = 0

    def drop_image_sources(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attribute in ("src", "srcset"):
            blocked += 1
            return None
        return value

    cleaned = nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow",
                        attribute_filter=drop_image_sources)
    return SafeHtml(cleaned, blocked)
