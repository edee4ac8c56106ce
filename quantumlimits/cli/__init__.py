"""The ``quantumlimits`` command line: one module per subcommand, dispatched from here.

This package is the only place that prints or exits. A user's mistake (a
:class:`~quantumlimits.errors.UsageError`) becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from quantumlimits import __version__
from quantumlimits.errors import ResumableRunError, UsageError

PROG = "quantumlimits"


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (no usage dump) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    from quantumlimits.cli import (
        backends,
        circuits,
        classify,
        dataset,
        eplg,
        history,
        limits,
        mirror,
        plan,
        qv,
        report,
        resume,
        study,
        timeline,
        validate,
    )

    parser = _Parser(
        prog=PROG,
        description=(
            "Measure how far quantum computers stand from beating brute-force classical "
            "compute: quantum volume and more, on Aer simulations of real IBM devices."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (
        qv,
        backends,
        circuits,
        history,
        plan,
        classify,
        study,
        resume,
        limits,
        timeline,
        report,
        mirror,
        dataset,
        validate,
        eplg,
    ):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args.func(args)
    except UsageError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except ResumableRunError as exc:
        sys.stderr.write(f"{PROG}: stopped: {exc}\n")
        return 3
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    return status


#: The collector's first-generation threshold for a command-line process (CPython's default is
#: 700): importing Qiskit, Aer and matplotlib and transpiling hundreds of circuits allocate
#: millions of container objects that live to the end, and at 700 the collector ran about 400
#: times and took 0.2 s of a 4 s ``qv`` run (docs/performance.md). Garbage in cycles is still
#: collected, every 10,000 allocations instead of every 700.
GC_THRESHOLD = (10_000, 10, 10)


def console(argv: Sequence[str] | None = None) -> int:
    """The process entry point (``python -m quantumlimits`` and the ``quantumlimits`` script):
    :func:`main` with a collector tuned for a process that ends when the command does, and
    figures drawn by a second process that imports matplotlib while the command computes
    (:mod:`quantumlimits.plots.process`).

    At the end the surviving objects are frozen (:func:`gc.freeze`), so that the interpreter's
    final collections do not traverse them on the way out (0.2 s at the end of ``qv``); files and
    the store are closed by then, and finalization still runs. :func:`main` itself leaves the
    collector alone: a program or test that calls it in-process keeps its own policy.
    """
    from quantumlimits.plots import process

    gc.set_threshold(*GC_THRESHOLD)
    process.enable()  # figures drawn by a second process (quantumlimits.plots.process)
    try:
        return main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()
