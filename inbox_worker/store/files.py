"""Attachment bytes on disk, content-addressed by sha256, under the configured folder and size cap."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class AttachmentStore:
    def __init__(self, folder: str | Path, max_bytes: int) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def save(self, payload: bytes, sha256: str) -> tuple[str | None, str | None]:
        """(relative path, None) when stored; (None, reason) when over the cap. Same bytes are stored once."""
        if len(payload) > self.max_bytes:
            return None, f"larger than the {self.max_bytes // (1024 * 1024)} MB limit: not stored"
        relative = Path(sha256[:2]) / sha256[2:4] / sha256
        target = self.folder / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write to a temporary name and rename, so a crash never leaves a half file under the real name.
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temp, target)
        return str(relative), None

    def path_of(self, relative: str) -> Path:
        return self.folder / relative
