"""The ticket queue: the web UI's triage page and `tickets list`."""
