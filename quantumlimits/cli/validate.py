"""``quantumlimits validate``: simulated QV and projected CLOPS beside IBM's reported figures."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from quantumlimits.cli import _common, summary
from quantumlimits.errors import UsageError

if TYPE_CHECKING:
    from quantumlimits.validate.protocol import ValidationResult

DESCRIPTION = """\
How faithful is calibration-based simulation? For every snapshot whose configuration carries IBM's
reported quantum volume: the QV its calibration predicts (seconds), and the QV simulated by the
normal protocol (auto scan, 100 circuits per width), by the sequential test with up to 1000
circuits per width (--protocols sequential), and by the strongest protocol the package offers (the
same at optimization level 3: --protocols strong), beside IBM's value, the calibration date and
log2(simulated/reported). For every snapshot carrying CLOPS_h or CLOPS: the QPU-time model's
projection for IBM's own template beside it. --quick runs a representative subset in about a
minute; the full default table takes about 12 minutes, the other protocols hours
(docs/validation.md).
"""

OUTPUTS = ("validate.json", "validate.png")


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of snapshot names")
    return names


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``validate``."""
    p = sub.add_parser(
        "validate",
        help=summary("validate"),
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("--quick", action="store_true", help="a representative subset of snapshots")
    p.add_argument(
        "--backends",
        type=_names,
        default=None,
        help="QV comparison on these snapshots only (comma list; default: all that report a QV)",
    )
    p.add_argument(
        "--clops-backends",
        type=_names,
        default=None,
        help="CLOPS comparison on these snapshots only (default: all that report CLOPS)",
    )
    p.add_argument(
        "--protocols",
        default="default",
        help="comma list of default, sequential and strong (docs/validation.md)",
    )
    p.add_argument("--seed", type=_common.non_negative_int, default=42, help="master seed")
    p.add_argument("--out", type=Path, default=None, help="write validate.json and .png here")
    p.add_argument("--json", action="store_true", help="print the document on stdout")
    p.add_argument("--no-store", action="store_true", help="record nothing")
    _common.add_store_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits validate``."""
    from quantumlimits.execution.backends import snapshot_names, suggest
    from quantumlimits.validate.protocol import PROTOCOLS, QUICK_CLOPS, QUICK_QV, validate
    from quantumlimits.validate.reported import reported

    protocols = [p.strip() for p in args.protocols.split(",") if p.strip()]
    bad = [p for p in protocols if p not in PROTOCOLS]
    if bad or not protocols or len(set(protocols)) != len(protocols):
        raise UsageError(
            f"--protocols {args.protocols!r}: give a comma list of default, sequential, strong"
        )
    if args.no_store and args.store is not None:
        raise UsageError("--no-store and --store contradict each other: drop one")
    qv_names = args.backends if args.backends is not None else (QUICK_QV if args.quick else None)
    clops_names = args.clops_backends
    if clops_names is None and args.quick:
        clops_names = QUICK_CLOPS
    known = set(snapshot_names())
    for name in [*(qv_names or []), *(clops_names or [])]:
        if name not in known:
            raise UsageError(f"unknown snapshot {name!r}: {suggest(name)}")
    for name in qv_names or []:
        if reported(name).quantum_volume is None:
            raise UsageError(f"{name} reports no quantum volume: drop it from --backends")
    for name in clops_names or []:
        figures = reported(name)
        if figures.clops_h is None and figures.clops is None:
            raise UsageError(f"{name} reports no CLOPS: drop it from --clops-backends")
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=OUTPUTS)
    store = None if args.no_store else _common.open_store(args)
    try:
        with err_console.status("validating") as status:
            result = validate(
                qv_backends=qv_names,
                clops_backends=clops_names,
                protocols=protocols,
                seed=args.seed,
                store=store,
                progress=lambda text: status.update(text),
            )
    finally:
        if store is not None:
            store.close()
    if out is not None:
        from quantumlimits.plots.validate import figure

        _common.write_document_and_figure(
            out, name="validate", document=result.to_json(), figure=figure(result)
        )
    show(out_console, result)
    if out is not None:
        out_console.print(f"wrote {out / 'validate.json'} and {out / 'validate.png'}")
    if args.json:
        _common.print_json(result.to_json())
    return 0


def qv_table(result: ValidationResult) -> Table:
    """One row per snapshot with a reported QV."""
    table = Table(
        title="Quantum volume: IBM's reported value against this package's",
        title_justify="left",
        caption="pred: log2 QV the calibration predicts; sim: simulated QV (its verdict line "
        "says when a wider width is undecided); log2 r: log2(simulated/reported)",
    )
    for column in ("snapshot", "qubits", "calibration", "reported", "pred"):
        table.add_column(column, justify="right")
    for p in result.protocols:
        table.add_column(f"sim {p}", justify="right")
        table.add_column(f"log2 r {p}", justify="right")
    for row in result.qv:
        cells = [
            row.backend,
            str(row.num_qubits),
            (row.calibration_date or "-")[:10],
            str(row.reported_qv),
            "-" if row.predicted_log2_qv is None else str(2**row.predicted_log2_qv),
        ]
        for p in result.protocols:
            found = row.simulated[p]
            verdict = str(found["verdict"])
            mark = "≥" if verdict.startswith("QV >=") else "?" if "undecided" in verdict else ""
            cells += [f"{mark}{found['quantum_volume']}", f"{row.ratio(p):+.0f}"]
        table.add_row(*cells)
    return table


def clops_table(result: ValidationResult) -> Table:
    """One row per snapshot with a reported CLOPS figure."""
    table = Table(
        title="CLOPS: IBM's reported value against the QPU-time model's projection",
        title_justify="left",
        caption="template duration per shot in µs (rep delay not included); ratio: "
        "projected/reported",
    )
    for column in ("snapshot", "kind", "reported", "projected", "ratio", "shot µs", "rep µs"):
        table.add_column(column, justify="right")
    for row in result.clops:
        for kind in ("clops_h", "clops"):
            reported = getattr(row, f"reported_{kind}")
            projected = getattr(row, f"projected_{kind}")
            if reported is None or projected is None:
                continue
            table.add_row(
                row.backend,
                "CLOPS_h" if kind == "clops_h" else "CLOPS",
                f"{reported:,.0f}",
                f"{projected['clops']:,.0f}",
                f"{projected['clops'] / reported:.2f}",
                f"{projected['circuit_seconds'] * 1e6:.1f}",
                f"{projected['rep_delay_seconds'] * 1e6:.0f}",
            )
    return table


def show(console: Console, result: ValidationResult) -> None:
    """Both tables and the summary lines."""
    if result.qv:
        console.print(qv_table(result))
        for s in result.summaries():
            console.print(s.line())
    if result.clops:
        console.print(clops_table(result))
        ratios = [
            math.log10(p["clops"] / r)
            for row in result.clops
            for r, p in (
                (row.reported_clops_h, row.projected_clops_h),
                (row.reported_clops, row.projected_clops),
            )
            if r and p
        ]
        if ratios:
            ratios.sort()
            median = 10 ** ratios[len(ratios) // 2]
            console.print(f"CLOPS: {len(ratios)} figures; median projected/reported {median:.2f}")
    if result.run_id:
        console.print(f"run {result.run_id}")
