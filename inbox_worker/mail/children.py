"""Child processes of the worker (parser, IMAP fetcher): exit as soon as the process that started them is gone."""

from __future__ import annotations

import os
import threading
import time


def exit_with_parent(parent_pid: int) -> None:
    """In a child: exit as soon as the process that started it is gone (killed, crashed).

    A child never notices by itself (it holds both ends of its queue's pipe), so without this a
    SIGKILLed worker would leave an orphan behind, holding its parent's stdout open.
    """

    def watch() -> None:
        # Re-parenting, not kill(pid, 0): a killed parent stays a zombie until reaped, and kill() succeeds on it.
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
