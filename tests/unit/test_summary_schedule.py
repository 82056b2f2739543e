"""When weekly summaries go out: Mondays 07:00 on the Copenhagen clock, across DST, with a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine

from inbox_worker.config import settings_from_dict
from inbox_worker.features.summary.build import IsoWeek, summary_due, why_not_sent
from inbox_worker.schedule import add_summary_jobs, summary_trigger

CPH = ZoneInfo("Europe/Copenhagen")
SETTINGS = settings_from_dict({})


@pytest.mark.parametrize("now, fires", [
    # winter (CET, UTC+1): Monday 07:00 local is 06:00 UTC
    (datetime(2026, 11, 25, 12, 0, tzinfo=UTC), datetime(2026, 11, 30, 7, 0, tzinfo=CPH)),
    # the DST change night: Sunday 29 March 2026; the next Monday 07:00 is CEST (05:00 UTC)
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=CPH)),
    # and back: Sunday 25 October 2026
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 26, 7, 0, tzinfo=CPH)),
])
def test_the_cron_trigger_fires_mondays_at_seven_copenhagen_time(now: datetime, fires: datetime) -> None:
    trigger = summary_trigger(SETTINGS)
    assert trigger.get_next_fire_time(None, now) == fires
    assert fires.utcoffset() in (timedelta(hours=1), timedelta(hours=2))


@pytest.mark.parametrize("local, week", [
    (datetime(2026, 11, 23, 6, 59), IsoWeek(2026, 46)),  # Monday before 07:00: last week's is not due yet
    (datetime(2026, 11, 23, 7, 0), IsoWeek(2026, 47)),   # from 07:00: the week that just ended
    (datetime(2026, 11, 26, 15, 0), IsoWeek(2026, 47)),  # a worker started on Thursday catches up
    (datetime(2027, 1, 4, 8, 0), IsoWeek(2026, 53)),     # 2026 has an ISO week 53
])
def test_the_due_week_for_a_worker_starting_at_any_moment(local: datetime, week: IsoWeek) -> None:
    assert summary_due(local.replace(tzinfo=CPH), "Europe/Copenhagen", "mon", "07:00") == week


def test_the_jobs_have_a_misfire_grace_and_a_catch_up_at_start() -> None:
    scheduler = BackgroundScheduler(timezone="Europe/Copenhagen")
    add_summary_jobs(scheduler, SETTINGS, create_engine("sqlite://"))
    weekly, catch_up = scheduler.get_job("summary"), scheduler.get_job("summary-catch-up")
    assert weekly is not None and catch_up is not None
    assert weekly.misfire_grace_time == 6 * 3600 and weekly.coalesce
    assert str(weekly.trigger.timezone) == "Europe/Copenhagen"


def test_summaries_can_be_switched_off() -> None:
    scheduler = BackgroundScheduler(timezone="Europe/Copenhagen")
    add_summary_jobs(scheduler, settings_from_dict({"summary": {"enabled": False}}), create_engine("sqlite://"))
    assert scheduler.get_jobs() == []


def test_an_iso_week_spans_monday_to_monday_local_time_across_dst() -> None:
    start, end = IsoWeek(2026, 13).bounds("Europe/Copenhagen")  # 23-29 March 2026, DST on the Sunday
    assert (start.isoformat(), end.isoformat()) == ("2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00")
    assert str(IsoWeek.parse("2026-W05")) == "2026-W05"
    assert IsoWeek(2026, 40).quarter.number == 4  # 28 Sep - 4 Oct: "the quarter so far" ends with the week


@pytest.mark.parametrize(("setting", "contact", "sent", "activity", "why"), [
    ("activity", "lone@b.dk", False, True, None),
    ("activity", "lone@b.dk", False, False, "ingen aktivitet i ugen"),
    ("always", "lone@b.dk", False, False, None),  # a quiet week is sent too
    ("never", "lone@b.dk", False, True, "ingen ugeoversigt"),
    ("always", None, False, True, "ingen kontaktperson"),
    ("always", "lone@b.dk", True, True, "allerede sendt"),  # once per customer and week
])
def test_who_gets_the_weekly_summary(setting: str, contact: str | None, sent: bool, activity: bool,
                                     why: str | None) -> None:
    assert why_not_sent(setting, contact, sent, activity) == why
