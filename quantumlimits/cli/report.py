"""``quantumlimits report``: one self-contained HTML file from the results store."""

from __future__ import annotations

import argparse
from pathlib import Path

from quantumlimits import report
from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _common, summary
from quantumlimits.errors import UsageError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``report``."""
    p = sub.add_parser(
        "report",
        help=summary("report"),
        description="One HTML file (figures embedded, no network needed to view) with the QV "
        "runs, classifier runs, the classical wall and QV through the years, and the provenance "
        "of each number. Without RUN_IDs: every complete QV and classify run and the newest "
        "limits and timeline runs.",
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("run_ids", nargs="*", metavar="RUN_ID", help="runs to include (id or prefix)")
    p.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file to write")
    _common.add_store_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits report``."""
    out: Path = args.out
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: pass a file name such as {out / 'report.html'}")
    _common.output_dir(out.parent if str(out.parent) else Path("."))
    with _common.open_store(args, readonly=True) as store:
        text = report.render(store=store, run_ids=args.run_ids)
    atomic_write_text(out, text)
    print(f"wrote {out} ({len(text.encode()) / 1024:.0f} KiB)")
    return 0
