"""What the pure decision stages cost per mail: run_pipeline over parsed synthetic mail, CPU time.

Parsing and storage are left out (they are measured by ingest_bench.py); this isolates what linking,
classification and the other pure stages add. CPU time of this process, fastest of --repeat runs,
so a busy machine moves the figure little. Run it on two checkouts to compare before and after:

    python bench/decide_bench.py --n 2000
    PYTHONPATH=/path/to/old/checkout python bench/decide_bench.py --n 2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mailgen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from sqlalchemy.orm import Session

    import inbox_worker
    from inbox_worker.config import Settings
    from inbox_worker.domain.types import MailContext
    from inbox_worker.mail.parse.parser import parse_mail
    from inbox_worker.mail.pipeline import PipelineParams, run_pipeline
    from inbox_worker.mail.rulebook import load_rulebook
    from inbox_worker.store import repository
    from inbox_worker.store.db import make_engine, migrate
    from inbox_worker.store.registry_import import import_registry

    with tempfile.TemporaryDirectory() as tmp:
        files = mailgen.generate(args.n, Path(tmp) / "corpus")
        mails = [parse_mail(path.read_bytes()) for path in files]
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate(engine)
        with Session(engine) as session, session.begin():
            import_registry(session, mailgen.REGISTRY)
        with Session(engine) as session:
            registry = repository.load_snapshot(session)
        engine.dispose()
    settings = Settings()
    rules = load_rulebook(settings.paths.rules)
    params = PipelineParams.from_settings(settings)
    context = MailContext(now=datetime(2026, 11, 25, tzinfo=UTC), tagged_ticket=None, referenced_ticket=None,
                          acks_to_sender_last_hour=0)
    runs = []
    for _ in range(args.repeat):
        start = time.process_time()
        for mail in mails:
            run_pipeline(mail, context, registry, rules, params)
        runs.append((time.process_time() - start) / len(mails) * 1000)
    print(f"inbox_worker from {Path(inbox_worker.__file__).parent}")
    print(f"pure decision stages: {min(runs):.3f} ms CPU per mail (fastest of {args.repeat}; "
          f"all: {', '.join(f'{r:.3f}' for r in runs)}) over {len(mails)} mails")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
