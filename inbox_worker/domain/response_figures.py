"""Response-time figures: whether each promise was kept as of a moment, working times, medians and percentiles. Pure.

Shared by the month report (features/response/report.py) and the weekly summary (features/summary/),
so both count a ticket the same way:

- A promise is **met** when it was kept (answered or resolved by its due moment), **missed** when it
  was broken (kept late, or still open after its due moment), **open** while it can still be kept
  (not yet due; for the resolution also while waiting for the customer, unless it was late already),
  and **not counted** for a first response that never came because the ticket was closed before the
  first-response due moment (no answer was needed). Met % = met / (met + missed).
- Working time is counted on the ticket's own clock (opening hours or around the clock), from the
  clock's start: to the first response; to the resolution less the working time spent waiting for
  the customer before the due moment (`paused_minutes`, as the clock itself counts it).
- Percentiles are **nearest-rank**: the p-th percentile of n values is the value at rank ceil(p/100 * n)
  in ascending order, so it is always a time some ticket really had, and "90th percentile 3 t" reads
  "nine in ten got their answer within 3 hours". The median is the 50th (for an even count: the
  lower of the two middle values).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ResponseClocks
from inbox_worker.domain.worktime import WorkCalendar


class Kept(enum.StrEnum):
    MET = "met"
    MISSED = "missed"
    OPEN = "open"
    NOT_COUNTED = "not_counted"


@dataclass(frozen=True)
class TicketClocks:
    """One ticket's clocks with what a report groups it by."""

    ticket: int
    customer: str | None  # the registry key; None: no known customer
    customer_name: str
    priority: str
    clocks: ResponseClocks


def first_response_kept(clocks: ResponseClocks, as_of: datetime) -> Kept:
    due, answered = clocks.first_response_due, clocks.first_response_at
    if answered is not None and answered <= as_of:
        return Kept.MET if answered <= due else Kept.MISSED
    closed = clocks.resolved_at
    if closed is not None and closed <= as_of:
        return Kept.MISSED if closed > due else Kept.NOT_COUNTED
    return Kept.MISSED if as_of > due else Kept.OPEN


def resolution_kept(clocks: ResponseClocks, as_of: datetime) -> Kept:
    due, resolved = clocks.resolution_due, clocks.resolved_at
    if resolved is not None and resolved <= as_of:
        return Kept.MET if resolved <= due else Kept.MISSED
    paused = clocks.paused_at
    if paused is not None and paused <= as_of:  # waiting: stands still, unless it was late when it was paused
        return Kept.MISSED if paused > due else Kept.OPEN
    return Kept.MISSED if as_of > due else Kept.OPEN


def first_response_minutes(clocks: ResponseClocks, calendar: WorkCalendar, as_of: datetime) -> int | None:
    """Working minutes from the start to the first response, or None while there is none (as of `as_of`)."""
    answered = clocks.first_response_at
    if answered is None or answered > as_of:
        return None
    return calendar.minutes_between(clocks.started_at, answered, clocks.targets.mode)


def resolution_minutes(clocks: ResponseClocks, calendar: WorkCalendar, as_of: datetime) -> int | None:
    """Working minutes from the start to the resolution less the time spent waiting, or None while unresolved."""
    resolved = clocks.resolved_at
    if resolved is None or resolved > as_of:
        return None
    total = calendar.minutes_between(clocks.started_at, resolved, clocks.targets.mode)
    return max(0, total - clocks.paused_minutes)


def percentile(values: Sequence[int], p: float) -> int | None:
    """Nearest-rank percentile (0 < p <= 100); None for no values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is above 0 and at most 100, not {p}")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class TargetFigures:
    """One promise (first response or resolution) over a set of tickets."""

    met: int
    missed: int
    open: int
    median_minutes: int | None  # over the tickets where it happened (answered / resolved)
    p90_minutes: int | None

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def met_percent(self) -> float | None:
        """Met of those decided, one decimal; None while none is decided."""
        return round(100 * self.met / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class Counted:
    """One ticket's two promises as of a moment: kept or not, and the working minutes they took."""

    first_response: Kept
    first_response_minutes: int | None
    resolution: Kept
    resolution_minutes: int | None


def count(clocks: ResponseClocks, as_of: datetime, calendar: WorkCalendar) -> Counted:
    """Everything the figures need of one ticket, worked out once (the calendar arithmetic is the cost)."""
    return Counted(first_response_kept(clocks, as_of), first_response_minutes(clocks, calendar, as_of),
                   resolution_kept(clocks, as_of), resolution_minutes(clocks, calendar, as_of))


def _figures(kept: Iterable[Kept], minutes: Iterable[int | None]) -> TargetFigures:
    outcomes = list(kept)
    times = [m for m in minutes if m is not None]
    return TargetFigures(outcomes.count(Kept.MET), outcomes.count(Kept.MISSED), outcomes.count(Kept.OPEN),
                         percentile(times, 50), percentile(times, 90))


def figures_of(counted: Sequence[Counted]) -> tuple[TargetFigures, TargetFigures]:
    """The first-response and the resolution figures over these tickets."""
    return (_figures((c.first_response for c in counted), (c.first_response_minutes for c in counted)),
            _figures((c.resolution for c in counted), (c.resolution_minutes for c in counted)))


def first_response_figures(tickets: Sequence[TicketClocks], as_of: datetime, calendar: WorkCalendar) -> TargetFigures:
    """The first responses alone (the weekly summary's line)."""
    return _figures((first_response_kept(t.clocks, as_of) for t in tickets),
                    (first_response_minutes(t.clocks, calendar, as_of) for t in tickets))


def clock_modes(tickets: Iterable[TicketClocks]) -> frozenset[ClockMode]:
    """The clocks the tickets' times were counted on (for saying "in opening hours" honestly)."""
    return frozenset(t.clocks.targets.mode for t in tickets)
