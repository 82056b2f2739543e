"""Money as MICO writes it: '1.462,50 kr.' in Danish, 'DKK 1,462.50' in English (amounts excl. VAT)."""

from __future__ import annotations

from decimal import Decimal


def kroner(amount: Decimal | int, language: str = "da") -> str:
    text = f"{Decimal(amount).quantize(Decimal('0.01')):,.2f}"
    if language == "en":
        return f"DKK {text}"
    return text.replace(",", "#").replace(".", ",").replace("#", ".") + " kr."
