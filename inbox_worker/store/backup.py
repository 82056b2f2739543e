"""`inbox-worker backup FILE`: one .tar.gz with a consistent copy of the SQLite database and its attachments.

The database is copied with sqlite3's online backup API in one step: one read transaction, so the copy
is the last committed state (a writer's open transaction is not in it) and the worker goes on writing
meanwhile (WAL: a reader neither waits for nor blocks the writer). The attachment files are those the
copy refers to; they are written before the transaction that refers to them commits and never change
(content-addressed), so every one is on disk by then. The archive is built under a hidden temporary
name beside FILE and renamed at the end: FILE is the previous backup or a complete new one, never half.

Layout: `inbox.db`, `attachments/<as stored_path>`, and `manifest.json` (counts and every file's sha256).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy.engine import make_url

from inbox_worker import __version__
from inbox_worker.errors import DatabaseBusy, UserError
from inbox_worker.store.db import sqlite_path

SUFFIXES = (".tar.gz", ".tgz")
FORMAT = "inbox-worker-backup/1"


@dataclass
class BackupResult:
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    database_bytes: int = 0
    attachment_bytes: int = 0
    files: dict[str, str] = field(default_factory=dict)  # archive name -> sha256
    missing: list[str] = field(default_factory=list)  # referenced, not on disk: not in the backup
    damaged: list[str] = field(default_factory=list)  # on disk with other bytes than its sha256 says

    @property
    def attachment_files(self) -> int:
        return sum(name.startswith("attachments/") for name in self.files)


class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def source_database(url: str, attachments_dir: str) -> Path:
    """The SQLite file to back up; PostgreSQL and in-memory databases are refused with what to do instead."""
    try:
        path = sqlite_path(url)
    except Exception:
        raise UserError(f"database.url er ikke en gyldig database-URL: {url!r}") from None
    if path is None:
        if make_url(url).get_backend_name() == "postgresql":
            raise UserError(f"backup er til SQLite; tag en sikkerhedskopi af PostgreSQL med pg_dump "
                            f"({pg_dump_line(url)}), og kopiér så mappen med vedhæftede filer {attachments_dir} "
                            "(README: Backups)")
        raise UserError(f"database.url {url!r} er ikke en SQLite-fil: intet at tage en sikkerhedskopi af")
    if not path.is_file():
        raise UserError(f"{path}: her er ingen database (database.url): kør 'inbox-worker init-db' først")
    return path


def pg_dump_line(url: str) -> str:
    """The pg_dump command for the configured PostgreSQL database (never its password)."""
    parsed = make_url(url)
    options = [f"--{name}={value}" for name, value in (("host", parsed.host), ("port", parsed.port),
                                                       ("username", parsed.username)) if value]
    return " ".join(["pg_dump --format=custom --file=inbox-worker.dump", *options, parsed.database or "DBNAME"])


def checked_target(target: Path, database: Path) -> Path:
    if not target.name.endswith(SUFFIXES):
        raise UserError(f"{target}: en sikkerhedskopi er et .tar.gz-arkiv; kald den fx inbox-2026-05-04.tar.gz")
    if not target.parent.is_dir():
        what = "er ikke en mappe" if target.parent.exists() else "findes ikke"
        raise UserError(f"{target}: kan ikke skrive sikkerhedskopien: {target.parent} {what}")
    if target.is_dir():
        raise UserError(f"{target}: kan ikke skrive sikkerhedskopien: det er en mappe")
    if target.resolve() in {database.resolve(), *(database.resolve().with_name(database.name + s)
                                                    for s in ("-wal", "-shm", "-journal"))}:
        raise UserError(f"{target}: det er selve databasen; skriv sikkerhedskopien et andet sted")
    return target


def snapshot(database: Path, copy: Path, busy_timeout_seconds: float) -> None:
    """The committed state of `database` into the new file `copy`: one self-contained file (no -wal)."""
    try:
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_timeout_seconds)
        try:
            target = sqlite3.connect(copy)
            try:
                source.backup(target)  # pages=-1: every page in one step, under one read transaction
                target.execute("PRAGMA journal_mode=DELETE")
                check = target.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseBusy(str(exc)) from None
        raise UserError(f"{database}: kan ikke læse databasen: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{database}: ikke en læsbar SQLite-database: {exc}") from None
    if check != "ok":
        raise UserError(f"{database}: kopien består ikke SQLites quick_check ({check}); intet skrevet")


def contents(copy: Path, database: Path) -> tuple[dict[str, int], str, list[tuple[str, str]]]:
    """(counts, schema revision, [(stored_path, sha256)] of the attachment files) as the copy holds them."""
    connection = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    try:
        counts = {name: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for name, table in (("tickets", "tickets"), ("messages", "raw_messages"),
                                      ("attachments", "attachments"), ("customers", "customers"))}
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        stored = connection.execute("SELECT stored_path, min(sha256) FROM attachments WHERE stored_path IS NOT NULL "
                                    "GROUP BY stored_path ORDER BY stored_path").fetchall()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{database}: intet inbox-worker-skema ({exc}): kør 'inbox-worker init-db' først") from None
    finally:
        connection.close()
    return counts, str(revision), [(str(path), str(sha)) for path, sha in stored]


@functools.cache
def _owner() -> tuple[int, int, str, str]:
    """Who writes the backup (the service user): unpacked as root, the files are theirs again."""
    import grp
    import pwd

    uid, gid = os.getuid(), os.getgid()
    try:
        return uid, gid, pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
    except KeyError:
        return uid, gid, "", ""


def _add(archive: tarfile.TarFile, handle: IO[bytes], name: str, size: int, mtime: float) -> str:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o640
    info.uid, info.gid, info.uname, info.gname = _owner()
    reader = _Hashing(handle)
    archive.addfile(info, reader)  # tarfile only calls read()
    return reader.digest.hexdigest()


def _add_folders(archive: tarfile.TarFile, name: str, added: set[str]) -> None:
    """The folders above `name`, once each, so that unpacked as root they belong to the service user too."""
    for parent in reversed(PurePosixPath(name).parents[:-1]):
        if str(parent) not in added:
            added.add(str(parent))
            info = tarfile.TarInfo(str(parent))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o750, int(datetime.now(UTC).timestamp())
            info.uid, info.gid, info.uname, info.gname = _owner()
            archive.addfile(info)


def _add_file(archive: tarfile.TarFile, handle: IO[bytes], name: str) -> tuple[int, str]:
    """(size, sha256) of the open file, added to the archive as `name`."""
    status = os.fstat(handle.fileno())
    return status.st_size, _add(archive, handle, name, status.st_size, status.st_mtime)


def _add_attachments(archive: tarfile.TarFile, folder: Path, stored: list[tuple[str, str]],
                     result: BackupResult) -> None:
    folders: set[str] = set()
    for relative, sha256 in stored:
        parts = PurePosixPath(relative).parts
        name = "attachments/" + "/".join(parts)
        if not parts or ".." in parts or PurePosixPath(relative).is_absolute():
            result.missing.append(relative)
            continue
        try:
            handle = folder.joinpath(*parts).open("rb")
        except OSError:  # gone, or unreadable: the backup holds everything else, and says what it lacks
            result.missing.append(relative)
            continue
        with handle:
            _add_folders(archive, name, folders)
            size, digest = _add_file(archive, handle, name)
        result.files[name] = digest
        result.attachment_bytes += size
        if digest != sha256:
            result.damaged.append(relative)


def _manifest(result: BackupResult, revision: str, database: Path, folder: Path, now: datetime) -> bytes:
    manifest: dict[str, Any] = {
        "format": FORMAT, "created": now.astimezone(UTC).isoformat(timespec="seconds"),
        "inbox_worker": __version__, "schema_revision": revision,
        "source": {"database": str(database.resolve()), "attachments_dir": str(folder.resolve())},
        "counts": {**result.counts, "attachment_files": result.attachment_files},
        "bytes": {"database": result.database_bytes, "attachments": result.attachment_bytes},
        "missing": result.missing, "damaged": result.damaged, "sha256": result.files,
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode()


def _write(partial: Path, copy: Path, database: Path, folder: Path, now: datetime, result: BackupResult) -> None:
    result.counts, revision, stored = contents(copy, database)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # customer data: owner only
    with os.fdopen(descriptor, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive:
            with copy.open("rb") as handle:
                result.database_bytes, result.files["inbox.db"] = _add_file(archive, handle, "inbox.db")
            _add_attachments(archive, folder, stored, result)
            manifest = _manifest(result, revision, database, folder, now)
            _add(archive, io.BytesIO(manifest), "manifest.json", len(manifest), now.timestamp())
        raw.flush()
        os.fsync(raw.fileno())


def backup(url: str, attachments_dir: str, target: Path, busy_timeout_seconds: float = 30.0,
           now: datetime | None = None) -> BackupResult:
    """Write the backup to `target` (replacing an older one only once the new one is complete)."""
    database = source_database(url, attachments_dir)
    target = checked_target(target, database)
    result = BackupResult(target)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as work:
            copy, partial = Path(work) / "inbox.db", Path(work) / "backup.tar.gz"
            snapshot(database, copy, busy_timeout_seconds)
            _write(partial, copy, database, Path(attachments_dir), now or datetime.now(UTC), result)
            os.replace(partial, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)
    except OSError as exc:
        raise UserError(f"{target}: kan ikke skrive sikkerhedskopien: {exc.strerror or exc}") from None
    return result
