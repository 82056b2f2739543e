"""`python -m inbox_worker` is the `inbox-worker` command."""

from inbox_worker.cli import main

# Guarded: the parse worker process (multiprocessing spawn) re-imports the main module.
if __name__ == "__main__":
    raise SystemExit(main())
