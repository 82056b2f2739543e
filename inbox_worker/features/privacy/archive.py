"""The export's zip file: members in the order they are added and all with one timestamp (the same data gives
the same zip), each one's sha256 and size kept for manifest.json; written to an open file (the web's temporary
file) or to a path atomically (a temporary file beside it, renamed into place only when all went well)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


def safe_name(filename: str, limit: int = 100) -> str:
    """A sender's file name as a harmless zip member name: letters, digits, '.', '-' and '_' only, no path."""
    text = unicodedata.normalize("NFC", filename)
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text).strip("._") or "fil"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and stem and len(suffix) <= 20:
        return f"{stem[:limit - len(suffix) - 1]}.{suffix}"
    return cleaned[:limit]


class Archive:
    def __init__(self, out: IO[bytes], moment: datetime) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
        self.members: list[Member] = []
        self._names: set[str] = set()

    def _unique(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self._names:
            number += 1
            stem, dot, suffix = name.rpartition(".")
            candidate = f"{stem}-{number}.{suffix}" if dot and "/" not in suffix else f"{name}-{number}"
        self._names.add(candidate)
        return candidate

    def _write(self, name: str, blocks: Iterator[bytes]) -> str:
        name = self._unique(name)
        info = zipfile.ZipInfo(name, self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=True) as member:
            for block in blocks:
                digest.update(block)
                size += len(block)
                member.write(block)
        self.members.append(Member(name, size, digest.hexdigest()))
        return name

    def add(self, name: str, data: bytes) -> str:
        """Add a member; returns its name (made unique with -2, -3 ... when already taken)."""
        return self._write(name, iter((data,)))

    def add_file(self, name: str, path: Path) -> str:
        """Add a file from disk, read a block at a time."""
        def blocks() -> Iterator[bytes]:
            with path.open("rb") as source:
                while block := source.read(_BLOCK):
                    yield block
        return self._write(name, blocks())

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        """Finish the zip; after an error only release it (the caller throws the file away)."""
        try:
            self.zip.close()
        except Exception:
            if kind is None:
                raise


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `path`, renamed to it when the block ends without an error; else removed."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
