"""Transient errors (network, timeouts, HTTP 429 and 5xx) and capped exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass

from quantumlimits.errors import ResumableRunError

_TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying: network errors, timeouts, HTTP 429 and 5xx."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import requests

        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return True
    except ImportError:  # pragma: no cover - requests ships with qiskit-ibm-runtime
        pass
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and status in _TRANSIENT_STATUS


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient errors: ``base * factor**k`` seconds, capped.

    >>> RetryPolicy(attempts=5, base_seconds=1, factor=2, cap_seconds=5).delays()
    (1.0, 2.0, 4.0, 5.0)
    """

    attempts: int = 6
    base_seconds: float = 2.0
    factor: float = 2.0
    cap_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if self.base_seconds < 0 or self.factor < 1 or self.cap_seconds < 0:
            raise ValueError(f"bad backoff {self!r}")

    def delays(self) -> tuple[float, ...]:
        """The waits between attempts."""
        return tuple(
            float(min(self.cap_seconds, self.base_seconds * self.factor**k))
            for k in range(self.attempts - 1)
        )


class TransientFailure(ResumableRunError):
    """A transient error (network, 5xx, timeout) outlasted every retry."""


class ServiceError(ResumableRunError):
    """IBM Quantum refused a request for good (e.g. an expired credential); message redacted."""


def _service_exception(exc: BaseException) -> bool:
    """Errors raised by qiskit-ibm-runtime or the HTTP layer (as opposed to programming errors)."""
    from qiskit.exceptions import QiskitError

    try:
        import requests

        if isinstance(exc, requests.exceptions.RequestException):
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(exc, QiskitError)
