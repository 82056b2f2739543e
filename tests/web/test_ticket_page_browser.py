"""The ticket page in Chromium at 1400×900: the thread starts above the fold, quoted history unfolds, with and
without JavaScript. Screenshot: var/screenshots/ticket-conversation-1400.png."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.conftest import ROOT
from tests.mailbuilder import build_mail
from tests.web.conftest import PASSWORD
from tests.web.live import log_in, serving

Ingest = Callable[[bytes], dict[str, Any]]
QUOTED = ("Den virker stadig ikke efter genstart.\n\nMed venlig hilsen\nLone Sørensen\n\n"
          "Den 20. nov. 2026 kl. 10.12 skrev MICO Support <support@mico.dk>:\n> Prøv at genstarte printeren.\n")


def test_the_thread_starts_above_the_fold_and_quotes_unfold_with_and_without_javascript(
        app: Flask, staff: dict[str, str], ingest: Ingest, browser: Any) -> None:
    number = ingest(build_mail())["ticket"]
    ingest(build_mail(subject=f"Sv: [MICO #{number}] Printeren virker ikke", body=QUOTED))
    with serving(app) as url:
        for javascript in (True, False):
            context = browser.new_context(viewport={"width": 1400, "height": 900}, java_script_enabled=javascript)
            page = context.new_page()
            violations: list[str] = []
            page.on("console", lambda m, seen=violations: seen.append(m.text)
                    if "Content Security Policy" in m.text else None)
            log_in(page, url, "jh@mico.dk", PASSWORD)
            page.goto(f"{url}/tickets/{number}")
            first = page.locator("article.entry").first.bounding_box()
            assert first is not None and first["y"] < 400, first  # the conversation, not the metadata, first
            side = page.locator("aside.side").bounding_box()
            assert side is not None and side["x"] > first["x"] + first["width"] - 1  # facts beside the thread
            reply = page.locator("article.entry.inbound").nth(1)
            quote = reply.locator("pre.quote")
            assert not quote.is_visible()
            reply.locator("details.quoted > summary").click()
            assert quote.is_visible() and "> Prøv at genstarte printeren." in quote.inner_text()
            if javascript:
                reply.locator("details.quoted > summary").click()  # folded again for the screenshot
                (ROOT / "var" / "screenshots").mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ROOT / "var" / "screenshots" / "ticket-conversation-1400.png"), full_page=False)
            assert violations == []
            context.close()
