"""A customer's agreement status as of a given day: an agreement past its end date counts as `none`."""

from __future__ import annotations

from datetime import date


def effective_agreement(agreement: str, agreement_end: date | None, on: date) -> str:
    """The registry's agreement (active, trial, terminated, none) as it stands on `on`."""
    ended = agreement_end is not None and on > agreement_end
    if agreement in ("active", "terminated", "trial") and ended:
        return "none"
    return agreement
