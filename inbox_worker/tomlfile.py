"""Reading the TOML files staff edit (config, registry, rules): the tables, or one line naming the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from inbox_worker.errors import UserError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The file's tables; `what` names the kind of file in the error ("regelfilen", "konfigurationsfilen", ...)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UserError(f"{path}: {what} findes ikke") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: ikke gyldig TOML: {exc}") from None
