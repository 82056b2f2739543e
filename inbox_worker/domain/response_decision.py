"""What one mail or call does to its ticket's response-time clocks: the changes, in order, and the clocks after.

Part of the `Decision` (domain/decision.py): the store writes each change as a `response_events` row
and the clocks after them onto the ticket; `explain` and `ingest --json` print `as_dict()` as the
decision object's `"response"` field (English keys, ISO 8601 moments in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inbox_worker.domain.response_clock import ClockChange, ResponseClocks


@dataclass(frozen=True)
class ResponseDecision:
    clocks: ResponseClocks  # after the mail (unchanged when `changes` is empty)
    changes: tuple[ClockChange, ...]  # each is one event of the ticket's clock history
    at: datetime  # when they happened: the mail's arrival (or the call)
    actor: str | None = None  # who moved them: a staff member's address for their own mail, else the rules

    def as_dict(self) -> dict[str, Any]:
        """The decision object's `response`: the rule that set the targets, the clock, both due moments,
        and the events this mail caused (`[]`: it moved nothing)."""
        clocks = self.clocks
        return {
            "rule": clocks.targets.rule,
            "clock": clocks.targets.mode.value,
            "first_response_due": clocks.first_response_due.isoformat(),
            "resolution_due": clocks.resolution_due.isoformat(),
            "events": [change.event.value for change in self.changes],
        }
