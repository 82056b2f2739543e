"""`python -m inbox_worker` is the `inbox-worker` command."""

from .cli import main

raise SystemExit(main())
