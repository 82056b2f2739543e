"""Addresses: which we are willing to send mail to (a plain addr-spec, nothing that could smuggle syntax),
and which are our own mailboxes in whatever case or +tag they come."""

from __future__ import annotations

import re

_SAFE_ADDRESS = re.compile(r"^[^@\s<>\",;:()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")


def is_safe_address(address: str | None) -> bool:
    return bool(address) and bool(_SAFE_ADDRESS.match(address or ""))


def mailbox_of(address: str) -> str:
    """The mailbox an address delivers to: lower case, without a +tag (support+x@mico.dk is support@mico.dk)."""
    local, at, domain = address.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" if at else address.strip().lower()


def is_own(address: str | None, own_mailboxes: frozenset[str]) -> bool:
    """Mail from one of our own mailboxes (support, the sender of our mail, staff and on-call addresses)."""
    return bool(address) and mailbox_of(address or "") in own_mailboxes
