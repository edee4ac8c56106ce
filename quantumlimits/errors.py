"""Exceptions that carry a message meant for the person who made the mistake."""

from __future__ import annotations


class UsageError(ValueError):
    """Bad input from a user: the message names the problem and the fix.

    The command line prints the message as one line and exits with status 2.
    Library callers get an ordinary ``ValueError`` subclass.

    >>> str(UsageError("--shots must be positive, got 0: pass --shots 1000"))
    '--shots must be positive, got 0: pass --shots 1000'
    """


class StoreError(UsageError):
    """The results store cannot be opened or written (corrupt file, newer schema, no permission)."""


class MissingExtraError(UsageError):
    """An optional dependency is needed for this feature and is not installed."""

    def __init__(self, *, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {module!r}: pip install 'quantumlimits[{extra}]'"
        )
