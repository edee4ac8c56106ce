"""``quantumlimits backends``: the offline backends and their calibration."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from quantumlimits.cli import _common, summary
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends, ibm

if TYPE_CHECKING:
    from quantumlimits.devices import DeviceSpec


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backends``."""
    p = sub.add_parser(
        "backends",
        help=summary("backends"),
        description="List 'aer' and every calibration snapshot of the installed fake provider, "
        "with qubit count, native two-qubit gate, median two-qubit and readout error, and "
        "calibration date; then the device specs shipped with the package (published numbers, "
        "docs/devices.md) with their date and source.",
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON on stdout")
    p.add_argument(
        "--account",
        default=None,
        help="saved IBM Quantum account whose cloud devices to list (default: QISKIT_IBM_TOKEN, "
        "else the default saved account, when there is one)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits backends``."""
    out, err = _common.consoles(args.json)
    if args.account is not None:  # a mistyped account fails before any work
        ibm.resolve_credentials(account=args.account)
    with err.status("reading calibration snapshots"):
        rows = backends.snapshot_summaries()
    from quantumlimits import devices as device_specs  # qiskit, when the command runs

    specs = list(device_specs.shipped_specs().values())
    devices = _cloud_devices(args.account, err)
    if args.json:
        listed = (
            [asdict(r) for r in rows]
            + [_spec_row(s) for s in specs]
            + [{**asdict(d), "cloud": True} for d in devices]
        )
        _common.print_json(json.dumps(listed, indent=2))
        return 0
    table = Table(title="Offline backends ('aer' is the noiseless simulator)", title_justify="left")
    for column in (
        "name",
        "qubits",
        "2q gate",
        "median 2q error",
        "median readout error",
        "calibration date",
    ):
        table.add_column(column, justify="left" if column == "name" else "right")
    table.add_row("aer", "-", "-", "0", "0", "-")
    for r in rows:
        table.add_row(
            r.name,
            str(r.num_qubits),
            r.two_qubit_gate or "-",
            _common.fmt(r.median_two_qubit_error),
            _common.fmt(r.median_readout_error),
            (r.calibration_date or "-")[:10],
        )
    out.print(table)
    out.print(_spec_table(specs))
    if devices:
        cloud = Table(title="IBM Quantum devices of the account", title_justify="left")
        for column in ("name", "qubits", "status", "pending jobs"):
            cloud.add_column(column, justify="left" if column != "qubits" else "right")
        for d in devices:
            pending = "-" if d.pending_jobs is None else str(d.pending_jobs)
            cloud.add_row(d.name, str(d.num_qubits), d.status, pending)
        out.print(cloud)
    return 0


def _cloud_devices(account: str | None, err: Console) -> list[ibm.CloudDevice]:
    """The account's devices, or none (with one warning line) when there is no account or the
    service cannot be reached; an explicit ``--account`` that fails is an error."""
    try:
        credentials = ibm.resolve_credentials(account=account)
    except UsageError as exc:
        if account is not None:
            raise
        if os.environ.get(ibm.ENV_TOKEN) is not None:  # a token was given, and is unusable
            err.print(f"[yellow]warning:[/yellow] cloud devices not listed: {exc}")
        return []
    if ibm.local_backend() is not None:
        err.print(f"[yellow]note:[/yellow] {ibm.ENV_LOCAL} is set: cloud devices not listed")
        return []
    try:
        with err.status("listing the account's IBM Quantum devices"):
            service = ibm.connect(credentials)
            with ibm.redacted_logs([credentials.token]):
                return ibm.cloud_devices(service)
    except UsageError as exc:
        if account is not None:
            raise
        err.print(f"[yellow]warning:[/yellow] cloud devices not listed: {exc}")
        return []


def _spec_row(spec: DeviceSpec) -> dict[str, object]:
    """A spec as a JSON row: the snapshot columns, its sources and what it lacks."""
    errors = spec.errors
    readout = spec.readout_error if "readout_0to1" in errors and "readout_1to0" in errors else None
    return {
        "name": spec.label,
        "num_qubits": spec.qubits,
        "two_qubit_gate": spec.two_qubit_gate,
        "median_two_qubit_error": errors["two_qubit"].value if "two_qubit" in errors else None,
        "median_readout_error": readout,
        "calibration_date": spec.date,
        "spec": True,
        "machine": spec.machine,
        "sources": dict(spec.sources),
        "missing": list(spec.missing),
    }


def _spec_table(specs: list[DeviceSpec]) -> Table:
    table = Table(
        title="Device specs (published numbers; --backend name@date, docs/devices.md)",
        title_justify="left",
    )
    for column in ("name", "qubits", "2q gate", "2q error", "readout error", "date", "source"):
        table.add_column(column, justify="left" if column in ("name", "source") else "right")
    for spec in specs:
        row = _spec_row(spec)
        source = ",".join(next(iter(spec.sources.values())).split(",")[:2])  # who, what
        if spec.missing:
            source += f" [missing: {', '.join(spec.missing)}]"
        table.add_row(
            spec.label,
            str(spec.qubits),
            spec.two_qubit_gate,
            _common.fmt(row["median_two_qubit_error"]),
            _common.fmt(row["median_readout_error"]),
            spec.date,
            source,
        )
    return table
