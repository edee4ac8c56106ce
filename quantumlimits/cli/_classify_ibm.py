"""``classify --backend ibm_<device>``: the command-line side of a classify run on a device.

The flags, the connection, the projection shown and approved before anything is sent, and the
job tables. The run itself is :mod:`quantumlimits.classify.device` (docs/classify.md, "On an IBM
Quantum device"); ``quantumlimits resume RUN_ID`` continues it from its recorded settings.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from rich.console import Console

from quantumlimits.classify.settings import ClassifySettings
from quantumlimits.cli import _ibm
from quantumlimits.errors import UsageError
from quantumlimits.execution.backends import is_cloud_name

if TYPE_CHECKING:  # the device side imports scikit-learn: only when a run uses a device
    from quantumlimits.classify.datasets import Split
    from quantumlimits.classify.device import DeviceRun
    from quantumlimits.store import ResultsStore

TRAIN_FLAG = "--train-on-backend"
_HINT = "pass fewer --seeds or --shots, a smaller test set (--test-size)"
_TRAIN_HINT = _HINT + ", fewer --max-steps or a smaller --batch-size"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--train-on-backend`` and the IBM flags (``--price-per-second`` prices)."""
    g = parser.add_argument_group("IBM Quantum device (docs/ibm.md, docs/classify.md)")
    g.add_argument(
        "--backend",
        default=None,
        metavar="ibm_<device>",
        help="also evaluate every trained quantum model on this IBM Quantum device",
    )
    g.add_argument(
        TRAIN_FLAG,
        action="store_true",
        help="train on the device too (parameter-shift gradients); needs --max-qpu-seconds",
    )
    _ibm.add_arguments(parser, mode=True, price=False)


def check_flags(args: argparse.Namespace) -> bool:
    """Whether the run uses a device; refuses misplaced flags before any connection."""
    backend = args.backend
    if backend is None:
        used = [
            flag
            for flag, value in (
                ("--account", args.account),
                ("--max-qpu-seconds", args.max_qpu_seconds),
                ("--mode", None if args.mode == "batch" else args.mode),
                (TRAIN_FLAG, args.train_on_backend or None),
            )
            if value is not None
        ]
        if used:
            raise UsageError(
                f"{', '.join(used)} apply to --backend ibm_<device> only: add --backend, or "
                "drop them"
            )
        return False
    if not is_cloud_name(backend):
        raise UsageError(
            f"--backend {backend} is not an IBM Quantum device: pass ibm_<device> (a simulated "
            f"device is --device-model {backend} --noisy-eval)"
        )
    _ibm.check_flags(args)
    if args.train_on_backend:
        _ibm.require_budget(
            what=f"training on {backend} ({TRAIN_FLAG})", max_qpu_seconds=args.max_qpu_seconds
        )
    return True


def open_device(
    settings: ClassifySettings,
    args: argparse.Namespace,
    *,
    split: Split,
    store: ResultsStore | None,
    resume_run_id: str | None = None,
) -> DeviceRun:
    """The approved device side of a classify run: connect, transpile each quantum model to the
    device, take what a resumed run recorded, show the projected QPU seconds and cost of
    everything still to send, and refuse over ``--max-qpu-seconds`` or without approval —
    before anything is sent. ``args`` holds this invocation's account, mode, budget and ``--yes``.
    """
    from quantumlimits.classify import device

    device.check(settings)
    if settings.train_on_backend:
        _ibm.require_budget(
            what=f"training on {settings.backend} ({TRAIN_FLAG})",
            max_qpu_seconds=args.max_qpu_seconds,
        )
    assert settings.backend is not None
    console = Console(stderr=True)
    ex = _ibm.executor(
        backend=settings.backend,
        account=args.account,
        mode=args.mode,
        max_qpu_seconds=args.max_qpu_seconds,
    )
    try:
        _ibm.warn_if_local(console, ex, settings.backend)
        hw = device.prepare(
            settings, split=split, executor=ex, mode=args.mode, report=console.print
        )
        if resume_run_id is not None:
            assert store is not None
            hw.load(store, store.resolve(resume_run_id))
        _ibm.approve(
            projection=hw.projection(),
            backend=settings.backend,
            max_qpu_seconds=args.max_qpu_seconds,
            usd_per_second=float(settings.price_per_second),
            yes=args.yes,
            console=console,
            local=ex.transport.local,
            hint=_TRAIN_HINT if hw.train else _HINT,
        )
    except BaseException:
        ex.close()
        raise
    return hw


def print_jobs(hw: DeviceRun) -> None:
    """The run's jobs table: key, job id, status, projected and billed QPU seconds."""
    if hw.store is not None:
        _ibm.print_jobs(
            jobs_console(),
            hw.store,
            hw.run_id,
            usd_per_second=float(hw.settings.price_per_second),
            key=("model seed step", hw.describe),
        )


def interrupted(hw: DeviceRun) -> None:
    """Say how to continue after Ctrl-C."""
    _ibm.resume_hint(Console(stderr=True), hw.run_id)


def jobs_console() -> Console:
    """stderr for job tables: the terminal's width, or wide enough for a job id and its key
    column when stderr is a file or pipe (rich assumes 80 columns there)."""
    console = Console(stderr=True)
    return console if console.is_terminal else Console(stderr=True, width=160)


def key_column(inputs: dict[str, Any] | None) -> _ibm.KeyColumn:
    """How a recorded classify run's job table names its journal keys."""
    from quantumlimits.classify.device import describe_key, quantum_models

    names: list[str] = []
    with contextlib.suppress(UsageError, TypeError, ValueError):  # unreadable: generic labels
        names = quantum_models(ClassifySettings.from_dict(inputs or {}))
    return ("model seed step", lambda key: describe_key(key, names))
