"""Pieces every subcommand shares: consoles, the store flag, output folders, JSON output."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from quantumlimits._io import atomic_write_text, check_writable_dir
from quantumlimits.errors import StoreError, UsageError
from quantumlimits.store import ResultsStore, default_store_path

if TYPE_CHECKING:
    from quantumlimits.execution.dask import DaskSession
    from quantumlimits.execution.pool import ProcessPool

HELP_FORMATTER = argparse.ArgumentDefaultsHelpFormatter


def consoles(json_mode: bool) -> tuple[Console, Console]:
    """(report console, progress console): with ``--json`` both go to stderr, stdout stays JSON."""
    err = _wide(Console(stderr=True))
    out = err if json_mode else _wide(Console())
    return out, err


#: Columns of tables written to a file or pipe (Rich assumes 80 there, too few for wide tables).
PIPE_WIDTH = 140


def _wide(console: Console) -> Console:
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    return console


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """``--store PATH``."""
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help=f"results store (SQLite); default $QUANTUMLIMITS_STORE or {default_store_path()}",
    )


def open_store(
    args: argparse.Namespace, *, readonly: bool = False, create: bool = True
) -> ResultsStore:
    """The store named by ``--store`` (or the default one): ``readonly`` for commands that only
    read it (it must exist, and is never written); ``create=False`` for commands that write to
    runs already in it (``resume``)."""
    path = args.store or default_store_path()
    if not create and not readonly and not Path(path).exists():
        raise StoreError(
            f"no results store at {path}: pass --store with the store that holds the run"
        )
    return ResultsStore(path, readonly=readonly)


def output_dir(path: Path | None, *, files: tuple[str, ...] = ()) -> Path | None:
    """Check ``--out`` (and the ``files`` the command will write there) before any work starts,
    so a bad path fails at once; the folder itself is created only when the files are written."""
    if path is None:
        return None
    try:
        return check_writable_dir(path, files=files)
    except OSError as exc:
        raise UsageError(f"cannot write to --out {path}: {exc}; pass a writable folder") from None


def write_text(path: Path, text: str) -> None:
    """Write an output file atomically (its folder created when missing)."""
    atomic_write_text(path, text)


def write_document_and_figure(
    out: Path, *, name: str, document: str, figure: Any, crop: bool = True
) -> None:
    """``name.json`` and ``name.png`` in ``out``, each written atomically (figure closed);
    ``crop`` as in :func:`quantumlimits.plots.save_figure`."""
    from quantumlimits.plots import save_figure

    atomic_write_text(
        out / f"{name}.json", document if document.endswith("\n") else document + "\n"
    )
    save_figure(figure, out / f"{name}.png", crop=crop)


def print_json(text: str) -> None:
    """The JSON document on stdout, and nothing else there."""
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def int_list(text: str) -> list[int]:
    """argparse type: a comma-separated list of integers."""
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of qubit numbers, got {text!r}"
        ) from None


def fmt(value: Any, digits: int = 4) -> str:
    """A float to ``digits`` decimals, or '-' for None."""
    return "-" if value is None else f"{value:.{digits}f}"


def add_dask_argument(parser: argparse.ArgumentParser) -> None:
    """``--dask SPEC``: where tasks run (default ``$QUANTUMLIMITS_DASK``, else in-process)."""
    parser.add_argument(
        "--dask",
        metavar="SPEC",
        default=None,
        help="run the work on Dask: local[:N] (N worker processes on this machine), "
        "tcp://HOST:PORT (a running dask scheduler) or none (in-process); "
        "default $QUANTUMLIMITS_DASK, else in-process. Needs quantumlimits[dask]",
    )


def add_workers_argument(parser: argparse.ArgumentParser) -> None:
    """``--workers N``: processes on this machine for a local run (docs/performance.md)."""
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="worker processes on this machine for the simulation and transpilation (default: "
        "one per usable core, at most 8; 1 runs everything in this process); not used with "
        "--dask or an IBM device. The numbers do not depend on it",
    )


def open_pool(args: argparse.Namespace) -> ProcessPool | None:
    """The local worker processes ``--workers`` asks for (None: one process, or Dask)."""
    from quantumlimits.execution.dask import resolve_spec
    from quantumlimits.execution.pool import open_pool as pool_of
    from quantumlimits.execution.pool import usable_cores

    cores = usable_cores()
    if args.workers is not None and args.workers > cores:
        raise UsageError(
            f"--workers {args.workers} is more than the {cores} cores this process may use "
            f"(more workers would only wait for each other); pass --workers {cores} or fewer, "
            "or --dask for other machines"
        )
    if resolve_spec(args.dask) is not None:
        return None
    return pool_of(args.workers)


def open_dask(args: argparse.Namespace, console: Console) -> DaskSession | None:
    """The Dask session ``--dask`` asks for (None: in-process); one line says what it is."""
    from quantumlimits.execution.dask import connect, resolve_spec

    spec = resolve_spec(args.dask)
    if spec is None:
        return None
    with console.status("starting Dask workers" if spec.local else f"connecting to {spec.address}"):
        session = connect(spec)
    c = session.describe()
    memory = "/".join(f"{m / 2**30:.1f}" for m in c["memory_limit_bytes"])
    console.print(
        f"Dask {c['kind']} cluster {c['scheduler']}: {c['workers']} workers, "
        f"{c['threads']} threads, {memory} GiB per worker"
    )
    return session


@contextlib.contextmanager
def relayed_warnings(category: type[Warning], console: Console) -> Iterator[None]:
    """Record the warnings raised inside; when the block ends normally (its progress bars
    closed), print those of ``category`` on ``console``, one line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", category)
        yield
    for w in caught:
        if issubclass(w.category, category):
            console.print(f"[yellow]warning:[/yellow] {w.message}")
