"""Local mail: .eml files, folders of them, and Maildir folders (new/ then cur/), in a stable order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from inbox_worker.errors import UserError


def _maildir_files(folder: Path) -> list[Path]:
    files: list[Path] = []
    for sub in ("new", "cur"):
        part = folder / sub
        if part.is_dir():
            files += sorted(p for p in part.iterdir() if p.is_file() and not p.name.startswith("."))
    return files


def expand(paths: list[str]) -> list[Path]:
    """Every mail file named by the arguments, in input order; a missing path is a UserError."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_file():
            found.append(path)
        elif path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir()):
            found += _maildir_files(path)
        elif path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".eml", ".msg", ""))
        else:
            raise UserError(f"{path}: no such file or folder")
    return found


def read_mails(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    for path in expand(paths):
        try:
            yield f"file:{path}", path.read_bytes()
        except OSError as exc:
            raise UserError(f"{path}: cannot read: {exc.strerror}") from None
