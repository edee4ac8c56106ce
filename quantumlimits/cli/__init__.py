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


#: Every command: name -> (module of quantumlimits.cli that adds its parser, one-line summary),
#: in the order ``--help`` lists them. A module may add several commands (history: history and
#: show). The modules' parsers take their summaries from here.
COMMANDS: dict[str, tuple[str, str]] = {
    "qv": ("qv", "measure quantum volume"),
    "backends": (
        "backends",
        "list the offline backends (and, with an account, the IBM Quantum devices)",
    ),
    "circuits": ("circuits", "export or verify the reference QV circuits (OpenQASM 3 + manifest)"),
    "history": ("history", "list the runs in the results store"),
    "show": ("history", "re-print a stored run (optionally re-analysed from its stored counts)"),
    "plan": ("plan", "circuits x shots needed to pass a width (Cross and bootstrap)"),
    "classify": (
        "classify",
        "time-to-accuracy: variational quantum classifiers against classical baselines",
    ),
    "study": ("study", "quantum against classical models over dataset families, with equal tuning"),
    "resume": (
        "resume",
        "continue an interrupted or failed run (cloud jobs are never run twice)",
    ),
    "limits": ("limits", "the classical wall: exact simulation cost vs the device, by width"),
    "timeline": (
        "timeline",
        "QV through the years: snapshots by calibration date, and reported values",
    ),
    "report": ("report", "write one self-contained HTML report from the store"),
    "mirror": (
        "mirror",
        "mirror benchmark: mirrored QV layers with a known output, up to full device width",
    ),
    "import": ("dataset", "re-analyse a published QV data set (circuits + counts) as a stored run"),
    "export": ("dataset", "write a stored QV run as a data set that 'quantumlimits import' reads"),
    "validate": (
        "validate",
        "simulated QV and projected CLOPS beside IBM's reported figures, per snapshot",
    ),
    "eplg": ("eplg", "layer fidelity and EPLG of the best chain of a device (IBM's metric)"),
}


def summary(command: str) -> str:
    """The one-line summary of ``command`` (``--help`` lists it)."""
    return COMMANDS[command][1]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command's own parser, or with ``command`` only that command's
    (and its module's other commands'); the other commands are then listed by name and summary
    only, so that a run imports the code of its own command alone (about 0.1 s of start-up)."""
    import importlib

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
    wanted = COMMANDS[command][0] if command in COMMANDS else None
    added: set[str] = set()
    for name, (module, text) in COMMANDS.items():
        if command is not None and module != wanted:
            sub.add_parser(name, help=text)  # listed; never parsed (another command runs)
        elif module not in added:
            added.add(module)
            importlib.import_module(f"quantumlimits.cli.{module}").add_parser(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str:
    """The command ``argv`` names ("" for none: ``--help``, ``--version``, nothing)."""
    for token in argv:
        if not token.startswith("-"):
            return token
        if token in ("-h", "--help", "--version"):
            return ""
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    arguments = list(argv) if argv is not None else sys.argv[1:]
    parser = build_parser(_command_of(arguments))
    args = parser.parse_args(arguments)
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
