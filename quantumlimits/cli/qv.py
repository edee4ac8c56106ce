"""``quantumlimits qv``: measure quantum volume."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _common
from quantumlimits.execution.backends import DEFAULT_BACKEND
from quantumlimits.qv import protocol
from quantumlimits.qv.stats import METHODS
from quantumlimits.results import QVResult, WidthResult

if TYPE_CHECKING:
    from quantumlimits.execution.dask import DaskSession

DESCRIPTION = """\
Measure the quantum volume (QV) of a backend: random SU(4) model circuits of width = depth m,
transpiled to the device and simulated with its noise; a width passes when the lower confidence
bound on its mean heavy-output probability is above 2/3; QV = 2^m for the largest passing width.
Offline backends: 'aer' (noiseless) and every fake_* calibration snapshot
('quantumlimits backends').
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``qv``."""
    p = sub.add_parser(
        "qv",
        help="measure quantum volume",
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        help="'aer' (noiseless) or a calibration snapshot such as fake_torino",
    )
    p.add_argument(
        "--widths",
        default="auto",
        help="'auto' (scan up from 2, stop after the first failing width), "
        "a range like 2-6, or a list like 2,3,5",
    )
    p.add_argument(
        "--max-width",
        type=_common.positive_int,
        default=None,
        help="widest width --widths auto may reach (default: the device's qubits; "
        f"{protocol.AUTO_MAX_WIDTH_NOISELESS} for aer)",
    )
    p.add_argument(
        "--trials",
        type=_common.positive_int,
        default=100,
        help="model circuits per width (the protocol needs at least 100)",
    )
    p.add_argument("--shots", type=_common.positive_int, default=1000, help="shots per circuit")
    p.add_argument(
        "--seed",
        type=_common.non_negative_int,
        default=0,
        help="master seed: circuits, transpilation, sampling and bootstrap derive from it",
    )
    p.add_argument(
        "--optimization-level",
        type=int,
        choices=(0, 1, 2, 3),
        default=1,
        help="Qiskit preset pass manager optimization level",
    )
    p.add_argument(
        "--qubits",
        type=_common.int_list,
        default=None,
        help="physical qubits to use, e.g. 80,81,92; width w takes the first w "
        "(default: the best connected set from calibration data, per width)",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="cross",
        help="which lower bound decides QV: 'cross' (Cross et al. 2σ, the standard) "
        "or 'bootstrap' (Baldwin et al.); both are always reported",
    )
    p.add_argument(
        "--bootstrap-resamples",
        type=_common.positive_int,
        default=10_000,
        help="bootstrap resamples per width",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="folder for qv.json and qv.png (created if missing)"
    )
    _common.add_store_argument(p)
    _common.add_dask_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not record the run in the store")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result document on stdout (progress and tables go to stderr)",
    )
    p.set_defaults(func=run)


class _RichProgress(protocol.Progress):
    def __init__(self, progress: Progress, method: str) -> None:
        self._progress = progress
        self._method = method
        self._tasks: dict[int, TaskID] = {}

    def width_started(self, width: int, circuits: int) -> None:
        self._tasks[width] = self._progress.add_task(f"width {width}: build", total=circuits)

    def stage(self, width: int, stage: str) -> None:
        self._progress.update(self._tasks[width], description=f"width {width}: {stage}")

    def advance(self, width: int, circuits: int) -> None:
        self._progress.advance(self._tasks[width], circuits)

    def width_done(self, result: WidthResult) -> None:
        verdict = "pass" if result.passed(self._method) else "fail"
        self._progress.update(
            self._tasks[result.width],
            description=f"width {result.width}: mean HOP {result.mean_hop:.3f} ({verdict})",
        )


def results_table(result: QVResult) -> Table:
    """The final table: one row per width."""
    shots = "/".join(str(s) for s in sorted({w.shots for w in result.widths}))
    table = Table(
        title=f"Quantum volume on {result.backend}, {shots} shots per circuit",
        title_justify="left",
        caption="LB: lower bound; C/B: Cross / bootstrap; 2q: two-qubit gates per circuit",
    )
    headers = ("width", "N", "mean HOP", "ideal", "Cross LB", "boot LB", "pass C/B", "2q", "s")
    for column in headers:
        table.add_column(column, justify="right")
    for w in result.widths:
        two_q = sum(w.two_qubit_gates) / max(1, w.circuits)
        table.add_row(
            str(w.width),
            f"{w.circuits}" + ("" if w.valid else "*"),
            _common.fmt(w.mean_hop),
            _common.fmt(sum(w.ideal_hops) / max(1, len(w.ideal_hops))),
            _common.fmt(w.cross_lower),
            _common.fmt(w.bootstrap_lower),
            ("yes" if w.passed_cross else "no") + "/" + ("yes" if w.passed_bootstrap else "no"),
            f"{two_q:.1f}",
            f"{sum(w.timings.values()):.1f}",
        )
    return table


def report(console: Console, result: QVResult) -> None:
    """Table, verdict line and provenance summary."""
    console.print(results_table(result))
    if not result.valid:
        console.print("* fewer than 100 circuits: the protocol does not accept this as a QV claim")
    for w in result.widths:
        if w.physical_qubits:
            console.print(f"width {w.width} on physical qubits {list(w.physical_qubits)}")
    date = result.calibration_date or "n/a"
    console.print(
        f"[bold]QV = {result.quantum_volume}[/bold] (log2 {result.log2_qv}) on {result.backend}, "
        f"calibration {date}, decided by the {result.decided_by} bound; seed {result.seed}"
        + (f"; run {result.run_id}" if result.run_id else "")
    )


def write_outputs(out: Path, result: QVResult) -> None:
    """qv.json and qv.png in ``out``, each written atomically."""
    from quantumlimits.plots import save_figure
    from quantumlimits.plots.qv import figure

    atomic_write_text(out / "qv.json", result.to_json() + "\n")
    save_figure(figure(result), out / "qv.png")


def _distributed(dask: DaskSession | None) -> dict[str, Any]:
    """run_qv's mapper / memory / cluster keywords for a Dask session (none in-process)."""
    if dask is None:
        return {}
    memory = dask.task_memory_bytes
    return {
        "mapper": dask,
        "memory": protocol.MemoryBudget(memory, dask.memory_where) if memory else None,
        "cluster": dask.describe(),
    }


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits qv``."""
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out)
    plan = protocol.parse_widths(args.widths)
    store = None if args.no_store else _common.open_store(args)
    dask: DaskSession | None = None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        dask = _common.open_dask(args, err_console)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", protocol.QVWarning)
            with Progress(*columns, console=err_console, transient=False) as bar:
                result = protocol.run_qv(
                    backend=args.backend,
                    widths=plan,
                    trials=args.trials,
                    shots=args.shots,
                    seed=args.seed,
                    optimization_level=args.optimization_level,
                    qubits=args.qubits,
                    method=args.method,
                    max_width=args.max_width,
                    bootstrap_resamples=args.bootstrap_resamples,
                    store=store,
                    progress=_RichProgress(bar, args.method),
                    **_distributed(dask),
                )
        for w in caught:
            if issubclass(w.category, protocol.QVWarning):
                err_console.print(f"[yellow]warning:[/yellow] {w.message}")
    finally:
        if store is not None:
            store.close()
        if dask is not None:
            dask.close()
    if out is not None:
        write_outputs(out, result)
    report(out_console, result)
    if out is not None:
        out_console.print(f"wrote {out / 'qv.json'} and {out / 'qv.png'}")
    if args.json:
        _common.print_json(result.to_json())
    return 0
