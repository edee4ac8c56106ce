"""Command-line pieces for IBM Quantum cloud backends: flags, projection, approval, job tables.

Shared by ``qv``, ``classify`` and ``resume``: build the executor,
project the QPU seconds and cost of what will be sent, refuse a run over ``--max-qpu-seconds``,
and ask before submitting unless ``--yes``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from quantumlimits.cli import _common
from quantumlimits.errors import UsageError
from quantumlimits.execution import ibm, qpu_time
from quantumlimits.execution.backends import is_cloud_name
from quantumlimits.execution.executor import JobKey
from quantumlimits.qv.settings import QVSettings
from quantumlimits.store import JobRecord, ResultsStore

#: Seconds between job status checks on the cloud (local testing mode polls faster).
POLL_SECONDS = 5.0
LOCAL_POLL_SECONDS = 0.1


def add_arguments(
    parser: argparse.ArgumentParser, *, mode: bool = True, price: bool = True
) -> None:
    """``--account``, ``--mode``, ``--max-qpu-seconds``, ``--usd-per-qpu-second``, ``--yes``
    (``price=False`` for a command with a price flag of its own)."""
    g = parser.add_argument_group("IBM Quantum cloud backends (ibm_<device>)")
    g.add_argument(
        "--account",
        default=None,
        help="saved qiskit-ibm-runtime account name (default: QISKIT_IBM_TOKEN / "
        "QISKIT_IBM_INSTANCE, else the default saved account)",
    )
    if mode:
        g.add_argument(
            "--mode",
            choices=ibm.MODES,
            default="batch",
            help="execution mode: batch (jobs queue together), session (exclusive access), or job",
        )
    g.add_argument(
        "--max-qpu-seconds",
        type=_positive_float,
        default=None,
        help="refuse before sending anything if the projected QPU seconds exceed this",
    )
    if price:
        g.add_argument(
            "--usd-per-qpu-second",
            type=_positive_float,
            default=qpu_time.USD_PER_QPU_SECOND,
            help="price used for the projected cost (IBM Pay-As-You-Go list price by default)",
        )
    g.add_argument(
        "--yes",
        action="store_true",
        help="submit without asking (otherwise a terminal asks; a non-terminal refuses)",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def check_flags(args: argparse.Namespace) -> None:
    """Cloud-only flags on a local backend are a mistake worth one line."""
    if is_cloud_name(args.backend):
        if getattr(args, "no_store", False):
            raise UsageError(
                "--no-store cannot be used with an IBM Quantum backend: job ids are recorded "
                "in the store so an interrupted run can be resumed"
            )
        return
    price = getattr(args, "usd_per_qpu_second", qpu_time.USD_PER_QPU_SECOND)
    used = [
        flag
        for flag, value in (
            ("--account", args.account),
            ("--max-qpu-seconds", args.max_qpu_seconds),
            ("--mode", None if getattr(args, "mode", "batch") == "batch" else args.mode),
            ("--usd-per-qpu-second", None if price == qpu_time.USD_PER_QPU_SECOND else price),
            ("--yes", True if getattr(args, "yes", False) else None),
        )
        if value is not None
    ]
    if used:
        raise UsageError(
            f"{', '.join(used)} apply to IBM Quantum backends (ibm_<device>) only, "
            f"not to {args.backend}"
        )


def executor(
    *, backend: str, account: str | None, mode: str, max_qpu_seconds: float | None
) -> ibm.IBMExecutor:
    """Credentials -> transport -> executor for the cloud device ``backend``."""
    credentials = ibm.resolve_credentials(account=account)
    transport = ibm.open_transport(backend, credentials=credentials, mode=mode)
    return ibm.IBMExecutor(
        backend,
        transport=transport,
        max_qpu_seconds=max_qpu_seconds,
        poll_seconds=LOCAL_POLL_SECONDS if transport.local else POLL_SECONDS,
        max_poll_seconds=LOCAL_POLL_SECONDS if transport.local else ibm.MAX_POLL_SECONDS,
        secrets=[credentials.token],
    )


def approve(
    *,
    projection: qpu_time.Projection,
    backend: str,
    max_qpu_seconds: float | None,
    usd_per_second: float,
    yes: bool,
    console: Console,
    local: bool,
    hint: str = "pass fewer --widths, --trials or --shots",
) -> None:
    """Show the projection; refuse over budget (``hint`` says what to reduce); ask unless
    ``yes`` (refuse off a terminal)."""
    line = qpu_time.describe(projection, usd_per_second=usd_per_second)
    where = f"{backend} (local testing mode: nothing is billed)" if local else backend
    console.print(f"projected on {where}: {line}", soft_wrap=True)
    if projection.jobs == 0:
        return
    if max_qpu_seconds is not None and projection.seconds > max_qpu_seconds:
        raise UsageError(
            f"the run would use about {projection.seconds:.1f} QPU seconds, over "
            f"--max-qpu-seconds {max_qpu_seconds:g}: nothing was sent; raise the budget or "
            f"{hint}"
        )
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"not submitted: {line}; pass --yes to submit (or run on a terminal to be asked)"
        )
    answer = console.input("submit these jobs? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise UsageError("not submitted: the projection was declined")


def prepare_qv(
    ex: ibm.IBMExecutor, settings: QVSettings
) -> tuple[qpu_time.Projection, dict[JobKey, list[Any]]]:
    """Projected QPU time of what a QV run still has to send, and its ISA circuits by job key."""
    from quantumlimits.qv import build, cloud
    from quantumlimits.qv.protocol import load_device

    device = load_device(settings.backend, executor=ex)
    planned = cloud.planned_widths(
        widths=settings.widths or None,
        max_width=settings.max_width,
        device_qubits=device.max_width,
    )
    too_wide = [w for w in planned if w > device.max_width]
    if too_wide:
        raise UsageError(
            f"widths {too_wide} are wider than {ex.backend} allows ({device.max_width} qubits): "
            "pass smaller --widths"
        )
    total = qpu_time.NOTHING
    circuits: dict[JobKey, list[Any]] = {}
    for width in planned:
        key = build.job_key(width, width)
        circuits[key] = cloud.isa_circuits(device=device, settings=settings, width=width)
        total = total + ex.projection(circuits[key], key=key, shots=settings.shots)
    return total, circuits


#: A job table's first column: its header and how it names a journal key (a QV width).
KeyColumn = tuple[str, Callable[[str], str]]
WIDTH_COLUMN: KeyColumn = ("width", lambda key: key.removeprefix("w").replace("d", " depth "))


def jobs_table(
    jobs: Sequence[JobRecord], *, usd_per_second: float, key: KeyColumn = WIDTH_COLUMN
) -> Table:
    """Every job submission of a run: id, status, projected and billed QPU seconds."""
    table = Table(title="IBM Quantum jobs", title_justify="left")
    for column in (key[0], "job", "try", "job id", "status", "projected s", "usage s", "error"):
        table.add_column(
            column,
            justify="left" if column in ("job id", "error") else "right",
            no_wrap=column == "job id",
        )
    for j in jobs:
        table.add_row(
            key[1](j.key),
            str(j.chunk),
            str(j.attempt),
            j.job_id or "-",
            j.status,
            _common.fmt(j.projected_seconds, 1),
            _common.fmt(j.usage_seconds, 1),
            (j.error or "")[:80],
        )
    projected, used = ibm.usage_summary(jobs)
    table.caption = f"projected {projected:.1f} QPU s (~${projected * usd_per_second:.2f}); " + (
        f"IBM reported {used:.1f} QPU s (~${used * usd_per_second:.2f})"
        if used is not None
        else "no usage reported yet"
    )
    return table


def print_jobs(
    console: Console,
    store: ResultsStore,
    run_id: str | None,
    *,
    usd_per_second: float,
    key: KeyColumn = WIDTH_COLUMN,
) -> None:
    """The jobs table of a run, when it has jobs."""
    if run_id is None:
        return
    jobs = store.jobs(run_id)
    if jobs:
        console.print(jobs_table(jobs, usd_per_second=usd_per_second, key=key))


def qv_executor(
    settings: QVSettings,
    *,
    account: str | None,
    mode: str,
    max_qpu_seconds: float | None,
    usd_per_second: float,
    yes: bool,
    console: Console,
    resume: tuple[ResultsStore, str] | None = None,
) -> ibm.IBMExecutor | None:
    """The approved executor for a QV run on a cloud device (None for local backends).

    Explicit widths are queued up front (their jobs wait in one Batch together); an ``auto``
    scan submits width by width, within the budget approved for every width it may reach.
    """
    if not is_cloud_name(settings.backend):
        return None
    ex = executor(
        backend=settings.backend, account=account, mode=mode, max_qpu_seconds=max_qpu_seconds
    )
    warn_if_local(console, ex, settings.backend)
    if resume is not None:
        ex.attach(store=resume[0], run_id=resume[1])
    projection, circuits = prepare_qv(ex, settings)
    approve(
        projection=projection,
        backend=settings.backend,
        max_qpu_seconds=max_qpu_seconds,
        usd_per_second=usd_per_second,
        yes=yes,
        console=console,
        local=ex.transport.local,
    )
    if settings.widths:
        ex.queue_upfront(circuits, shots=settings.shots, seed=settings.seed)
    return ex


def warn_if_local(console: Console, ex: ibm.IBMExecutor, backend: str) -> None:
    """One warning line when ``backend`` runs on a fake snapshot in local testing mode."""
    if ex.transport.local:
        console.print(
            f"[yellow]warning:[/yellow] {ibm.ENV_LOCAL} is set: {backend} runs on the "
            f"fake snapshot {ex.device().name} in qiskit-ibm-runtime's local testing mode",
            soft_wrap=True,
        )


def resume_hint(console: Console, run_id: str | None) -> None:
    """After Ctrl-C: the cloud jobs keep running, and how to collect them."""
    if run_id is not None:
        console.print(
            "submitted jobs keep running on IBM Quantum; collect them with: "
            f"quantumlimits resume {run_id}",
            soft_wrap=True,
        )


def require_budget(*, what: str, max_qpu_seconds: float | None) -> float:
    """Refuse open-ended QPU spending: ``what`` (e.g. training on hardware, whose number of
    circuit executions is not known up front) needs an explicit ``--max-qpu-seconds``.

    >>> require_budget(what="training on ibm_torino", max_qpu_seconds=600.0)
    600.0
    """
    if max_qpu_seconds is None:
        raise UsageError(
            f"{what} needs an explicit budget: pass --max-qpu-seconds "
            "(the executor refuses every job that would exceed it)"
        )
    return max_qpu_seconds
