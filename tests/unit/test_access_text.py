"""The access log's Danish lines (web/access_text.py): grouped per staff member, Copenhagen day and thing seen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from inbox_worker.store.access_log import AccessAction, Seen
from inbox_worker.web.access_text import access_lines

ZONE = ZoneInfo("Europe/Copenhagen")


def seen(moment: str, actor: str = "JH", action: AccessAction = AccessAction.VIEW, what: str = "",
         attachment: int | None = None, filename: str | None = None) -> Seen:
    return Seen(datetime.fromisoformat(moment).replace(tzinfo=UTC), actor, action, what, attachment, filename)


def test_downloads_keep_a_line_per_file_and_say_when_the_file_is_gone() -> None:
    lines = access_lines([
        seen("2026-03-02T08:00:00", action=AccessAction.DOWNLOAD, attachment=4, filename="a.pdf"),
        seen("2026-03-02T08:05:00", action=AccessAction.DOWNLOAD, attachment=5, filename="b.pdf"),
        seen("2026-03-02T08:10:00", action=AccessAction.DOWNLOAD, attachment=4, filename="a.pdf"),
        seen("2026-03-02T09:00:00", action=AccessAction.DOWNLOAD, attachment=None),  # its record deleted
        seen("2026-03-02T09:30:00", action=AccessAction.DOWNLOAD, attachment=6),  # its name erased
    ], ZONE, date(2026, 3, 2))
    assert lines == ["JH hentede vedhæftningen »a.pdf« 2 gange, 2. mar. 09:00–09:10",
                     "JH hentede vedhæftningen »b.pdf« 2. mar. 09:05",
                     "JH hentede en vedhæftning, der siden er slettet 2. mar. 10:00",
                     "JH hentede en vedhæftning 2. mar. 10:30"]


def test_the_year_is_named_only_for_another_year_and_entries_come_in_any_order() -> None:
    lines = access_lines([seen("2026-05-01T10:00:00", "KB"), seen("2025-05-01T10:00:00", "KB")],
                         ZONE, date(2026, 12, 1))
    assert lines == ["KB så sagen 1. maj 2025 12:00", "KB så sagen 1. maj 12:00"]


def test_an_export_of_an_unknown_scope_still_reads() -> None:
    lines = access_lines([seen("2026-01-05T10:00:00", action=AccessAction.EXPORT, what="person without contact")],
                         ZONE, date(2026, 1, 5))
    assert lines == ["JH udleverede persondata (person without contact) 5. jan. 11:00"]
