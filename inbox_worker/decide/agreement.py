"""A customer's agreement status as of a given day: an agreement past its end date counts as `none`."""

from __future__ import annotations

from datetime import date

from ..workitem import CustomerInfo


def effective_agreement(customer: CustomerInfo, on: date) -> str:
    if customer.agreement in ("active", "terminated", "trial") and customer.agreement_end is not None:
        if on > customer.agreement_end:
            return "none"
    return customer.agreement
