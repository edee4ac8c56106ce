"""IBM Quantum credentials through qiskit-ibm-runtime's account handling, and token redaction.

The token is resolved from ``--account NAME``, ``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` or
the default saved account, checked for shape without network, and never leaves
:class:`Credentials`: every message that could carry it passes through :func:`redact`, and
:func:`redacted_logs` scrubs library log records while the cloud is in use.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from quantumlimits.errors import UsageError
from quantumlimits.execution.ibm.retry import is_transient

logger = logging.getLogger(__name__)

CHANNEL = "ibm_quantum_platform"
ENV_TOKEN = "QISKIT_IBM_TOKEN"
ENV_INSTANCE = "QISKIT_IBM_INSTANCE"
SETUP_HINT = (
    "set QISKIT_IBM_TOKEN (an IBM Cloud API key) and QISKIT_IBM_INSTANCE, or save an account "
    "with QiskitRuntimeService.save_account(...) and pass --account NAME (docs/ibm.md)"
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-.]{20,}")
REDACTED = "[REDACTED]"


# -- secrets ---------------------------------------------------------------------------------


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (and any long run of a secret's characters) replaced.

    >>> redact("bad token abcdefghijklmnopqrstuvwxyz0123", ["abcdefghijklmnopqrstuvwxyz0123"])
    'bad token [REDACTED]'
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


class _RedactingFilter(logging.Filter):
    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


@contextmanager
def redacted_logs(secrets: Sequence[str]) -> Iterator[None]:
    """Scrub ``secrets`` from records of qiskit-ibm-runtime's, urllib3's and our own loggers."""
    filt = _RedactingFilter([s for s in secrets if s])
    names = ["qiskit_ibm_runtime", "urllib3", "requests", "quantumlimits"]
    names += [n for n in logging.root.manager.loggerDict if n.startswith(tuple(names))]
    loggers = [logging.getLogger(n) for n in dict.fromkeys(names)]
    handlers = [h for lg in [logging.root, *loggers] for h in lg.handlers]
    for item in [*loggers, *handlers]:
        item.addFilter(filt)
    try:
        yield
    finally:
        for item in [*loggers, *handlers]:
            item.removeFilter(filt)


# -- credentials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Where the IBM Quantum credential came from; the token itself is never shown.

    >>> c = Credentials(source="QISKIT_IBM_TOKEN", token="a" * 44, instance=None)
    >>> "a" * 44 in repr(c), c.describe()
    (False, 'QISKIT_IBM_TOKEN')
    """

    source: str
    token: str = field(repr=False)
    instance: str | None
    account: str | None = None
    channel: str = CHANNEL
    filename: str | None = None

    def __post_init__(self) -> None:
        token = self.token
        if not isinstance(token, str) or not token.strip():
            raise UsageError(
                f"the IBM Quantum token from {self.source} is empty or not text: {SETUP_HINT}"
            )
        if not _TOKEN_RE.fullmatch(token):
            problem = (
                "contains whitespace or quotes"
                if re.search(r"[\s'\"]", token)
                else f"is {len(token)} characters long or has characters an API key never has"
            )
            raise UsageError(
                f"the IBM Quantum token from {self.source} is malformed (it {problem}): "
                "copy the API key again from quantum.cloud.ibm.com; " + SETUP_HINT
            )

    def describe(self) -> str:
        """Where the credential came from, for messages (never the token)."""
        return self.source


# qiskit-ibm-runtime's own default (accounts.management._DEFAULT_ACCOUNT_CONFIG_JSON_FILE; a
# test holds them equal), spelled here so that a machine with no saved account skips its import.
DEFAULT_ACCOUNTS_FILE = os.path.join(os.path.expanduser("~"), ".qiskit", "qiskit-ibm.json")


def _nothing_saved(path: str) -> bool:
    """Whether the accounts file is missing or holds no account (qiskit-ibm-runtime writes
    ``{}`` there the first time it looks)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle) == {}
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False  # unreadable or malformed: qiskit-ibm-runtime says what is wrong


def _accounts_file(filename: str | None) -> str | None:
    return os.path.expanduser(filename) if filename else None


def resolve_credentials(
    *,
    account: str | None = None,
    environ: Mapping[str, str] | None = None,
    filename: str | None = None,
) -> Credentials:
    """The credential qiskit-ibm-runtime would use: ``--account NAME``, else the environment
    (``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``), else the default saved account.

    Raises :class:`UsageError` with one line on how to set an account up when none is found or
    the token is malformed. Nothing here touches the network.
    """
    env = os.environ if environ is None else environ
    file = _accounts_file(filename)

    def saved(name: str | None) -> dict[str, Any]:
        if name is None and _nothing_saved(file or DEFAULT_ACCOUNTS_FILE):
            return {}  # no need to import qiskit-ibm-runtime (about a second)
        from qiskit_ibm_runtime import QiskitRuntimeService

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = QiskitRuntimeService.saved_accounts(filename=file, name=name)
        except Exception as exc:  # AccountNotFoundError or an unreadable file
            if name is not None:
                raise UsageError(
                    f"no saved IBM Quantum account named {name!r}: {SETUP_HINT}"
                ) from None
            logger.debug("no saved accounts: %s", type(exc).__name__)
            return {}
        return dict(found)

    if account is not None:
        found = saved(account)
        entry = found.get(account)
        if entry is None:
            raise UsageError(f"no saved IBM Quantum account named {account!r}: {SETUP_HINT}")
        return Credentials(
            source=f"saved account {account!r}",
            token=entry.get("token") or "",
            instance=entry.get("instance"),
            account=account,
            channel=entry.get("channel") or CHANNEL,
            filename=file,
        )
    token = env.get(ENV_TOKEN)
    if token is not None:
        return Credentials(source=ENV_TOKEN, token=token, instance=env.get(ENV_INSTANCE) or None)
    accounts = saved(None)
    if not accounts:
        raise UsageError(f"no IBM Quantum credentials found: {SETUP_HINT}")
    default = next(
        (n for n, a in accounts.items() if a.get("is_default_account")),
        next(
            (n for n in accounts if n in ("default-ibm-quantum-platform", "default")),
            next(iter(accounts)),
        ),
    )
    entry = accounts[default]
    return Credentials(
        source=f"saved account {default!r}",
        token=entry.get("token") or "",
        instance=entry.get("instance"),
        account=default,
        channel=entry.get("channel") or CHANNEL,
        filename=file,
    )


def _network_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if is_transient(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def connect(credentials: Credentials) -> Any:
    """A ``QiskitRuntimeService`` for ``credentials`` (raises one clear line on failure)."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    runtime_log = logging.getLogger("qiskit_ibm_runtime")
    level = runtime_log.level
    # it warns that a given token overrides saved accounts: not news, and it would precede our
    # one-line error
    runtime_log.setLevel(max(level, logging.ERROR))
    with redacted_logs([credentials.token]):
        try:
            if credentials.account is not None:
                return QiskitRuntimeService(name=credentials.account, filename=credentials.filename)
            return QiskitRuntimeService(
                channel=CHANNEL, token=credentials.token, instance=credentials.instance
            )
        except Exception as exc:
            detail = redact(str(exc), [credentials.token]).strip().splitlines()
            why = detail[0] if detail else type(exc).__name__
            if _network_error(exc):
                raise UsageError(
                    f"cannot reach IBM Quantum to check the credential from "
                    f"{credentials.describe()} (network error): check the connection and retry"
                ) from None
            raise UsageError(
                f"IBM Quantum rejected the credential from {credentials.describe()} ({why}): "
                + SETUP_HINT
            ) from None
        finally:
            runtime_log.setLevel(level)
