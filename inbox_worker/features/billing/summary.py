"""The quarter's invoice lines as a short readable summary for the terminal, in Danish number format."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inbox_worker.domain.labels import count
from inbox_worker.domain.money import kroner
from inbox_worker.features.billing.lines import Invoice


def hours(minutes: int) -> str:
    return f"{minutes // 60} t {minutes % 60:02d} min"


def summary_text(result: Invoice) -> str:
    quarter = result.quarter
    last = date.fromordinal(quarter.end.toordinal() - 1)
    lines = [f"Fakturagrundlag {quarter} ({quarter.start:%d.%m.%Y}–{last:%d.%m.%Y}); "
             f"tid rundet op til påbegyndte {result.round_up_minutes} min pr. linje; beløb ekskl. moms"]
    for section in result.sections:
        packages = ", ".join(f"{p.item} × {p.quantity}" for p in section.packages) or "ingen pakker"
        billed = sum(line.billed_minutes for line in section.time)
        lines.append(f"  {section.key:<14} {section.name[:34]:<34} {packages}; "
                     f"tid {hours(billed)} = {kroner(section.total)}")
    total = sum((section.total for section in result.sections), Decimal("0.00"))
    customers = count(len(result.sections), "kunde", "kunder")
    lines.append(f"I alt: {customers}, fakturerbar tid {kroner(total)} ekskl. moms")
    if result.left_out:
        tickets = ", ".join(sorted({f"#{row.ticket}" for row in result.left_out}))
        entries = count(len(result.left_out), "tidsregistrering", "tidsregistreringer")
        lines.append(f"Ikke medtaget: {entries} med uafklaret dækning eller uden "
                     f"kunde (sag {tickets}); afklar dem med 'tickets set-coverage' og eksportér igen")
    return "\n".join(lines)
