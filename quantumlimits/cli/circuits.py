"""``quantumlimits circuits``: export and verify the reference circuit set."""

from __future__ import annotations

import argparse
from pathlib import Path

from quantumlimits import reference
from quantumlimits.cli import _common, summary
from quantumlimits.errors import UsageError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``circuits export`` and ``circuits verify``."""
    p = sub.add_parser(
        "circuits",
        help=summary("circuits"),
        description="Reference quantum volume circuits with their seeds, ideal HOPs and heavy-set "
        "fingerprints, so any drift across Qiskit versions is caught.",
        formatter_class=_common.HELP_FORMATTER,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    e = actions.add_parser(
        "export", help="write the reference set to a folder", formatter_class=_common.HELP_FORMATTER
    )
    e.add_argument("folder", type=Path, help="destination folder (e.g. circuits/)")
    e.add_argument(
        "--seed", type=_common.non_negative_int, default=reference.DEFAULT_SEED, help="master seed"
    )
    e.add_argument("--widths", default="2-8", help="widths, as a range A-B or a list")
    e.add_argument(
        "--per-width",
        type=_common.positive_int,
        default=reference.DEFAULT_PER_WIDTH,
        help="circuits per width",
    )
    e.set_defaults(func=run_export)
    v = actions.add_parser(
        "verify", help="rebuild a reference set and compare", formatter_class=_common.HELP_FORMATTER
    )
    v.add_argument("folder", type=Path, help="folder holding manifest.json")
    v.set_defaults(func=run_verify)

    def _no_action(args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=_no_action)


def run_export(args: argparse.Namespace) -> int:
    """Handle ``circuits export``."""
    from quantumlimits.qv.protocol import parse_widths

    plan = parse_widths(args.widths)
    if plan.auto:
        raise UsageError("circuits export needs explicit --widths, e.g. 2-8")
    out = _common.output_dir(args.folder)
    assert out is not None
    entries = reference.export(out, seed=args.seed, widths=plan.widths, per_width=args.per_width)
    print(f"wrote {len(entries)} circuits and {reference.MANIFEST} to {out}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Handle ``circuits verify``: exit 1 on any mismatch."""
    if not (args.folder / reference.MANIFEST).is_file():
        raise UsageError(f"no {reference.MANIFEST} in {args.folder}: pass the reference folder")
    problems = reference.verify(args.folder)
    for problem in problems:
        print(problem)
    print("reference circuits match" if not problems else f"{len(problems)} mismatches")
    return 1 if problems else 0
