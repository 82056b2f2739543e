"""For the GDPR tests: every value of every table (read from the database's own catalog, so a new table is
scanned too) and every file under the attachments folder, searched for a person's traces; and a checksum
of all of it, to show that a dry run changed nothing."""

from __future__ import annotations

import email
import hashlib
import json
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text


def _tables(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def _rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f'SELECT * FROM "{table}"'))]


def _mail_text(raw: bytes) -> str:
    """Bytes as a reader would see them: as they are, and decoded as a mail (headers, every part's content)."""
    texts = [raw.decode("utf-8", "replace")]
    try:
        message = email.message_from_bytes(raw, policy=default_policy)
        for part in message.walk():
            texts += [f"{name}: {value}" for name, value in part.items()]
            if not part.is_multipart():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    except Exception:  # not a mail: the bytes as they are were searched
        pass
    return "\n".join(texts)


def readable(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return _mail_text(bytes(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON as SQLite stores it (\u00f8 for ø)
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return "" if value is None else str(value)


def traces(engine: Engine, folder: Path, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every value holding a needle (case folded), and ("file", path, needle)."""
    wanted = [n.casefold() for n in needles]
    found = []
    for table in _tables(engine):
        for row in _rows(engine, table):
            for column, value in row.items():
                seen = readable(value).casefold()
                found += [(table, column, n) for n in wanted if n in seen]
    if folder.exists():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            seen = path.read_bytes().decode("utf-8", "replace").casefold()
            found += [("file", str(path.relative_to(folder)), n) for n in wanted if n in seen]
    return found


def checksum(engine: Engine, folder: Path) -> str:
    """sha256 over every row of every table (in a stable order) and every attachment file."""
    digest = hashlib.sha256()
    for table in _tables(engine):
        rows = sorted(json.dumps({k: (bytes(v).hex() if isinstance(v, bytes | memoryview) else v)
                                  for k, v in row.items()}, default=str, sort_keys=True)
                      for row in _rows(engine, table))
        digest.update(table.encode())
        for row in rows:
            digest.update(row.encode())
    if folder.exists():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()
