"""Local mail: .eml files, folders of them, and Maildir folders (new/ then cur/), in a stable order.

A file over the size limit (`[mailbox] max_message_mb`, as for IMAP) is read only as far as its
header block: that is stored and quarantined, and the mail itself stays in its file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from inbox_worker.errors import UserError
from inbox_worker.mail import incoming
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.parse.headblock import header_end

_CHUNK = 64 * 1024
_MAX_HEAD = 1024 * 1024  # of an oversized mail's header block, read to store it


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
            raise UserError(f"{path}: ingen fil eller mappe med det navn")
    return found


def _head_of(path: Path) -> bytes:
    """The header block of the mail in `path` (up to and with the blank line), read in chunks, at most 1 MiB."""
    head = b""
    with path.open("rb") as handle:
        while len(head) < _MAX_HEAD:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            head += chunk
            end = header_end(head)
            if end is not None:
                return head[:end]
    return head[:_MAX_HEAD]


def too_large_reason(size: int, limit_mb: float, path: Path) -> str:
    return incoming.too_large_reason(size, limit_mb, f"i filen {path}")


def read_mail(path: Path, limit_mb: float) -> IncomingMail:
    """One mail file as ingest takes it: whole, or over `limit_mb` its header block with the reason to quarantine."""
    source = f"file:{path}"
    try:
        size = path.stat().st_size
        if size > limit_mb * 1024 * 1024:
            return IncomingMail(_head_of(path), source, None, too_large_reason(size, limit_mb, path))
        return IncomingMail(path.read_bytes(), source)
    except OSError as exc:
        raise UserError(f"{path}: kan ikke læses: {exc.strerror}") from None


def read_mails(paths: list[str], limit_mb: float) -> Iterator[IncomingMail]:
    for path in expand(paths):
        yield read_mail(path, limit_mb)
