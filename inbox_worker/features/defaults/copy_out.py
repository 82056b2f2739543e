"""Write the shipped default rules and templates to a folder, never over an existing file unless told to.

The copies are what `[paths] rules` and `[paths] templates` then point at: staff edit those, and a new
version of the package leaves them alone. All or nothing for existing files: when any target exists and
`force` is not given, nothing is written.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from inbox_worker.config import PACKAGED_RULES, PACKAGED_TEMPLATES
from inbox_worker.domain.labels import count
from inbox_worker.errors import UserError


@dataclass(frozen=True)
class Copied:
    """Where the copies went and how many files each folder got."""

    rules_dir: Path
    templates_dir: Path
    rules_files: int
    template_files: int
    overwritten: int

    def config_lines(self) -> list[str]:
        """The `[paths]` lines that make the worker read the copies (TOML strings, absolute paths)."""
        return [f"rules = {_toml_string(self.rules_dir)}", f"templates = {_toml_string(self.templates_dir)}"]


def _toml_string(path: Path) -> str:
    return json.dumps(str(path), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def shipped_files(source: Path) -> list[Path]:
    """Every file of a shipped folder, relative to it, in a stable order (bytecode caches left out)."""
    return sorted(path.relative_to(source) for path in source.rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts)


def _plan(target: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for source, name in ((PACKAGED_RULES, "rules"), (PACKAGED_TEMPLATES, "templates")):
        files = shipped_files(source)
        if not files:
            raise UserError(f"{source}: de medfølgende {name} mangler i den installerede pakke")
        pairs += [(source / relative, target / name / relative) for relative in files]
    return pairs


def _refuse_existing(pairs: list[tuple[Path, Path]], force: bool) -> int:
    existing = [destination for _, destination in pairs if destination.exists() or destination.is_symlink()]
    if existing and not force:
        more = f" og {count(len(existing) - 1, 'fil', 'filer')} mere" if len(existing) > 1 else ""
        raise UserError(f"{existing[0]}{more} findes allerede; intet skrevet "
                        "(--force overskriver dem med de medfølgende)")
    return len(existing)


def copy_defaults(target: Path, *, force: bool = False) -> Copied:
    """Copy the shipped rules to `target`/rules and the templates to `target`/templates."""
    target = target.expanduser().absolute()
    try:
        return _copy(target, _plan(target), force)
    except OSError as exc:
        raise UserError(f"{exc.filename or target}: kan ikke skrive: {exc.strerror or exc}") from None


def _copy(target: Path, pairs: list[tuple[Path, Path]], force: bool) -> Copied:
    if target.exists() and not target.is_dir():
        raise UserError(f"{target}: findes og er ikke en mappe")
    overwritten = _refuse_existing(pairs, force)
    for source, destination in pairs:
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.is_symlink():
            destination.unlink()  # --force replaces a link with a file, never writes through it
        shutil.copyfile(source, destination)  # content only: the copy is the user's to edit, whatever the mode
    rules = sum(1 for _, destination in pairs if destination.is_relative_to(target / "rules"))
    return Copied(target / "rules", target / "templates", rules, len(pairs) - rules, overwritten)
