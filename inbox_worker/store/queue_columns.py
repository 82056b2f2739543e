"""Pure sort keys of the triage queue: which tickets need a look first, and the priority order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from inbox_worker.domain.enums import Priority
from inbox_worker.domain.vocabulary import PRIORITIES

# The order in which tickets need a look (issue 6): emergencies, then unknown senders, suspected
# spoofing, low confidence and billable work; any other review flag after those.
LOOK_ORDER = ("emergency", "unknown-sender", "spoof-suspected", "low-confidence", "billable")
OTHER_LOOK = len(LOOK_ORDER)
NO_LOOK = 9



def look_rank(review: Iterable[str] | None, priority: str | None) -> int:
    """0 for the most urgent reason to look at a ticket, NO_LOOK when nothing needs a look."""
    flags = set(review or ())
    if priority == "emergency":
        return 0
    for rank, flag in enumerate(LOOK_ORDER):
        if flag in flags:
            return rank
    return OTHER_LOOK if flags else NO_LOOK


def priority_rank(priority: str | None) -> int:
    return Priority(priority).rank if priority in PRIORITIES else Priority.NORMAL.rank


def coverage_status(coverage: dict[str, Any] | None) -> str:
    status = (coverage or {}).get("status")
    return str(status)[:16] if status else "undetermined"


def sort_columns(review: Iterable[str] | None, priority: str | None, coverage: dict[str, Any] | None) -> dict[str, Any]:
    """The derived queue columns of a ticket, from the fields they are derived from."""
    return {"look_rank": look_rank(review, priority), "priority_rank": priority_rank(priority),
            "coverage_status": coverage_status(coverage)}


def _params(context: Any) -> dict[str, Any]:
    return dict(context.get_current_parameters())


# Column defaults (models.Ticket): every INSERT that leaves these columns out, including the worker's
# plain Core insert in store/apply.py, gets them computed from the row's own values.
def default_look_rank(context: Any) -> int:
    params = _params(context)
    return look_rank(params.get("review"), params.get("priority"))


def default_priority_rank(context: Any) -> int:
    return priority_rank(_params(context).get("priority"))


def default_coverage_status(context: Any) -> str:
    return coverage_status(_params(context).get("coverage"))
