"""The export's zip: a sender's file name never becomes a path, names stay unique, the same input gives the same zip."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_worker.features.privacy.archive import Archive, atomic_file, safe_name

MOMENT = datetime(2026, 11, 20, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(("given", "expected"), [
    ("../../etc/passwd", "etc_passwd"), ("C:\\Windows\\system32.dll", "C__Windows_system32.dll"),
    ("skærm billede.png", "skærm_billede.png"), ("....", "fil"), ("", "fil"), ("a\x00b\r\n.txt", "a_b__.txt"),
    ("x" * 300 + ".pdf", "x" * 96 + ".pdf"), ("rapport.tar.gz", "rapport.tar.gz"),
])
def test_a_senders_file_name_becomes_a_harmless_member_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected
    assert "/" not in safe_name(given) and "\\" not in safe_name(given) and len(safe_name(given)) <= 100


def build(members: list[tuple[str, bytes]]) -> tuple[bytes, list[str]]:
    out = io.BytesIO()
    with Archive(out, MOMENT) as archive:
        names = [archive.add(name, data) for name, data in members]
    return out.getvalue(), names


def test_names_are_made_unique_and_each_members_hash_and_size_are_kept() -> None:
    out = io.BytesIO()
    with Archive(out, MOMENT) as archive:
        names = [archive.add("attachments/a.txt", b"1"), archive.add("attachments/a.txt", b"22"),
                 archive.add("sent/x", b"333"), archive.add("sent/x", b"4444")]
        members = list(archive.members)
    assert names == ["attachments/a.txt", "attachments/a-2.txt", "sent/x", "sent/x-2"]
    assert [(m.size, m.sha256) for m in members] == [(len(d), hashlib.sha256(d).hexdigest())
                                                     for d in (b"1", b"22", b"333", b"4444")]
    with zipfile.ZipFile(out) as read:
        assert read.namelist() == names and read.read("attachments/a-2.txt") == b"22"


def test_the_same_members_give_the_same_bytes() -> None:
    members = [("mails/ticket-1-1.eml", b"From: a@b.dk\r\n\r\nHej\r\n"), ("index.html", "æøå".encode())]
    assert build(members)[0] == build(members)[0]


def test_an_error_while_writing_leaves_no_file_and_the_old_one_untouched(tmp_path: Path) -> None:
    target = tmp_path / "export.zip"
    target.write_bytes(b"the previous export")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("the database went away")
    assert target.read_bytes() == b"the previous export" and sorted(tmp_path.iterdir()) == [target]
    with atomic_file(target) as handle:
        handle.write(b"whole")
    assert target.read_bytes() == b"whole" and sorted(tmp_path.iterdir()) == [target]
