"""``quantumlimits import`` and ``quantumlimits export``: published QV data sets in and out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from quantumlimits.cli import _common, summary
from quantumlimits.cli.qv import OUTPUTS, report, write_outputs
from quantumlimits.dataset.files import BIT_ORDERS, read_dataset
from quantumlimits.errors import UsageError

if TYPE_CHECKING:
    from quantumlimits.dataset.importer import ImportAnalysis
    from quantumlimits.store import ResultsStore

#: The files ``import --simulate --out`` adds.
SIMULATE_OUTPUTS = ("simulate.json", "simulate.png")

IMPORT_DESCRIPTION = """\
Re-analyse a published quantum volume experiment: its model circuits (OpenQASM 2 or 3, one file
per circuit or one JSON file) and the counts the device returned. Heavy sets are computed from the
circuits; each width gets the Cross, bootstrap and sequential statistics of a simulated run, and
the run is stored with backend imported:NAME, so show --reanalyse, history, report and export work
on it. Bad data (a counts file with no circuit, bitstrings of the wrong length, negative or
non-integer counts, zero shots, an unparsable circuit) stop with one line and store nothing.
Readout-calibration counts (the all-|0> and all-|1> circuits) give the run the readout-mitigated
arm of qv --mitigate-readout beside the raw one.
Formats and flags: docs/import.md.
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``import`` and ``export``."""
    p = sub.add_parser(
        "import",
        help=summary("import"),
        description=IMPORT_DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument(
        "data", metavar="DATA", type=Path, help="a folder of .qasm files, or a JSON file"
    )
    p.add_argument(
        "--counts",
        type=Path,
        default=None,
        help="counts: a file (object keyed by circuit name, or a list in circuit order) or a "
        "folder of <name>.json files; default: the folder's counts.json or the JSON file's own",
    )
    p.add_argument(
        "--heavy",
        type=Path,
        default=None,
        help="the data set's own heavy outputs per circuit, checked against the computed ones",
    )
    p.add_argument(
        "--calibration",
        metavar="PATH",
        type=Path,
        default=None,
        help="readout-calibration counts (the all-|0> and all-|1> circuits): the run gains the "
        "readout-mitigated arm of qv --mitigate-readout (default: the folder's calibration.json "
        "or the JSON file's readout_calibration)",
    )
    p.add_argument(
        "--verdict-from",
        choices=("raw", "optimized"),
        default=None,
        help="with readout calibration: whose verdicts set the QV (default optimized, the "
        "mitigated arm; raw under --method sequential)",
    )
    p.add_argument(
        "--name",
        default=None,
        help="the data set's name; the run's backend is imported:NAME "
        "(default: the file's 'name', else the file or folder name)",
    )
    p.add_argument(
        "--bit-order",
        choices=BIT_ORDERS,
        default=None,
        help="how bitstrings are written: little = the rightmost character is bit 0 (Qiskit), "
        "big = the leftmost is (default: the file's 'bit_order', else little)",
    )
    p.add_argument("--source", default=None, help="where the data come from (paper, URL, DOI)")
    p.add_argument("--device", default=None, help="the device that ran the circuits")
    p.add_argument("--date", default=None, help="when the device ran them (ISO date)")
    p.add_argument("--seed", type=_common.non_negative_int, default=0, help="bootstrap seed")
    p.add_argument(
        "--method",
        choices=("cross", "bootstrap", "sequential"),
        default="cross",
        help="the bound that decides each width",
    )
    p.add_argument(
        "--bootstrap-resamples", type=_common.positive_int, default=10_000, help="resamples"
    )
    p.add_argument(
        "--simulate",
        metavar="BACKEND",
        default=None,
        help="also run the same circuits on this device model (a snapshot or a device spec) and "
        "show measured and "
        "simulated HOP side by side (per width and per circuit, with their correlation)",
    )
    p.add_argument(
        "--optimization-level",
        type=int,
        choices=(0, 1, 2, 3),
        default=1,
        help="with --simulate: Qiskit preset pass manager level",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write qv.json and qv.png here (and simulate.json, simulate.png with --simulate)",
    )
    p.add_argument("--json", action="store_true", help="print the run's document on stdout")
    p.add_argument("--no-store", action="store_true", help="analyse only; record nothing")
    _common.add_store_argument(p)
    p.set_defaults(func=run_import)

    e = sub.add_parser(
        "export",
        help=summary("export"),
        description="Write a stored QV run (imported or simulated) as a JSON data set: each "
        "circuit's OpenQASM, its counts and, for imported runs, the shipped heavy outputs "
        "(docs/import.md). Importing the file again gives the same circuits, counts and HOPs.",
        formatter_class=_common.HELP_FORMATTER,
    )
    e.add_argument("run_id", metavar="RUN_ID", help="run id or a unique prefix of it")
    e.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    e.add_argument(
        "--bit-order",
        choices=BIT_ORDERS,
        default=None,
        help="how to write bitstrings (default: the order the run was imported with, else little)",
    )
    _common.add_store_argument(e)
    e.set_defaults(func=run_export)


def _choose(flag: str | None, metadata: dict[str, str], key: str) -> str | None:
    return flag if flag is not None else metadata.get(key)


def run_import(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits import``."""
    from quantumlimits.dataset.importer import ImportOptions, analyse, record

    out_console, err_console = _common.consoles(args.json)
    files = OUTPUTS + (SIMULATE_OUTPUTS if args.simulate else ())
    out = _common.output_dir(args.out, files=files)
    if args.no_store and args.store is not None:
        raise UsageError("--no-store and --store contradict each other: drop one")
    dataset = read_dataset(
        args.data, counts=args.counts, heavy=args.heavy, calibration=args.calibration
    )
    meta = dataset.metadata
    name = _choose(args.name, meta, "name")
    options = ImportOptions(
        name=name if name is not None else args.data.stem,
        bit_order=_choose(args.bit_order, meta, "bit_order") or "little",
        source=_choose(args.source, meta, "source"),
        device=_choose(args.device, meta, "device"),
        date=_choose(args.date, meta, "date"),
        seed=args.seed,
        method=args.method,
        bootstrap_resamples=args.bootstrap_resamples,
        verdict_from=args.verdict_from,
    )
    if options.verdict_from is not None and dataset.calibration is None:
        raise UsageError(
            "--verdict-from needs readout calibration: pass --calibration FILE, or drop the flag"
        )
    with err_console.status(f"computing the heavy sets of {len(dataset.entries)} circuits"):
        analysed = analyse(dataset, options)
    device = None
    if args.simulate is not None:
        from quantumlimits.dataset.simulate import check_device

        device = check_device(args.simulate, analysed.circuits)
    store = None if args.no_store else _common.open_store(args)
    try:
        result = record(analysed, store)
        if out is not None:
            write_outputs(out, result)
        report(out_console, result)
        _checks(err_console, analysed)
        if device is not None:
            _simulate(args, analysed, device, store, result.run_id, out, out_console, err_console)
    finally:
        if store is not None:
            store.close()
    if out is not None:
        out_console.print(f"wrote {', '.join(str(out / f) for f in files)}")
    if args.json:
        _common.print_json(result.to_json())
    return 0


