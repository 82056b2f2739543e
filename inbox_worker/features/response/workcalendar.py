"""MICO's opening hours as the response-time clocks count them, from the settings."""

from __future__ import annotations

from inbox_worker.config import Settings
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail.pipeline import PipelineParams


def work_calendar(settings: Settings) -> WorkCalendar:
    """The calendar of `[company]` exactly as the pipeline reads it (hours, weekdays, holidays, closed days)."""
    return WorkCalendar(PipelineParams.from_settings(settings).hours)
