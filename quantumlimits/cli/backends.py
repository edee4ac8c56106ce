"""``quantumlimits backends``: the offline backends and their calibration."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from rich.table import Table

from quantumlimits.cli import _common
from quantumlimits.execution import backends


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backends``."""
    p = sub.add_parser(
        "backends",
        help="list the offline backends and their calibration",
        description="List 'aer' and every calibration snapshot of the installed fake provider, "
        "with qubit count, native two-qubit gate, median two-qubit and readout error, and "
        "calibration date.",
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits backends``."""
    out, err = _common.consoles(args.json)
    with err.status("reading calibration snapshots"):
        rows = [backends.summarize(name) for name in backends.snapshot_names()]
    if args.json:
        _common.print_json(json.dumps([asdict(r) for r in rows], indent=2))
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
    return 0