def _checks(console: Console, analysed: ImportAnalysis) -> None:
    cal = analysed.calibration
    if cal is not None:
        c = cal.calibration
        console.print(
            f"readout calibration: {cal.bits} qubits, {cal.shots} shots per state; mean "
            f"P(1|0) {sum(c.p1_given_0) / cal.bits:.4f}, P(0|1) {sum(c.p0_given_1) / cal.bits:.4f}"
        )
    check = analysed.bit_order
    console.print(
        f"bit order: {check.declared} gives mean HOP {check.declared_hop:.4f}, "
        f"{check.other} would give {check.other_hop:.4f}"
    )
    for line in analysed.warnings:
        console.print(f"[yellow]warning:[/yellow] {line}", soft_wrap=True)
    if analysed.shipped_heavy:
        agree = analysed.shipped_heavy - len(analysed.disagreements)
        console.print(
            f"heavy outputs shipped with {analysed.shipped_heavy} circuits: {agree} agree with "
            f"the computed heavy sets, {len(analysed.disagreements)} disagree"
        )
        for d in analysed.disagreements:
            console.print(f"[yellow]disagreement:[/yellow] {d.describe()}", soft_wrap=True)


def _simulate(
    args: argparse.Namespace,
    analysed: ImportAnalysis,
    device: object,
    store: ResultsStore | None,
    run_id: str | None,
    out: Path | None,
    console: Console,
    err_console: Console,
) -> None:
    from quantumlimits.dataset.simulate import simulate
    from quantumlimits.documents import dumps
    from quantumlimits.plots.dataset import figure

    with err_console.status(f"simulating {len(analysed.circuits)} circuits on {args.simulate}"):
        comparison = simulate(
            analysed.circuits,
            backend=args.simulate,
            seed=args.seed,
            optimization_level=args.optimization_level,
            device=device,
        )
    document = comparison.to_dict()
    if store is not None and run_id is not None:
        store.add_part(run_id, f"simulate:{args.simulate}", document)
    if out is not None:
        _common.write_document_and_figure(
            out, name="simulate", document=dumps(document), figure=figure(comparison)
        )
    table = Table(
        title=f"Measured (imported) against simulated HOP on {comparison.backend}, "
        f"calibration {comparison.calibration_date or 'n/a'}",
        title_justify="left",
        caption="diff: mean of measured - simulated over circuits, ± 2 standard errors; "
        "r: Pearson correlation of the per-circuit HOPs",
    )
    for column in ("width", "N", "measured", "simulated", "ideal", "diff", "r", "qubits"):
        table.add_column(column, justify="right")
    for w in comparison.widths:
        se = "" if w.difference_se is None else f" ± {2 * w.difference_se:.3f}"
        table.add_row(
            str(w.width),
            str(w.circuits),
            _common.fmt(w.measured_hop),
            _common.fmt(w.simulated_hop),
            _common.fmt(w.ideal_hop),
            f"{w.difference:+.3f}{se}",
            _common.fmt(w.correlation, 2),
            ",".join(map(str, w.physical_qubits)),
        )
    console.print(table)
    r = comparison.correlation
    console.print(
        f"{len(comparison.circuits)} circuits paired; correlation of measured and simulated "
        f"HOP over all of them: {'n/a' if r is None else f'{r:.3f}'}"
        + ("" if out is None else "; per circuit in simulate.json")
    )


def run_export(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits export``."""
    from quantumlimits.dataset.export import exported
    from quantumlimits.dataset.files import dataset_text

    target: Path = args.out
    try:
        folder = target.is_dir()
    except OSError as exc:
        raise UsageError(
            f"cannot write --out {target}: {exc.strerror}; pass a shorter path"
        ) from None
    if folder:
        raise UsageError(f"--out {target} is a folder: pass a file name such as {target}/data.json")
    _common.output_dir(target.parent, files=(target.name,))
    with _common.open_store(args, readonly=True) as store:
        dataset = exported(store, args.run_id, bit_order=args.bit_order)
    _common.write_text(target, dataset_text(dataset))
    _, err = _common.consoles(False)
    err.print(f"wrote {len(dataset.entries)} circuits to {target}")
    return 0
