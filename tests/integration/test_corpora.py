"""Public real-world mail collections (../shared/corpora, read in place): nothing crashes the worker.

Skips when the folder is absent (a user's laptop). Every file goes through the real processor into
one SQLite database; each must end as a ticket, ignored or quarantined, never as an exception.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from inbox_worker.config import Settings
from inbox_worker.mail.parse.parser import new_text_of, parse_mail
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import make_engine, migrate
from tests.conftest import CORPORA, make_settings

pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not present")]
MAIL_SUFFIXES = {".eml", ".txt", ".msg", ".mbox", ""}


def corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*")
                  if p.is_file() and p.suffix.lower() in MAIL_SUFFIXES and not p.name.startswith("."))


def looks_like_a_mail(raw: bytes) -> bool:
    """Has a From: and a Subject: or Date: header near the top (many reply-parser fixtures are bare bodies)."""
    head = raw.lstrip()[:4000].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].lower()
    return head.startswith((b"from", b"return-path", b"received", b"date", b"subject", b"message-id", b"to:",
                            b"mime", b"x-", b"delivered-to")) and b"\nfrom:" in b"\n" + head


def test_every_corpus_mail_ends_in_a_deliberate_outcome(tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'corpus.db'}")
    engine = make_engine(settings.database.url)
    migrate(engine)
    processor = Runner(settings, engine)
    outcomes: Counter[str] = Counter()
    mail_outcomes: Counter[str] = Counter()
    unexpected = []
    files = corpus_files()
    for path in files:
        raw = path.read_bytes()
        decision = processor.process(raw, str(path))
        outcomes[decision["outcome"]] += 1
        if looks_like_a_mail(raw):
            mail_outcomes[decision["outcome"]] += 1
        if decision.get("rule") == "unexpected-error":
            unexpected.append(f"{path.relative_to(CORPORA)}: {decision['reason']}")
    mails = sum(mail_outcomes.values())
    print(f"\ncorpus: {len(files)} files -> {dict(outcomes)}; of {mails} with mail headers -> {dict(mail_outcomes)}")
    assert len(files) > 300
    assert unexpected == []
    # Real mail with headers is handled, not quarantined: at most one in ten is too broken to process.
    assert mail_outcomes["quarantined"] <= mails // 10


def test_talon_standard_replies_yield_only_the_new_text() -> None:
    folder = CORPORA / "talon" / "tests" / "fixtures" / "standard_replies"
    results = {}
    for path in sorted(folder.glob("*.eml")):
        expected_file = folder / f"{path.stem}_reply_text"
        expected = expected_file.read_text().strip() if expected_file.exists() else "Hello"
        results[path.name] = parse_mail(path.read_bytes()).new_text == new_text_of(expected)
    wrong = sorted(name for name, ok in results.items() if not ok)
    print(f"\ntalon standard replies: {len(results) - len(wrong)}/{len(results)} right; wrong: {wrong}")
    assert len(results) >= 10
    assert len(wrong) <= 1, wrong
