"""`inbox-worker backup FILE` (issue 13, item 5): a backup that restores, taken while the worker writes.

Restoring is what a backup is for, so the tests restore: unpack the archive into a fresh folder, point a
config at the database and attachments found there, and find every ticket and every attachment's bytes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from inbox_worker.cli import main
from inbox_worker.store import search
from tests.conftest import DEMO, MAIL, ROOT, CliResult

WITH_ATTACHMENTS = [DEMO / "inbox", MAIL / "attachment-rfc2231-filename.eml", MAIL / "multipart-alternative.eml",
                    MAIL / "truncated-multipart.eml"]


def config_for(folder: Path, name: str = "config.toml") -> Path:
    """A config whose database and attachments live in `folder` (absolute paths, as in production)."""
    path = folder / name
    path.write_text(f'[database]\nurl = "sqlite:///{folder / "inbox.db"}"\n'
                    f'[storage]\nattachments_dir = "{folder / "attachments"}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(config), *args])
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """The running installation's config: demo registry, the demo inbox and mails with attachments ingested."""
    folder = tmp_path / "live"
    folder.mkdir()
    config = config_for(folder)
    assert run(config, "init-db").code == 0
    assert run(config, "registry", "import", str(DEMO / "registry.toml")).code == 0
    result = run(config, "ingest", *map(str, WITH_ATTACHMENTS))
    assert result.code == 0, result.err
    return config


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installation with the schema and nothing else (the refusals never get as far as its contents)."""
    config = config_for(tmp_path_factory.mktemp("empty"))
    assert run(config, "init-db").code == 0
    return config


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_attachments(database: Path) -> set[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT stored_path, sha256 FROM attachments WHERE stored_path IS NOT NULL")
        return set(rows.fetchall())


def restore(archive: Path, folder: Path) -> Path:
    """Unpack a backup into a fresh folder (as the README says), and a config pointing at what it holds."""
    folder.mkdir()
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) >= {"inbox.db", "manifest.json"}
        assert all(name in ("inbox.db", "manifest.json", "attachments") or name.startswith("attachments/")
                   for name in tar.getnames())
        # Each file and folder is the backup user's: unpacked by root, the service user can write there again.
        assert {(member.uid, member.gid) for member in tar.getmembers()} == {(os.getuid(), os.getgid())}
        tar.extractall(folder, filter="data")
    return config_for(folder, "restored.toml")


def tickets(config: Path) -> list[dict[str, Any]]:
    result = run(config, "tickets", "list", "--json")
    assert result.code == 0, result.err
    return result.json_lines()


def test_a_restored_backup_holds_every_ticket_and_every_attachment(live: Path, tmp_path: Path) -> None:
    original = live.parent
    archive = tmp_path / "backups" / "inbox-2026-05-04.tar.gz"
    archive.parent.mkdir()

    result = run(live, "backup", str(archive))

    assert result.code == 0, result.err
    assert result.err == "" and f"{archive}: sikkerhedskopi af" in result.out
    assert archive.stat().st_mode & 0o077 == 0  # customer data: readable by its owner only
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no temporary left behind
    restored = restore(archive, tmp_path / "restored").parent
    # The manifest describes what was unpacked (checked before anything opens the database).
    manifest = json.loads((restored / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sha256"] == {name: sha256(restored / name) for name in manifest["sha256"]}
    attachments = stored_attachments(original / "inbox.db")
    assert set(manifest["sha256"]) == {"inbox.db"} | {f"attachments/{relative}" for relative, _ in attachments}
    assert manifest["counts"]["attachment_files"] == len(attachments) and manifest["missing"] == []

    originals = tickets(live)
    assert manifest["counts"]["tickets"] == len(originals)
    assert len(originals) >= 21 and tickets(restored / "restored.toml") == originals
    assert len(attachments) >= 3 and stored_attachments(restored / "inbox.db") == attachments
    for relative, digest in attachments:
        assert sha256(restored / "attachments" / relative) == digest == sha256(original / "attachments" / relative)
    # The restored database is a working one: a mail already in it is recognised, a new one gets the next number.
    again = run(restored / "restored.toml", "ingest", "--json", str(MAIL / "attachment-rfc2231-filename.eml"))
    assert again.json_lines()[0]["outcome"] == "duplicate"
    fresh = run(restored / "restored.toml", "ingest", "--json", str(MAIL / "latin1-8bit.eml"))
    assert fresh.json_lines()[0]["outcome"] == "new_ticket"
    assert fresh.json_lines()[0]["ticket"] == max(t["ticket"] for t in originals) + 1


def test_a_backup_during_an_open_write_transaction_holds_the_committed_state_and_completes(
        live: Path, tmp_path: Path) -> None:
    database = live.parent / "inbox.db"
    before = tickets(live)
    writer = sqlite3.connect(database, isolation_level=None)
    search.register(writer)  # the search index's triggers stem in Python, as on every connection the product opens
    writer.execute("PRAGMA cache_size=-64")  # 64 KiB: the uncommitted pages spill into the WAL file
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE tickets SET subject = 'IKKE GEMT' WHERE id = 1")
    writer.execute("CREATE TABLE scratch (payload BLOB)")
    writer.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                   "INSERT INTO scratch SELECT randomblob(1000) FROM n")
    assert Path(f"{database}-wal").stat().st_size > 1_000_000  # the writer's uncommitted pages are in the WAL
    archive = tmp_path / "during.tar.gz"
    try:
        # Another process, as cron or a systemd timer would run it, while the writer holds its transaction.
        done = subprocess.run([sys.executable, "-m", "inbox_worker", "--config", str(live), "backup", str(archive)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        writer.execute("COMMIT")  # the writer was not disturbed either
    finally:
        writer.close()

    restored = restore(archive, tmp_path / "restored")
    assert tickets(restored) == before
    assert [t["subject"] for t in tickets(restored) if t["ticket"] == 1] != ["IKKE GEMT"]
    with contextlib.closing(sqlite3.connect(restored.parent / "inbox.db")) as copy:
        assert copy.execute("SELECT count(*) FROM sqlite_master WHERE name = 'scratch'").fetchone()[0] == 0
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # What was committed afterwards is in the next backup.
    assert run(live, "backup", str(tmp_path / "after.tar.gz")).code == 0
    after = restore(tmp_path / "after.tar.gz", tmp_path / "after")
    assert [t["subject"] for t in tickets(after) if t["ticket"] == 1] == ["IKKE GEMT"]


def test_backups_taken_while_mail_is_being_ingested_each_restore_whole(live: Path, tmp_path: Path) -> None:
    """The worker writes attachments before the transaction that refers to them: every backup finds them all."""
    from tests.mailbuilder import build_mail

    inbox = tmp_path / "incoming"
    inbox.mkdir()
    for n in range(8):
        (inbox / f"{n:02}.eml").write_bytes(build_mail(subject=f"Scanner {n} virker ikke", date=f"Fri, 20 Nov 2026 "
                                                       f"10:{n:02}:00 +0100", attachment=(f"scan-{n}.pdf", bytes(
                                                           [n]) * 20_000 + n.to_bytes(2, "big"))))
    script = ("import sys\nfrom inbox_worker.cli import main\n"
              "for path in sorted(sys.argv[2:]):\n    assert main(['--config', sys.argv[1], 'ingest', path]) == 0\n")
    start = len(tickets(live))
    ingest = subprocess.Popen([sys.executable, "-c", script, str(live), *map(str, inbox.iterdir())], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: list[int] = []
    while ingest.poll() is None or not seen:
        archive = tmp_path / f"b{len(seen)}.tar.gz"
        result = run(live, "backup", str(archive))
        assert result.code == 0, result.err
        restored = restore(archive, tmp_path / f"r{len(seen)}").parent
        for relative, digest in stored_attachments(restored / "inbox.db"):
            assert sha256(restored / "attachments" / relative) == digest
        seen.append(json.loads((restored / "manifest.json").read_text())["counts"]["tickets"])
    assert ingest.wait() == 0, ingest.stderr.read() if ingest.stderr else ""
    assert seen == sorted(seen) and any(start < count < start + 8 for count in seen), seen


def test_a_missing_attachment_is_named_and_the_rest_is_backed_up(live: Path, tmp_path: Path) -> None:
    relative, _ = sorted(stored_attachments(live.parent / "inbox.db"))[0]
    (live.parent / "attachments" / relative).unlink()

    result = run(live, "backup", str(tmp_path / "b.tar.gz"))

    assert result.code == 1
    assert result.err.count("\n") == 1 and relative in result.err and "mangler" in result.err
    manifest = json.loads((restore(tmp_path / "b.tar.gz", tmp_path / "r").parent / "manifest.json").read_text())
    assert manifest["missing"] == [relative] and manifest["counts"]["attachment_files"] >= 2


def test_a_failed_backup_leaves_the_previous_one_and_no_half_file(live: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from inbox_worker.store import backup

    archive = tmp_path / "backups" / "inbox.tar.gz"
    archive.parent.mkdir()
    assert run(live, "backup", str(archive)).code == 0
    previous = archive.read_bytes()

    def disk_full(*_args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_add_attachments", disk_full)
    result = run(live, "backup", str(archive))

    assert result.code == 2
    assert result.err == f"inbox-worker: {archive}: kan ikke skrive sikkerhedskopien: No space left on device\n"
    assert archive.read_bytes() == previous
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]


@pytest.mark.parametrize(("target", "says"), [
    ("nowhere/inbox.tar.gz", "findes ikke"),
    ("a-file/inbox.tar.gz", "er ikke en mappe"),
    ("inbox.zip", "en sikkerhedskopi er et .tar.gz-arkiv"),
    ("folder.tar.gz", "det er en mappe"),
])
def test_a_bad_target_is_one_line_naming_it(empty: Path, tmp_path: Path, target: str, says: str) -> None:
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "folder.tar.gz").mkdir()
    before = sorted(tmp_path.rglob("*"))

    result = run(empty, "backup", str(tmp_path / target))

    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"inbox-worker: {tmp_path / target}: ") and says in result.err
    assert result.err.count("\n") == 1
    assert sorted(tmp_path.rglob("*")) == before


def test_postgresql_is_refused_with_the_pg_dump_line(tmp_path: Path) -> None:
    config = tmp_path / "pg.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://inbox_worker:secret@db.mico.lan:5433/inbox_worker"\n'
                      '[storage]\nattachments_dir = "/var/lib/inbox-worker/attachments"\n', encoding="utf-8")

    result = run(config, "backup", str(tmp_path / "b.tar.gz"))

    assert result.code == 2 and result.err.count("\n") == 1
    assert ("pg_dump --format=custom --file=inbox-worker.dump --host=db.mico.lan --port=5433 "
            "--username=inbox_worker inbox_worker") in result.err
    assert "/var/lib/inbox-worker/attachments" in result.err and "secret" not in result.err
    assert not (tmp_path / "b.tar.gz").exists()


def test_without_a_database_nothing_is_created(tmp_path: Path) -> None:
    config = config_for(tmp_path)

    result = run(config, "backup", str(tmp_path / "b.tar.gz"))

    assert result.code == 2 and "init-db" in result.err and str(tmp_path / "inbox.db") in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
