"""Subjects and senders as parsed, over ../shared/corpora: this checkout against another (e.g. git main).

    python bench/corpora_headers.py                      # this checkout against `git main` (extracted)
    python bench/corpora_headers.py --baseline REF       # against another git ref
    python bench/corpora_headers.py --examples 20 --json out.json

Every corpus file (as tests/integration/test_corpora.py picks them) is parsed by each parser, and
decided the way `explain` decides without a database (empty registry). The baseline runs in a
child process with PYTHONPATH pointing at a `git archive` of the ref, with the same interpreter
and libraries. The corpora are read in place, never copied. Prints how many mails' subject, sender
address and sender name changed, how many outcomes changed, and examples (old -> new).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
MAIL_SUFFIXES = {".eml", ".txt", ".msg", ".mbox", ""}
FIELDS = ("subject", "from_address", "from_name")


def corpus_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in MAIL_SUFFIXES and not p.name.startswith("."))


def dump(folder: Path) -> dict[str, dict[str, Any]]:
    """Parse and decide every corpus file with whatever inbox_worker is importable."""
    from datetime import UTC, datetime

    from inbox_worker.config import settings_from_dict
    from inbox_worker.domain.types import MailContext, RegistrySnapshot
    from inbox_worker.mail.incoming import parse_safely
    from inbox_worker.mail.parse.parser import ParseError
    from inbox_worker.mail.pipeline import PipelineParams, run_pipeline
    from inbox_worker.mail.rulebook import load_rulebook

    settings = settings_from_dict({}, "corpora_headers")
    rules, params = load_rulebook(settings.paths.rules), PipelineParams.from_settings(settings)
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    registry = RegistrySnapshot({}, {}, {}, {})
    context = MailContext(now=now, tagged_ticket=None, referenced_ticket=None, acks_to_sender_last_hour=0,
                          next_ticket_number=1)
    found: dict[str, dict[str, Any]] = {}
    for path in corpus_files(folder):
        parsed = parse_safely(path.read_bytes())
        key = str(path.relative_to(folder))
        if isinstance(parsed, ParseError):
            found[key] = {"error": str(parsed)[:200], "outcome": "quarantined", "rule": "unparseable"}
            continue
        try:
            decision = run_pipeline(parsed, context, registry, rules, params)
            outcome, rule = str(decision.outcome), decision.rule
        except Exception as exc:
            outcome, rule = "error", f"{type(exc).__name__}: {exc}"[:200]
        found[key] = {"subject": parsed.subject, "from_address": parsed.from_address, "from_name": parsed.from_name,
                      "outcome": outcome, "rule": rule}
    return found


def baseline_dump(ref: str, folder: Path) -> dict[str, dict[str, Any]]:
    """The same dump by the code of git `ref`, in a child process (the same interpreter and libraries)."""
    with tempfile.TemporaryDirectory(prefix="corpora-baseline-") as tmp:
        archive = Path(tmp) / "src.tar"
        with archive.open("wb") as handle:
            subprocess.run(["git", "-C", str(ROOT), "archive", ref, "inbox_worker", "rules", "templates"],
                           stdout=handle, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(Path(tmp) / "src", filter="data")
        out = Path(tmp) / "dump.json"
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(out)], env=env, check=True,
                       cwd=Path(tmp) / "src")
        data: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
        return data


# The child imports the baseline's inbox_worker (PYTHONPATH first) and this file's dump() by path.
_CHILD = f"""
import importlib.util, json, sys
import inbox_worker
assert 'corpora-baseline-' in inbox_worker.__file__, inbox_worker.__file__  # the baseline, not this checkout
spec = importlib.util.spec_from_file_location('corpora_headers', {str(Path(__file__).resolve())!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
from pathlib import Path
Path(sys.argv[2]).write_text(json.dumps(module.dump(Path(sys.argv[1])), ensure_ascii=False), encoding='utf-8')
"""


def compare(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], examples: int) -> dict[str, Any]:
    changed: dict[str, list[tuple[str, Any, Any]]] = {field: [] for field in (*FIELDS, "outcome")}
    for key in sorted(new):
        before, after = old.get(key, {}), new[key]
        for field in changed:
            if before.get(field) != after.get(field):
                changed[field].append((key, before.get(field), after.get(field)))
    quarantined = {name: sum(1 for v in data.values() if v.get("outcome") == "quarantined")
                   for name, data in (("old", old), ("new", new))}
    mails_changed = {key for rows in (changed["subject"], changed["from_address"], changed["from_name"])
                     for key, _, _ in rows}
    return {
        "files": len(new),
        "changed": {field: len(rows) for field, rows in changed.items()},
        "mails_with_subject_or_sender_changed": len(mails_changed),
        "quarantined": quarantined,
        "examples": {field: [{"file": k, "old": o, "new": n} for k, o, n in rows[:examples]]
                     for field, rows in changed.items()},
    }


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--baseline", default="main", help="git ref of the old parser (default main)")
    arguments.add_argument("--corpora", default=str(CORPORA))
    arguments.add_argument("--examples", type=int, default=10, help="examples per field")
    arguments.add_argument("--json", help="also write the full comparison here")
    args = arguments.parse_args()
    folder = Path(args.corpora)
    if not folder.is_dir():
        print(f"{folder}: not present; nothing to compare")
        return 0
    report = compare(baseline_dump(args.baseline, folder), dump(folder), args.examples)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{report['files']} corpus files; changed against {args.baseline}: "
          + ", ".join(f"{field} {count}" for field, count in report["changed"].items())
          + f"; quarantined {report['quarantined']['old']} -> {report['quarantined']['new']}")
    for field, rows in report["examples"].items():
        for row in rows:
            print(f"  {field:12} {row['file']}\n      {row['old']!r}\n   -> {row['new']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
