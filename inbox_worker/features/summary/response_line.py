"""The weekly summary's one line on response times: the week's requests answered within the promise, the median. Pure.

Counted as the month report counts (domain/response_figures.py), over the customer's requests whose
clocks started in the week, as of the week's end: answered in time, answered late or not answered
by the due moment, and those still within the promise (said separately, never counted as kept).
No request with a clock in the week: no line.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_figures import TargetFigures

_CLOCK = {
    "da": {frozenset({ClockMode.OPENING_HOURS}): "i åbningstiden",
           frozenset({ClockMode.AROUND_THE_CLOCK}): "døgnet rundt",
           frozenset(ClockMode): "i åbningstiden; akutte sager døgnet rundt"},
    "en": {frozenset({ClockMode.OPENING_HOURS}): "in opening hours",
           frozenset({ClockMode.AROUND_THE_CLOCK}): "around the clock",
           frozenset(ClockMode): "in opening hours; emergencies around the clock"},
}


@dataclass(frozen=True)
class ResponseWeek:
    """First responses to the week's requests, and the clocks the answered ones were counted on."""

    figures: TargetFigures
    modes: frozenset[ClockMode]


def _duration(minutes: int, language: str) -> str:
    hours, rest = divmod(minutes, 60)
    unit = "h" if language == "en" else "t"
    if not hours:
        return f"{rest} min"
    return f"{hours} {unit}" + (f" {rest} min" if rest else "")


def _requests(count: int, language: str) -> str:
    if language == "en":
        return f"{count} request" + ("" if count == 1 else "s")
    return f"{count} henvendelse" + ("" if count == 1 else "r")


def _danish(response: ResponseWeek, week: int) -> str:
    f = response.figures
    if not f.decided:
        return f"Ugens {_requests(f.open, 'da')} er stadig inden for den lovede svartid." if f.open else ""
    line = f"I uge {week} besvarede vi {f.met} af {_requests(f.decided, 'da')} inden for den lovede tid"
    if f.median_minutes is not None:
        line += (f"; mediantiden til første svar var {_duration(f.median_minutes, 'da')} "
                 f"({_CLOCK['da'][response.modes]})")
    still = f" {_requests(f.open, 'da')} fra ugen er stadig inden for fristen." if f.open else ""
    return line + "." + still


def _english(response: ResponseWeek, week: int) -> str:
    f = response.figures
    if not f.decided:
        verb = "is" if f.open == 1 else "are"
        return f"The week's {_requests(f.open, 'en')} {verb} still within the promised response time." if f.open else ""
    line = f"In week {week} we answered {f.met} of {_requests(f.decided, 'en')} within the promised time"
    if f.median_minutes is not None:
        line += (f"; the median time to our first reply was {_duration(f.median_minutes, 'en')} "
                 f"({_CLOCK['en'][response.modes]})")
    verb = "is" if f.open == 1 else "are"
    still = f" {_requests(f.open, 'en')} from the week {verb} still within the promised time." if f.open else ""
    return line + "." + still


def response_line(response: ResponseWeek | None, week: int, language: str) -> str:
    """The sentence for the summary in `language` (da or en), or "" for none."""
    if response is None:
        return ""
    return _english(response, week) if language == "en" else _danish(response, week)
