"""A customer's agreement status as of a given day: an agreement past its end date counts as `none`."""

from __future__ import annotations

from datetime import date

from inbox_worker.domain.types import CustomerInfo


def effective_agreement(customer: CustomerInfo, on: date) -> str:
    ended = customer.agreement_end is not None and on > customer.agreement_end
    if customer.agreement in ("active", "terminated", "trial") and ended:
        return "none"
    return customer.agreement
