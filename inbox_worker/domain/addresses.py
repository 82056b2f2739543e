"""Which addresses we are willing to send mail to: a plain addr-spec, nothing that could smuggle syntax."""

from __future__ import annotations

import re

_SAFE_ADDRESS = re.compile(r"^[^@\s<>\",;:()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")


def is_safe_address(address: str | None) -> bool:
    return bool(address) and bool(_SAFE_ADDRESS.match(address or ""))
