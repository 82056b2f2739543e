"""`sla report`: November 2026 per customer and priority on both databases, every figure worked out by hand.

The month (tests/clocks.seed_november), counted as of Tuesday 1 December 10:00:

  Bageriet, emergency  #emergency  answered in 20 min (met), resolved in 180 (met: 240)
  Bageriet, normal     #answered   180 (met: 240) / resolved in 600 (met)
                       #late       300 (missed) / not resolved, due Mon 23 Nov 16:00: missed
                       #fresh      not answered, due Tue 1 Dec 12:00: open / open
  Hårfin, low          #friday     70 (met: 420) / not resolved, due Fri 27 Nov 15:50: missed
  Tandlægerne, normal  #waited     60 (met) / 1380 less 840 waiting = 540 (met)
                       #first      30 (met) / 60 (met)
  Left out: #october (31 Oct 23:30), #december (1 Dec 00:15), #merged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.response.report import Month, month_report, report_json
from inbox_worker.features.response.report_text import report_table
from tests.clocks import local, seed_november

AS_OF = local(2026, 12, 1, 10)


def figures(met: int, missed: int, open_: int, percent: float | None, median: int | None,
            p90: int | None) -> dict[str, Any]:
    hours = {None: None}
    return {"met": met, "missed": missed, "open": open_, "met_percent": percent, "median_minutes": median,
            "p90_minutes": p90, "median_hours": hours.get(median, round((median or 0) / 60, 2)),
            "p90_hours": hours.get(p90, round((p90 or 0) / 60, 2))}


def november(settings: Settings, engine: Engine, customer: str | None = None) -> dict[str, Any]:
    with Session(engine) as session:
        return report_json(month_report(session, settings, Month(2026, 11), customer, AS_OF))


def test_the_month_per_customer_and_priority(settings: Settings, engine: Engine) -> None:
    seed_november(engine)
    report = november(settings, engine)
    rows = [(r["customer"], r["priority"], r["tickets"], r["first_response"], r["resolution"]) for r in report["rows"]]
    assert rows == [
        ("bageriet", "emergency", 1, figures(1, 0, 0, 100.0, 20, 20), figures(1, 0, 0, 100.0, 180, 180)),
        # first response: 180 and 300 -> median rank ceil(1.0) = 1: 180; 90th rank ceil(1.8) = 2: 300
        ("bageriet", "normal", 3, figures(1, 1, 1, 50.0, 180, 300), figures(1, 1, 1, 50.0, 600, 600)),
        ("haarfin", "low", 1, figures(1, 0, 0, 100.0, 70, 70), figures(0, 1, 0, 0.0, None, None)),
        # 30 and 60 -> median 30, 90th 60; resolution 60 and 540 -> 60 and 540
        ("tandlaegerne", "normal", 2, figures(2, 0, 0, 100.0, 30, 60), figures(2, 0, 0, 100.0, 60, 540)),
    ]
    total = report["total"]
    # First response: 20 30 60 70 180 300 -> median rank 3: 60; 90th rank ceil(5.4) = 6: 300; 5 of 6 met.
    # Resolution: 60 180 540 600 -> median rank 2: 180; 90th rank ceil(3.6) = 4: 600; 4 of 6 met.
    assert (total["customer"], total["priority"], total["tickets"]) == (None, None, 7)
    assert total["first_response"] == figures(5, 1, 1, 83.3, 60, 300)
    assert total["resolution"] == figures(4, 2, 1, 66.7, 180, 600)
    assert report["month"] == "2026-11" and report["percentile_method"] == "nearest-rank"
    assert report["rows"][0]["customer_name"] == "Bageriet Sørensen ApS"


def test_one_customer_only(settings: Settings, engine: Engine) -> None:
    seed_november(engine)
    report = november(settings, engine, "tandlaegerne")
    assert [(r["customer"], r["tickets"]) for r in report["rows"]] == [("tandlaegerne", 2)]
    assert report["total"]["tickets"] == 2 and report["customer"] == "tandlaegerne"


def test_a_month_without_tickets_is_an_empty_report(settings: Settings, engine: Engine) -> None:
    seed_november(engine)
    with Session(engine) as session:
        report = report_json(month_report(session, settings, Month(2026, 9), None, AS_OF))
    assert report["rows"] == [] and report["total"]["tickets"] == 0
    assert report["total"]["first_response"]["met_percent"] is None


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_the_danish_table(settings: Settings, engine: Engine) -> None:
    seed_november(engine)
    with Session(engine) as session:
        text = report_table(month_report(session, settings, Month(2026, 11), None, AS_OF), "Europe/Copenhagen")
    lines = text.splitlines()
    assert lines[0].startswith("Svartider for november 2026 (") and "1. december 2026 kl. 10.00" in lines[0]
    by_name = {tuple(cells(line)[:2]): cells(line)[2:] for line in lines if "  " in line}
    assert by_name[("Bageriet Sørensen ApS", "normal")] == [
        "3", "50,0 % (1 af 2)", "1", "3 t", "5 t", "50,0 % (1 af 2)", "1", "10 t", "10 t"]
    assert by_name[("Salon Hårfin v/Pernille…", "lav")] == ["1", "100,0 % (1 af 1)", "0", "1 t 10 min", "1 t 10 min",
                                                          "0,0 % (0 af 1)", "0", "–", "–"]
    total = next(cells(line) for line in lines if line.startswith("I alt"))
    assert total == ["I alt", "7", "83,3 % (5 af 6)", "1", "1 t", "5 t", "66,7 % (4 af 6)", "1", "3 t", "10 t"]
    assert "nearest-rank" in text


def test_the_command_prints_json_and_refuses_bad_input_in_one_line(
        settings: Settings, engine: Engine, cli: Any, tmp_path: Path) -> None:
    seed_november(engine)
    result = cli("sla", "report", "--month", "2026-11", "--customer", "bageriet", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [(r["priority"], r["tickets"]) for r in report["rows"]] == [("emergency", 1), ("normal", 3)]
    text = cli("sla", "report", "--month", "2026-11")
    assert text.code == 0 and "Tandlægerne ved Åen I/S" in text.out and "I alt" in text.out
    bad_month = cli("sla", "report", "--month", "november")
    assert bad_month.code == 2 and bad_month.err == "inbox-worker: --month must look like 2026-11, not 'november'\n"
    bad_customer = cli("sla", "report", "--month", "2026-11", "--customer", "nobody")
    assert bad_customer.code == 2 and bad_customer.err == "inbox-worker: no customer with key 'nobody'\n"
