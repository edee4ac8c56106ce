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


class ResumableRunError(Exception):
    """A run stopped before completing but can continue: ``quantumlimits resume RUN_ID``.

    Raised when a cloud job fails on the device or a transient error outlasts its retries. Every
    job id and every finished job's counts are already in the results store. The command line
    prints the message as one line and exits with status 3.
    """

    def __init__(self, message: str, *, run_id: str | None) -> None:
        hint = f"; continue with: quantumlimits resume {run_id}" if run_id else ""
        super().__init__(message + hint)
        self.run_id = run_id
