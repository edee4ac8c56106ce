"""``quantumlimits plan``: circuits x shots needed to pass a width at a given true HOP and power."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from quantumlimits._io import atomic_write_bytes, atomic_write_text
from quantumlimits.cli import _common, summary
from quantumlimits.errors import UsageError
from quantumlimits.qv.plan import DEFAULT_SHOTS_OPTIONS, Plan, plan

JSON_NAME = "plan.json"
FIGURE_NAME = "plan.png"


def add_parser(subparsers: Any) -> None:
    """Register the ``plan`` subcommand."""
    p = subparsers.add_parser(
        "plan",
        help=summary("plan"),
        description=(
            "How many circuits (at each shots option) a quantum volume width needs to pass with "
            "the given probability when the device's true mean heavy-output probability is --hop. "
            "Cross bound: normal approximation; bootstrap: seeded simulation. See "
            "quantumlimits.qv.plan for the model."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--hop", type=float, required=True, help="true mean HOP of the device")
    p.add_argument("--width", type=int, default=5, help="circuit width (sets the spread)")
    p.add_argument("--power", type=float, default=0.9, help="probability to pass")
    p.add_argument(
        "--shots-options",
        type=int,
        nargs="+",
        default=list(DEFAULT_SHOTS_OPTIONS),
        metavar="SHOTS",
        help="shots per circuit to plan for",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap simulation")
    p.add_argument("--datasets", type=int, default=300, help="simulated data sets per point")
    p.add_argument("--resamples", type=int, default=500, help="bootstrap resamples per data set")
    p.add_argument("--out", type=Path, default=None, help=f"write {JSON_NAME} and {FIGURE_NAME}")
    p.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    p.set_defaults(func=run)


def _table(result: Plan) -> Any:
    from rich.table import Table

    table = Table(
        title=(
            f"QV plan: width {result.width}, mean HOP {result.hop:g}, power {result.power:g} "
            f"(circuit spread {result.spread:.3f})"
        )
    )
    for name in ("method", "shots", "circuits", "with 100 minimum", "total shots", "power"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for row in result.rows:
        if row.circuits is None:
            table.add_row(row.method, str(row.shots), "unreachable", "-", "-", "-")
            continue
        table.add_row(
            row.method,
            str(row.shots),
            str(row.circuits),
            str(row.valid_circuits),
            f"{row.total_shots:,}",
            f"{row.power_at_circuits:.3f}",
        )
    return table


def _figure_png(result: Plan) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from quantumlimits.plots.plan import plot_power

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    plot_power(ax=fig.add_subplot(), plan=result)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    """Plan, print, and write the files; return the exit status."""
    from rich.console import Console

    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    out_dir = _common.output_dir(args.out, files=(JSON_NAME, FIGURE_NAME))
    result = plan(
        hop=args.hop,
        width=args.width,
        power=args.power,
        shots_options=args.shots_options,
        datasets=args.datasets,
        resamples=args.resamples,
        seed=args.seed,
    )
    document = json.dumps(result.to_dict(), indent=2) + "\n"
    console = Console(file=sys.stderr if args.json else sys.stdout)
    console.print(_table(result))
    if args.json:
        sys.stdout.write(document)
    if out_dir is not None:
        atomic_write_text(out_dir / JSON_NAME, document)
        atomic_write_bytes(out_dir / FIGURE_NAME, _figure_png(result))
        console.print(f"wrote {out_dir / JSON_NAME} and {out_dir / FIGURE_NAME}")
    return 0
