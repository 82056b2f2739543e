"""Issue 14's scenario end to end: four mails through the real pipeline at controlled arrival moments, staff
answering, waiting and closing through the ticket features; the month report and the weekly summary show
exactly the hand-computed figures (opening hours 09-16 Copenhagen, November 2026, week 47 = 16-22 Nov).

1. Salon Hårfin (no agreement) writes Friday 20 Nov 15:50: 420 working minutes to answer. Answered
   Monday 10:00 = 10 + 60 = 70 working minutes: met.
2. Bageriet's server is down, Saturday 21 Nov 10:00: an emergency, 30 minutes around the clock. Answered
   10:20 (20 min), closed 13:00 (180 min of a 240-minute promise): both met.
3. Bageriet, an ordinary mail Tuesday 17 Nov 09:00: answered 12:00 (3 working hours of 4), closed Wednesday
   12:00 (Tue 7 h + Wed 3 h = 600 working minutes of 1260): both met.
4. Tandlægerne (trial) Monday 16 Nov 10:00: answered 11:00 (60 min), set to waiting at once; the customer
   answers Wednesday 11:00 (waited Mon 5 h + Tue 7 h + Wed 2 h = 840 min), closed Thursday 12:00:
   Mon 6 h + Tue 7 + Wed 7 + Thu 3 = 1380 working minutes, less 840 waiting = 540: met.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.features.queue.triage import QueueFilter, QueueSort, queue_page
from inbox_worker.features.response.report import Month, month_report, report_json
from inbox_worker.features.summary.build import IsoWeek
from inbox_worker.features.summary.send import send_summaries
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.features.tickets.edit import set_field
from inbox_worker.features.tickets.reply import queue_reply
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.mail.runner import Runner
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.models import Ticket
from inbox_worker.web.clock_text import due_cell
from tests.mailbuilder import build_mail

CPH = ZoneInfo("Europe/Copenhagen")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CPH).astimezone(UTC)


def mail(settings: Settings, engine: Engine, when: datetime, sender: str, name: str, subject: str, body: str,
         message_id: str, in_reply_to: str | None = None) -> int:
    raw = build_mail(sender=sender, name=name, subject=subject, body=body, message_id=message_id,
                     in_reply_to=in_reply_to, date=when.astimezone(CPH).strftime("%a, %d %b %Y %H:%M:%S %z"))
    decision = Runner(settings, engine).process(raw, message_id, now=when)
    assert decision["ticket"] is not None, decision
    return int(decision["ticket"])


def reply(settings: Settings, engine: Engine, number: int, when: datetime) -> None:
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        queue_reply(session, Renderer(settings), ticket, "Vi har kigget på det.", "JH", "Jens Hansen", when)


def status(settings: Settings, engine: Engine, number: int, value: str, when: datetime) -> None:
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        set_field(session, ticket, "status", value, "JH", when, ClockSetup.from_settings(settings))


def test_the_four_requests_of_the_issue_give_the_hand_computed_report_and_summary(
        settings: Settings, engine: Engine) -> None:
    salon = mail(settings, engine, at(20, 15, 50), "pernille@salon-haarfin.dk", "Pernille",
                 "Printeren i salonen virker ikke", "Hej\n\nPrinteren i salonen virker ikke.\n\nPernille",
                 "<salon@salon-haarfin.dk>")
    server = mail(settings, engine, at(21, 10), "lone@bageriet-soerensen.dk", "Lone Sørensen",
                  "AKUT: Serveren er nede", "Hej\n\nServeren er nede, og ingen kan arbejde.\n\nLone",
                  "<server@bageriet-soerensen.dk>")
    ordinary = mail(settings, engine, at(17, 9), "lone@bageriet-soerensen.dk", "Lone Sørensen",
                    "Printeren på kontoret virker ikke", "Hej\n\nPrinteren på kontoret virker ikke.\n\nLone",
                    "<printer@bageriet-soerensen.dk>")
    dentist = mail(settings, engine, at(16, 10), "mette@tandlaegerne-aaen.dk", "Mette",
                   "Outlook vil ikke starte", "Hej\n\nOutlook vil ikke starte på min pc.\n\nMette",
                   "<outlook@tandlaegerne-aaen.dk>")
    reply(settings, engine, dentist, at(16, 11))
    status(settings, engine, dentist, "waiting", at(16, 11))
    reply(settings, engine, ordinary, at(17, 12))
    assert mail(settings, engine, at(18, 11), "mette@tandlaegerne-aaen.dk", "Mette", "Sv: Outlook vil ikke starte",
                "Nu har jeg genstartet, men den starter stadig ikke.", "<outlook-2@tandlaegerne-aaen.dk>",
                in_reply_to="<outlook@tandlaegerne-aaen.dk>") == dentist
    status(settings, engine, ordinary, "closed", at(18, 12))
    status(settings, engine, dentist, "closed", at(19, 12))
    reply(settings, engine, server, at(21, 10, 20))
    status(settings, engine, server, "closed", at(21, 13))
    reply(settings, engine, salon, at(23, 10))

    with Session(engine) as session:
        report = report_json(month_report(session, settings, Month(2026, 11), None, at(30, 17)))
    rows = {(r["customer"], r["priority"]): (r["tickets"], r["first_response"]["median_minutes"],
                                            r["first_response"]["met"], r["resolution"]["median_minutes"],
                                            r["resolution"]["met"]) for r in report["rows"]}
    assert rows == {
        ("bageriet", "emergency"): (1, 20, 1, 180, 1),
        ("bageriet", "normal"): (1, 180, 1, 600, 1),
        ("haarfin", "low"): (1, 70, 1, None, 0),  # answered in time, still open on 30 November within 5 days
        ("tandlaegerne", "normal"): (1, 60, 1, 540, 1),
    }
    # First response over all: 20 60 70 180 -> nearest-rank median (rank 2) 60; every one met.
    assert (report["total"]["first_response"]["median_minutes"], report["total"]["first_response"]["met"]) == (60, 4)

    # The queue at 30 Nov 17:00: only the salon's ticket is open, overdue by Fri 10 min + Mon 7 h.
    with Session(engine) as session:
        page = queue_page(session, QueueFilter(overdue=True, sort=QueueSort.DUE), 50, at(30, 17))
    assert [row["id"] for row in page.rows] == [salon]
    cell = due_cell(page.rows[0]["clocks"], at(30, 17), WorkCalendar(PipelineParams.from_settings(settings).hours),
                    CPH)
    assert (cell.text, cell.title) == ("7 t 10 min for sent", "Løsning senest fre. 27.11. kl. 15:50")

    run = send_summaries(settings, engine, IsoWeek(2026, 47), dry_run=True, now=at(23, 7))
    texts = {key: text for key, _subject, text in run.previews}
    # Bageriet's two requests of week 47 (Tue 17, Sat 21): both answered in time; median of 20 and 180 is 20.
    assert "I uge 47 besvarede vi 2 af 2 henvendelser inden for den lovede tid; mediantiden til første svar var " \
           "20 min" in texts["bageriet"]
    assert "I uge 47 besvarede vi 1 af 1 henvendelse inden for den lovede tid; mediantiden til første svar var " \
           "1 t" in texts["tandlaegerne"]
