"""``quantumlimits timeline``: QV of every calibration snapshot against its date."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from quantumlimits.cli import _common, summary
from quantumlimits.limits import timeline

DESCRIPTION = """\
QV of each IBM calibration snapshot in the fake provider against its calibration date, with a
fitted doubling time, beside the QV values vendors reported publicly (with their sources).
--mode predicted (default, about 15 s) predicts each snapshot's HOP per width from calibration;
--mode measured runs the QV protocol on the noisy simulation of a few snapshots.
"""


def _names(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``timeline``."""
    p = sub.add_parser(
        "timeline",
        help=summary("timeline"),
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("--mode", choices=timeline.MODES, default="predicted", help="how QV is found")
    p.add_argument(
        "--backends",
        type=_names,
        default=None,
        help="comma-separated fake_* snapshots or device specs (name@date, docs/devices.md) "
        "(default: every snapshot for predicted; "
        f"{','.join(timeline.MEASURED_DEFAULT)} for measured)",
    )
    p.add_argument(
        "--trials",
        type=_common.positive_int,
        default=None,
        help="circuits per width (default: 100 predicted, 20 measured)",
    )
    p.add_argument(
        "--shots", type=_common.positive_int, default=100, help="shots per circuit (measured)"
    )
    p.add_argument(
        "--max-width",
        type=_common.positive_int,
        default=None,
        help="widest width scanned (default: 12 predicted, 5 measured)",
    )
    p.add_argument("--seed", type=_common.non_negative_int, default=0, help="master seed")
    p.add_argument(
        "--out", type=Path, default=None, help="folder for timeline.json and timeline.png"
    )
    _common.add_store_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not record the run")
    p.add_argument("--json", action="store_true", help="print the document on stdout")
    p.set_defaults(func=run)


def table(result: timeline.TimelineResult) -> Table:
    """Snapshots by date, then reported values."""
    t = Table(title=f"QV by calibration date ({result.mode})", title_justify="left")
    for column in ("date", "snapshot / system", "QV", "kind", "source"):
        t.add_column(column)
    rows = [
        ((s.calibration_date or "-")[:10], s.name, str(s.quantum_volume), s.mode, "this package")
        for s in result.snapshots
    ]
    rows += [
        (r.date[:10], f"{r.vendor} {r.system}", str(r.quantum_volume), r.status, r.source[:60])
        for r in result.reported
    ]
    for row in sorted(rows):
        t.add_row(*row)
    return t


def write_outputs(out: Path, result: timeline.TimelineResult) -> None:
    """timeline.json and timeline.png, each written atomically."""
    from quantumlimits.plots.limits import timeline_figure

    _common.write_document_and_figure(
        out, name="timeline", document=result.to_json(), figure=timeline_figure(result)
    )


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits timeline``."""
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out)
    trials = args.trials or (100 if args.mode == "predicted" else 20)
    store = None if args.no_store else _common.open_store(args)
    try:
        with err_console.status("snapshots") as status:
            result = timeline.run_timeline(
                mode=args.mode,
                backends=args.backends,
                trials=trials,
                shots=args.shots,
                max_width=args.max_width,
                seed=args.seed,
                store=store,
                progress=lambda name: status.update(f"{args.mode} QV of {name}"),
            )
    finally:
        if store is not None:
            store.close()
    if out is not None:
        write_outputs(out, result)
    out_console.print(table(result))
    fit = result.fit
    out_console.print(
        "snapshots: "
        + (f"QV doubles every {fit.doubling_years_text}" if fit else "too few dated points to fit")
    )
    for name, fit_r in result.reported_fits.items():
        if fit_r is not None:
            out_console.print(f"{name}, reported: QV doubles every {fit_r.doubling_years_text}")
    for line in result.differences:
        out_console.print(f"- {line}")
    for name, reason in result.skipped.items():
        out_console.print(f"[dim]skipped {name}: {reason}[/dim]")
    if out is not None:
        out_console.print(f"wrote {out / 'timeline.json'} and {out / 'timeline.png'}")
    if args.json:
        _common.print_json(result.to_json())
    return 0
