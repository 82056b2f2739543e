"""IMAP benchmark: `inbox-worker poll --once` draining N generated mails from a private Dovecot into SQLite.

The parent generates (or reuses) the corpus exactly as ingest_bench.py does, and then, for every
phase-run, starts a fresh Dovecot, loads the mails into its INBOX in a child of their own (MULTIAPPEND,
timed apart), runs the measured phase in another fresh child, and stops the Dovecot again:

  fetch       bare imapclient: connect + login + select INBOX, SEARCH ALL, UID FETCH BODY.PEEK[] in
              batches of 100, logout
  parse       the bare mail-parser parse of the same files (read bytes + MailParser.from_bytes)
  poll        fresh database + migrate + demo registry (setup, timed apart), then MailboxWorker(...),
              run_once(), close(): exactly what `inbox-worker poll --once` does; afterwards INBOX must be
              empty and every mail processed
  poll N/10   the same with the first N/10 mails of the corpus, for the memory check

    .venv/bin/python bench/imap_bench.py --n 10000 [--repeat 2] [--workdir DIR] [--json] [--profile]

The loader is a child of its own so that the measured child never holds the corpus: each child's
ru_maxrss is its own peak. The parent imports nothing heavy (see ingest_bench.py for why).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(BENCH_DIR), str(ROOT)):  # ingest_bench (a sibling script) and tests.dovecot
    if _path not in sys.path:
        sys.path.insert(0, _path)

from ingest_bench import (  # noqa: E402
    MIB,
    REGISTRY,
    _fastest,
    mail_files,
    make_corpus,
    peak_rss_mb,
    phase_parse,
    run_in_workdir,
    target_lines,
    vm_hwm_mb,
)

if TYPE_CHECKING:
    from tests.dovecot import Dovecot

RATIO_MAX, RSS_GROWTH_MAX = 1.5, 1.2
ACCEPTANCE_N = 10_000
FETCH_BATCH = 100  # the bare fetch uses the worker's default mailbox.batch_size
APPEND_CHUNK = 200  # Dovecot.append sends MULTIAPPENDs of this many; the loader reads this many files at a time
PROCESSED_FOLDER = "Behandlet"
CHILD_TIMEOUT = 3600


# --- child side: one phase, one JSON line on stdout ----------------------------------------------------


def server(args: argparse.Namespace) -> Dovecot:
    """The Dovecot the parent started (its defaults for user and password), for append/count/client."""
    from tests.dovecot import Dovecot

    return Dovecot(Path(args.dovecot_base), port=args.port)


def phase_load(args: argparse.Namespace, files: list[Path], _run_dir: Path) -> dict[str, Any]:
    dovecot = server(args)
    size = 0
    start = time.perf_counter()
    for first in range(0, len(files), APPEND_CHUNK):
        raws = [path.read_bytes() for path in files[first:first + APPEND_CHUNK]]
        size += sum(map(len, raws))
        dovecot.append(raws)
    seconds = time.perf_counter() - start
    in_inbox = dovecot.count("INBOX")
    if in_inbox != len(files):
        raise SystemExit(f"imap_bench: loaded {len(files)} mails but INBOX holds {in_inbox}")
    return {"mails": len(files), "seconds": seconds, "bytes": size}


def phase_fetch(args: argparse.Namespace, _files: list[Path], _run_dir: Path) -> dict[str, Any]:
    from imapclient import IMAPClient

    dovecot = server(args)
    size = count = 0
    start = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=60)
    client.login(dovecot.user, dovecot.password)
    client.select_folder("INBOX")
    uids = client.search(["ALL"])
    for first in range(0, len(uids), FETCH_BATCH):
        for item in client.fetch(uids[first:first + FETCH_BATCH], ["BODY.PEEK[]"]).values():
            size += len(item[b"BODY[]"])
            count += 1
    client.logout()
    return {"mails": count, "seconds": time.perf_counter() - start, "bytes": size}


def settings_for(run_dir: Path, dovecot: Dovecot) -> Any:
    from inbox_worker.config import settings_from_dict

    return settings_from_dict({
        "database": {"url": f"sqlite:///{run_dir / 'inbox.db'}"},
        "storage": {"attachments_dir": str(run_dir / "attachments")},
        "mailbox": {"host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": dovecot.user,
                    "password": dovecot.password, "processed_folder": PROCESSED_FOLDER, "batch_size": 100},
    }, "bench")


def new_database(settings: Any) -> Any:
    """A fresh SQLite database with the schema and the demo registry (what `init-db` + `registry import` do)."""
    from sqlalchemy.orm import Session

    from inbox_worker.store.db import make_engine, migrate
    from inbox_worker.store.registry_import import import_registry

    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, REGISTRY)
    return engine


def outcome_counts(engine: Any) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("select outcome, count(*) from raw_messages group by outcome")).all()
    return {str(outcome): int(count) for outcome, count in rows}


def print_profile(profiler: Any, out: Path) -> None:
    import pstats

    profiler.dump_stats(out)
    print(f"\n--- cProfile of poll --once, main thread only (top 20 by cumulative time; full profile: {out}) ---",
          file=sys.stderr)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(20)


def phase_poll(args: argparse.Namespace, files: list[Path], run_dir: Path) -> dict[str, Any]:
    import cProfile

    import mailparser  # noqa: F401  (what the worker imports anyway; loaded before the clock starts)

    from inbox_worker.mail.batching import ParsePool
    from inbox_worker.mail.worker import MailboxWorker

    dovecot = server(args)
    rss_imports = peak_rss_mb()
    start = time.perf_counter()
    settings = settings_for(run_dir, dovecot)
    engine = new_database(settings)
    setup = time.perf_counter() - start
    profiler = cProfile.Profile()
    if args.profile_out:
        profiler.enable()
    import resource

    start, cpu_start, thread_start = time.perf_counter(), time.process_time(), time.thread_time()
    children_start = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = MailboxWorker(settings, engine)  # `poll --once`: construct, run_once, close
    try:
        started = time.perf_counter()
        stats = worker.run_once()
        run_once = time.perf_counter() - started
    finally:
        worker.close()
    seconds = time.perf_counter() - start
    cpu, main_thread = time.process_time() - cpu_start, time.thread_time() - thread_start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parse worker, reaped by close()
    children_cpu = (children.ru_utime + children.ru_stime) - (children_start.ru_utime + children_start.ru_stime)
    if args.profile_out:
        profiler.disable()
        print_profile(profiler, args.profile_out)
    peak, hwm = peak_rss_mb(), vm_hwm_mb()  # before the checks below, which are not part of the poll
    return {"mails": len(files), "seconds": seconds, "run_once_seconds": run_once, "setup_seconds": setup,
            "cpu_seconds": cpu, "main_thread_cpu_seconds": main_thread,
            "worker_cpu_seconds": ParsePool.last_worker_cpu_seconds, "children_cpu_seconds": children_cpu,
            "fetched": stats.fetched, "processed": stats.processed, "errors": stats.errors,
            "skipped": stats.skipped, "inbox_left": dovecot.count("INBOX"),
            "in_processed_folder": dovecot.count(PROCESSED_FOLDER), "outcomes": outcome_counts(engine),
            "child_peak_rss_mb": ParsePool.last_worker_peak_rss_mb, "rss_after_imports_mb": rss_imports,
            "peak_rss_mb": peak, "vm_hwm_mb": hwm,
            "db_bytes": sum(p.stat().st_size for p in run_dir.glob("inbox.db*"))}


def _parse(_args: argparse.Namespace, files: list[Path], run_dir: Path) -> dict[str, Any]:
    return phase_parse(files, run_dir, None)


PHASES = {"load": phase_load, "fetch": phase_fetch, "parse": _parse, "poll": phase_poll}


def child_main(args: argparse.Namespace) -> int:
    run_dir: Path = args.run_dir
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    files = mail_files(args.input)[:args.limit]
    result = PHASES[args.phase](args, files, run_dir)
    result.setdefault("peak_rss_mb", peak_rss_mb())
    result.setdefault("vm_hwm_mb", vm_hwm_mb())
    print(json.dumps(result))
    return 0


# --- parent side ---------------------------------------------------------------------------------------


def run_child(phase: str, corpus: Path, limit: int, run_dir: Path, dovecot: Dovecot | None = None,
              profile_out: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--input", str(corpus),
               "--limit", str(limit), "--run-dir", str(run_dir)]
    if dovecot is not None:
        command += ["--dovecot-base", str(dovecot.base), "--port", str(dovecot.port)]
    command += ["--profile-out", str(profile_out)] if profile_out else []
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, timeout=CHILD_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"imap_bench: the {phase} phase failed (exit {done.returncode}); see its stderr above")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def imap_run(phase: str, corpus: Path, limit: int, workdir: Path,
             profile_out: Path | None = None) -> dict[str, Any]:
    """A fresh Dovecot holding the first `limit` mails of the corpus, one measured child, and away with it."""
    from tests.dovecot import Dovecot

    # start_dovecot(), spelled out, so that the folder goes even when the start itself fails.
    dovecot = Dovecot(Path(tempfile.mkdtemp(prefix="dovecot-")))
    try:
        dovecot.start()
        load = run_child("load", corpus, limit, workdir / "run-load", dovecot)
        result = run_child(phase, corpus, limit, workdir / f"run-{phase}", dovecot, profile_out)
    finally:
        with signals_held():
            dovecot.stop()
            remove(dovecot.base)
    result.update(load_seconds=load["seconds"], load_bytes=load["bytes"])
    return result


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block is done, so that a kill cannot cut a cleanup short."""
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def remove(folder: Path, timeout: float = 10.0) -> None:
    """rmtree, again until it is gone: an imap process of a just-stopped Dovecot may still be writing mail."""
    deadline = time.monotonic() + timeout
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists() or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = _fastest(runs)  # the fastest run, with all times, and the largest main-process peak of them all
    if any("child_peak_rss_mb" in run for run in runs):
        best["child_peak_rss_mb"] = max(run.get("child_peak_rss_mb") or 0.0 for run in runs)
    if any("load_seconds" in run for run in runs):
        best["all_load_seconds"] = [round(run["load_seconds"], 2) for run in runs]
    return best


