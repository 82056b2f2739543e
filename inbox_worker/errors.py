"""The one exception type that reaches the user as a single clear line instead of a traceback."""


class UserError(Exception):
    """A problem with the user's input or configuration; its message is shown as one line on stderr."""
