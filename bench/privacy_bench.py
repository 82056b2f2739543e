"""Privacy benchmark: what export, erase and retention cost on a store of N real-shaped mails.

N synthetic support mails (bench/mailgen.py, fixed seed: the demo registry's people and strangers, threads,
attachments, HTML parts) go through `inbox-worker ingest` into a fresh database; then, through the command
line as staff run them, for the sender with the most mail:

  export      privacy export EMAIL --out FILE.zip (its size and number of mails)
  dry run     privacy erase EMAIL --reason ... --dry-run
  erase       privacy erase EMAIL --reason ...
  retention   privacy retention --dry-run, and privacy retention (nothing old here: the cost of looking)

    .venv/bin/python bench/privacy_bench.py --n 2000 [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Wall-clock seconds of each command in its own process (the CLI's start-up included, as staff see it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from email import message_from_binary_file
from email.utils import parseaddr
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from mailgen import generate  # noqa: E402
from web_bench import bench_database  # noqa: E402


def cli(config: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "inbox_worker", "--config", str(config), *args],
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return took, done.stdout


def busiest_sender(paths: list[Path]) -> tuple[str, int]:
    senders: Counter[str] = Counter()
    for path in paths:
        with path.open("rb") as handle:
            senders[parseaddr(str(message_from_binary_file(handle)["From"] or ""))[1].lower()] += 1
    return senders.most_common(1)[0]


def run(n: int, db_url: str, work: Path) -> dict[str, object]:
    config = work / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[storage]\nattachments_dir = "{work / "attachments"}"\n',
                      encoding="utf-8")
    mails = generate(n, work / "mails")
    sender, sent = busiest_sender(mails)
    cli(config, "init-db")
    cli(config, "registry", "import", str(ROOT / "inbox_worker" / "demo" / "registry.toml"))
    ingest, _ = cli(config, "ingest", str(work / "mails"))
    figures: dict[str, object] = {"mails": n, "database": db_url.split(":", 1)[0], "person": sender,
                                  "person_mails": sent, "ingest_s": round(ingest, 1)}
    archive = work / "person.zip"
    figures["export_s"] = round(cli(config, "privacy", "export", sender, "--out", str(archive), "--by", "BENCH")[0], 2)
    with zipfile.ZipFile(archive) as opened:
        figures["export_mails"] = sum(1 for name in opened.namelist() if name.startswith("mails/"))
    figures["export_kb"] = round(archive.stat().st_size / 1024)
    reason = ("--reason", "benchmark", "--by", "BENCH")
    figures["erase_dry_run_s"] = round(cli(config, "privacy", "erase", sender, *reason, "--dry-run")[0], 2)
    figures["erase_s"] = round(cli(config, "privacy", "erase", sender, *reason)[0], 2)
    figures["retention_dry_run_s"] = round(cli(config, "privacy", "retention", "--dry-run")[0], 2)
    figures["retention_s"] = round(cli(config, "privacy", "retention")[0], 2)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--pg", help="PostgreSQL admin URL: a fresh database is created there and dropped after")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="privacy-bench-") as folder, \
            bench_database(Path(folder), args.pg) as db_url:
        figures = run(args.n, db_url, Path(folder))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
