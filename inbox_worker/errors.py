"""The one exception type that reaches the user as a single clear line instead of a traceback."""


class UserError(Exception):
    """A problem with the user's input or configuration; its message is shown as one line on stderr."""


class DatabaseBusy(UserError):
    """The database stayed locked by another process longer than we wait: nothing was lost, try again.

    Not a fault of the mail being processed, so it is never quarantined for it; its raw bytes are either
    stored and processed on the next run, or still in the mailbox (or the file) to be fetched again.
    """

    def __init__(self, detail: str) -> None:
        super().__init__("databasen er optaget af en anden proces (database is locked); intet er tabt, "
                         f"prøv igen om lidt: {detail[:200]}")
