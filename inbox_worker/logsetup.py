"""Configure the process's logging from `[logging]`: readable text lines or JSON lines, on stderr.

Only the command line (the entry point) calls this; every other module just logs to its own
`logging.getLogger(__name__)`. Structured fields go in `extra=` (see mail/events.py): the JSON format
carries them as keys beside timestamp, level, logger and message; the text format shows the message,
which names them too. No secret is ever put in a log record, in either format.
"""

from __future__ import annotations

import logging
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from inbox_worker.config import LoggingSettings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The record's own fields in a JSON line, renamed to what log tools expect; `timestamp` is added (UTC, ISO 8601).
JSON_FIELDS = "{levelname}{name}{message}"
JSON_NAMES = {"levelname": "level", "name": "logger"}


def formatter(settings: LoggingSettings) -> logging.Formatter:
    if settings.format == "json":
        return JsonFormatter(JSON_FIELDS, style="{", rename_fields=JSON_NAMES, timestamp=True,
                             json_ensure_ascii=False)
    return logging.Formatter(TEXT_FORMAT)


def handler(settings: LoggingSettings, stream: TextIO) -> logging.Handler:
    """One event per line on `stream`, in the configured format."""
    result = logging.StreamHandler(stream)
    result.setFormatter(formatter(settings))
    return result


def level(settings: LoggingSettings, verbose: bool) -> int:
    """`[logging] level`, lowered to INFO by -v (the per-mail lines are INFO)."""
    configured = logging.getLevelName(settings.level.upper())
    return min(configured, logging.INFO) if verbose else int(configured)


def configure(settings: LoggingSettings, verbose: bool, stream: TextIO) -> None:
    """Log to `stream` as configured, unless the process already set up logging (a test runner, an embedder)."""
    logging.basicConfig(level=level(settings, verbose), handlers=[handler(settings, stream)])
