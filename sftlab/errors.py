"""User-facing errors: the CLI prints their message on one line and exits non-zero, with no traceback."""


class UserError(Exception):
    """Bad input from the user: a file, a field, a name. The message says what and where."""
