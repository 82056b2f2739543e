"""The month's response-time report as a Danish fixed-width table for the terminal (and its cells for the web page)."""

from __future__ import annotations

from inbox_worker.domain.response_figures import TargetFigures
from inbox_worker.features.response.report import Report, ReportRow
from inbox_worker.outbound.render import local_time_text

PRIORITY = {"emergency": "akut", "high": "høj", "normal": "normal", "low": "lav"}
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")
NOTE = ("Til tiden: andel af de afgjorte frister (holdt eller overskredet); åbne: endnu inden for fristen.\n"
        "Tider i arbejdstid (åbningstiden; akutte sager døgnet rundt) fra sagens start til første svar, og til\n"
        "løsning fratrukket den tid, vi ventede på kunden. Median og 90 %: nearest-rank (90 %: ni ud af ti sager\n"
        "inden for den tid).")
COLUMNS = (("Kunde", 24), ("Prioritet", 9), ("Sager", 5), ("1. svar til tiden", 17), ("Åbne", 4),
           ("Median", 10), ("90 %", 10), ("Løst til tiden", 17), ("Åbne", 4), ("Median", 10), ("90 %", 10))


def duration(minutes: int | None) -> str:
    """Working minutes for a reader: '3 t 20 min', '45 min', '–' for none."""
    if minutes is None:
        return "–"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} t" + (f" {rest} min" if rest else "")


def met_cell(figures: TargetFigures) -> str:
    """'66,7 % (2 af 3)', or '–' while none is decided."""
    if figures.met_percent is None:
        return "–"
    return f"{figures.met_percent:.1f} %".replace(".", ",") + f" ({figures.met} af {figures.decided})"


def month_title(report: Report) -> str:
    return f"{MONTHS[report.month.month - 1]} {report.month.year}"


def customer_cell(row: ReportRow) -> str:
    return row.customer_name or row.customer or "ukendt afsender"


def _cells(row: ReportRow, first: str) -> list[str]:
    cells = [first, PRIORITY.get(row.priority or "", row.priority or ""), str(row.tickets)]
    for figures in (row.first_response, row.resolution):
        cells += [met_cell(figures), str(figures.open), duration(figures.median_minutes),
                  duration(figures.p90_minutes)]
    return cells


def _line(cells: list[str]) -> str:
    fitted = [(text if len(text) <= width else text[: width - 1] + "…").ljust(width)
              for text, (_, width) in zip(cells, COLUMNS, strict=True)]
    return "  ".join(fitted).rstrip()


def report_table(report: Report, zone: str) -> str:
    title = f"Svartider for {month_title(report)}" + (f", kunde {report.customer}" if report.customer else "")
    lines = [f"{title} (sager, hvis frister startede i måneden; opgjort {local_time_text(report.as_of, 'da', zone)})",
             "", _line([name for name, _ in COLUMNS]), _line(["-" * width for _, width in COLUMNS])]
    lines += [_line(_cells(row, customer_cell(row))) for row in report.rows]
    if not report.rows:
        lines.append("Ingen sager med frister i måneden.")
    lines += [_line(["-" * width for _, width in COLUMNS]), _line(_cells(report.total, "I alt")), "", NOTE]
    return "\n".join(lines)
