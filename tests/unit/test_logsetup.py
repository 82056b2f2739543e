"""`[logging]`: text or JSON lines, one event per line, the per-mail fields as JSON keys, bad values refused."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest

from inbox_worker import logsetup
from inbox_worker.config import LoggingSettings, settings_from_dict
from inbox_worker.domain.decision import Decision
from inbox_worker.domain.enums import Outcome
from inbox_worker.errors import UserError
from inbox_worker.mail import events
from inbox_worker.mail.incoming import IncomingMail


def logged(settings: LoggingSettings, emit: object) -> list[str]:
    """The lines a handler configured by `settings` writes while `emit()` runs (on the events logger)."""
    stream = io.StringIO()
    handler = logsetup.handler(settings, stream)
    logger = events.log
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not .level =: it clears the loggers' isEnabledFor cache
    try:
        emit()  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return stream.getvalue().splitlines()


BATCH = [IncomingMail(b"", "imap:support@mico.dk@imap.mico.dk/INBOX", 17),
         IncomingMail(b"", "file:inbox/07 backup fejlet.eml")]
DECISIONS = [Decision(Outcome.NEW_TICKET, message_id="<a1@bageriet-soerensen.dk>", ticket=1042),
             Decision(Outcome.QUARANTINED, message_id=None)]


def test_a_json_line_per_mail_carries_the_fields_as_keys() -> None:
    lines = logged(LoggingSettings(format="json"), lambda: events.log_processed(BATCH, DECISIONS, [3.24, 0.5]))

    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "inbox_worker.mail.events"
    assert (first["event"], first["uid"], first["file"], first["message_id"], first["outcome"], first["ticket"],
            first["ms"]) == ("mail", 17, None, "<a1@bageriet-soerensen.dk>", "new_ticket", 1042, 3.2)
    assert first["source"] == "imap:support@mico.dk@imap.mico.dk/INBOX"
    assert (second["uid"], second["file"], second["outcome"], second["ticket"]) == (
        None, "inbox/07 backup fejlet.eml", "quarantined", None)
    stamp = datetime.fromisoformat(first["timestamp"])
    assert stamp.utcoffset() is not None and abs(datetime.now(UTC) - stamp).total_seconds() < 60


def test_a_text_line_per_mail_names_the_same_fields() -> None:
    lines = logged(LoggingSettings(format="text"), lambda: events.log_processed(BATCH, DECISIONS, [3.24, 0.5]))

    assert len(lines) == 2
    assert lines[0].endswith("INFO inbox_worker.mail.events: message uid=17 message_id=<a1@bageriet-soerensen.dk> "
                             "outcome=new_ticket ticket=1042 ms=3.2")
    assert "message file=inbox/07 backup fejlet.eml message_id=None outcome=quarantined ticket=None" in lines[1]


def test_an_error_with_its_traceback_stays_one_json_line_and_danish_stays_readable() -> None:
    def fail() -> None:
        try:
            raise RuntimeError("databasen er væk")
        except RuntimeError:
            events.log.exception("behandling fejlede for råt brev %s", 7)

    [line] = logged(LoggingSettings(format="json"), fail)

    record = json.loads(line)
    assert record["level"] == "ERROR" and record["message"] == "behandling fejlede for råt brev 7"
    assert "RuntimeError: databasen er væk" in record["exc_info"] and "Traceback" in record["exc_info"]
    assert "råt" in line  # UTF-8, not \\u00e5 escapes: a person reads the journal too


@pytest.mark.parametrize("configured, verbose, expected", [
    ("warning", False, logging.WARNING), ("warning", True, logging.INFO), ("debug", True, logging.DEBUG),
    ("error", False, logging.ERROR), ("info", False, logging.INFO),
])
def test_the_level_is_the_configured_one_lowered_to_info_by_verbose(configured: str, verbose: bool,
                                                                    expected: int) -> None:
    assert logsetup.level(LoggingSettings(level=configured), verbose) == expected


@pytest.mark.parametrize("section, message", [
    ({"format": "xml"}, "config.toml: nøglen 'logging.format' skal være en af text, json, ikke 'xml'"),
    ({"level": "loud"}, "config.toml: nøglen 'logging.level' skal være en af debug, info, warning, error, ikke 'loud'"),
    ({"colour": True}, "config.toml: ukendt nøgle 'logging.colour'"),
])
def test_a_bad_logging_section_is_one_clear_line(section: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as refused:
        settings_from_dict({"logging": section}, "config.toml")
    assert str(refused.value) == message