def run_phases(corpus: Path, n: int, workdir: Path, repeat: int) -> dict[str, dict[str, Any]]:
    runs: dict[str, list[dict[str, Any]]] = {"fetch": [], "parse": [], "poll": [], "poll_small": []}
    for _ in range(repeat):  # alternate, so a slow spell of the machine hits every side alike
        runs["fetch"].append(imap_run("fetch", corpus, n, workdir))
        runs["parse"].append(run_child("parse", corpus, n, workdir / "run-parse"))
        runs["poll"].append(imap_run("poll", corpus, n, workdir))
        runs["poll_small"].append(imap_run("poll", corpus, max(1, n // 10), workdir))
    return {name: fastest(phase_runs) for name, phase_runs in runs.items()}


def check(name: str, value: float, limit: float) -> dict[str, Any]:
    return {"name": name, "value": round(value, 2), "limit": f"<= {limit:g}", "pass": value <= limit}


def drained(poll: dict[str, Any]) -> bool:
    return (poll["processed"] == poll["fetched"] == poll["mails"] and poll["inbox_left"] == 0
            and poll["in_processed_folder"] == poll["mails"] and not poll["errors"] and not poll["skipped"])


def checks(phases: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    poll, small = phases["poll"], phases["poll_small"]
    floor = phases["fetch"]["seconds"] + phases["parse"]["seconds"]
    return [
        check("poll / (fetch + parse)", poll["seconds"] / floor, RATIO_MAX),
        check("peak RSS N / N/10", poll["peak_rss_mb"] / small["peak_rss_mb"], RSS_GROWTH_MAX),
        check("parse worker N / N/10", (poll["child_peak_rss_mb"] or 0.0) / (small["child_peak_rss_mb"] or 1.0),
              RSS_GROWTH_MAX),
        {"name": "drained", "value": "yes" if drained(poll) and drained(small) else "no",
         "limit": "INBOX empty, all done", "pass": drained(poll) and drained(small)},
    ]


# --- report --------------------------------------------------------------------------------------------


def row(label: str, mails: int, seconds: float, rss: float | None = None, worker: float | None = None) -> str:
    rate = mails / seconds if seconds else float("inf")
    mem = f"{rss:>12.1f}" if rss is not None else f"{'-':>12}"
    work = f"{worker:>10.1f}" if worker else f"{'-':>10}"
    return f"{label:<30} {mails:>7,} {seconds:>9.2f} {rate:>9.1f} {mem} {work}"


def outcome_text(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in sorted(outcomes.items()))


def report(result: dict[str, Any]) -> str:
    phases, corpus, n = result["phases"], result["corpus"], result["n"]
    fetch, parse, poll, small = phases["fetch"], phases["parse"], phases["poll"], phases["poll_small"]
    lines = [f"inbox-worker IMAP benchmark: {n:,} mails, seed {result['seed']}, corpus {corpus['bytes'] / MIB:.1f} MiB "
             f"(generated in {corpus['generate_seconds']:.1f} s), Dovecot on 127.0.0.1, SQLite, "
             f"Python {result['python']}", "",
             f"{'phase':<30} {'mails':>7} {'seconds':>9} {'mails/s':>9} {'peak RSS MB':>12} {'worker MB':>10}",
             row("bare fetch (imapclient)", fetch["mails"], fetch["seconds"], fetch["peak_rss_mb"]),
             row("bare parse (mail-parser)", parse["mails"], parse["seconds"], parse["peak_rss_mb"]),
             row("fetch + parse (the floor)", n, fetch["seconds"] + parse["seconds"]),
             row("poll --once (SQLite)", poll["mails"], poll["seconds"], poll["peak_rss_mb"],
                 poll["child_peak_rss_mb"]),
             row("poll --once, N/10", small["mails"], small["seconds"], small["peak_rss_mb"],
                 small["child_peak_rss_mb"]),
             "",
             f"runs (s): fetch {fetch['all_seconds']}, parse {parse['all_seconds']}, poll {poll['all_seconds']}, "
             f"poll N/10 {small['all_seconds']}; fastest counts",
             f"loading into Dovecot (MULTIAPPEND, not timed in any phase): {n:,} mails in "
             f"{poll['all_load_seconds']} s, {small['mails']:,} in {small['all_load_seconds']} s",
             f"bytes: corpus {corpus['bytes']:,}, fetched {fetch['bytes']:,}",
             f"poll: run_once {poll['run_once_seconds']:.2f} s of {poll['seconds']:.2f} s (the rest: worker start "
             f"and close); setup (db + migrate + registry) {poll['setup_seconds']:.2f} s, not counted",
             f"poll: fetched {poll['fetched']:,}, processed {poll['processed']:,}, errors {poll['errors']}; "
             f"INBOX left {poll['inbox_left']:,}, in {PROCESSED_FOLDER} {poll['in_processed_folder']:,}; "
             f"RSS after imports {poll['rss_after_imports_mb']:.1f} MB; database {poll['db_bytes'] / MIB:.1f} MiB",
             f"poll CPU (fastest run): main process {poll['cpu_seconds']:.2f} s = "
             f"{poll['cpu_seconds'] * 1000 / max(1, poll['mails']):.2f} ms/mail (main thread "
             f"{poll['main_thread_cpu_seconds'] * 1000 / max(1, poll['mails']):.2f}), parse worker "
             f"{poll['worker_cpu_seconds']:.2f} s = {poll['worker_cpu_seconds'] * 1000 / max(1, poll['mails']):.2f} "
             f"ms/mail, other child processes (IMAP fetch) "
             f"{poll['children_cpu_seconds'] - poll['worker_cpu_seconds']:.2f} s",
             f"poll outcomes: {outcome_text(poll['outcomes'])}",
             f"poll N/10 outcomes: {outcome_text(small['outcomes'])}"]
    return "\n".join(lines + target_lines(n, result["checks"]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="IMAP benchmark for inbox-worker (see bench/README.md)")
    parser.add_argument("--n", type=int, default=1000, help="number of mails (default 1000)")
    parser.add_argument("--seed", type=int, default=1234, help="corpus seed (default 1234)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of every phase, alternating; the fastest of each counts (default 2)")
    parser.add_argument("--workdir", type=Path, help="keep corpus and databases here and reuse the corpus "
                        "(default: a temporary folder, removed afterwards)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, run the poll phase once more under cProfile and print the top 20 "
                        "functions by cumulative time to stderr (the .prof file stays in --workdir)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dovecot-base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    corpus, _, generate_seconds = make_corpus(workdir, args.n, args.seed, None)
    phases = run_phases(corpus, args.n, workdir, args.repeat)
    if args.profile:
        imap_run("poll", corpus, args.n, workdir, workdir / "poll.prof")
    corpus_info = {"path": str(corpus), "bytes": sum(p.stat().st_size for p in corpus.glob("*.eml")),
                   "generate_seconds": generate_seconds}
    return {"n": args.n, "seed": args.seed, "python": sys.version.split()[0], "corpus": corpus_info,
            "parent_rss_mb": peak_rss_mb(), "phases": phases, "checks": checks(phases)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        return child_main(args)
    # A plain `kill` too ends through the finally blocks, which stop every Dovecot and remove its folder.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    return run_in_workdir(args, bench, report, "inbox-imap-bench-")


if __name__ == "__main__":
    raise SystemExit(main())
