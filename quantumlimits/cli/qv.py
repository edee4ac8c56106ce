"""``quantumlimits qv``: measure quantum volume."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from quantumlimits.cli import _common, _ibm, summary
from quantumlimits.documents import dumps
from quantumlimits.errors import UsageError
from quantumlimits.execution.aer import DEVICES, ENGINES, PRECISIONS
from quantumlimits.execution.backends import DEFAULT_BACKEND, check_backend_name
from quantumlimits.plots.process import FigureProcess
from quantumlimits.progress import RichWidthProgress, width_bars
from quantumlimits.qv import analysis, optimize, protocol
from quantumlimits.qv.results import QVResult, WidthResult
from quantumlimits.qv.settings import (
    AUTO_MAX_WIDTH_NOISELESS,
    DEFAULT_ADAPTIVE_TRIALS,
    QVSettings,
    parse_widths,
)
from quantumlimits.qv.stats import METHODS

if TYPE_CHECKING:
    from quantumlimits.execution.dask import DaskSession
    from quantumlimits.execution.pool import ProcessPool

DESCRIPTION = """\
Measure the quantum volume (QV) of a backend: random SU(4) model circuits of width = depth m,
transpiled to the device and simulated with its noise; a width passes when the lower confidence
bound on its mean heavy-output probability is above 2/3; QV = 2^m for the largest passing width.
Offline backends: 'aer' (noiseless) and every fake_* calibration snapshot
('quantumlimits backends'). IBM Quantum devices: ibm_<device> (docs/ibm.md).
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``qv``."""
    p = sub.add_parser(
        "qv",
        help=summary("qv"),
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        help="'aer' (noiseless), a calibration snapshot such as fake_torino, or an IBM "
        "Quantum device such as ibm_torino",
    )
    p.add_argument(
        "--widths",
        default="auto",
        help="'auto' (on a device snapshot: start one below the QV its calibration predicts, "
        "scan up until a width fails, down if the first one fails; on aer: up from 2), "
        "a range like 2-6, or a list like 2,3,5",
    )
    p.add_argument(
        "--depths",
        default=None,
        help="volumetric run: every width of --widths at each of these depths (a range like "
        "1-8 or a list); rectangular cells are reported and mapped, QV comes from the squares",
    )
    p.add_argument(
        "--predict-only",
        action="store_true",
        help="print the HOP and QV the device's calibration predicts, in seconds, without "
        "simulating (docs/predict.md)",
    )
    p.add_argument(
        "--max-width",
        type=_common.positive_int,
        default=None,
        help="widest width --widths auto may reach (default: the device's qubits; "
        f"{AUTO_MAX_WIDTH_NOISELESS} for aer)",
    )
    p.add_argument(
        "--trials",
        type=_common.positive_int,
        default=argparse.SUPPRESS,
        help="model circuits per width (the protocol needs at least 100); with --adaptive, the "
        "cap (default: 100, or 500 with --adaptive)",
    )
    p.add_argument(
        "--adaptive",
        action="store_true",
        help="add circuits in rounds of 25 until a sequential test (valid under repeated "
        "looks, docs/qv-sequential.md) decides each width, from 100 circuits up to --trials",
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
        "--exact-synthesis",
        action="store_true",
        help="on a device spec, compile exactly; by default synthesis approximates up to the "
        "spec's published gate errors (Qiskit's approximation_degree=None: at optimization "
        "levels 2-3 a gate closer to the identity than its error is dropped; docs/devices.md). "
        "IBM snapshots always compile exactly",
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
    opt = p.add_argument_group(
        "reported optimizations (device snapshots and IBM devices; raw and optimized results are "
        "both reported)"
    )
    opt.add_argument(
        "--mitigate-readout",
        action="store_true",
        help="tensored readout-error mitigation from all-0/all-1 calibration circuits run with "
        "each width",
    )
    opt.add_argument(
        "--readout-shots",
        type=_common.positive_int,
        default=optimize.READOUT_SHOTS,
        help="shots per calibration state (calibration circuits repeat to reach them)",
    )
    opt.add_argument(
        "--dynamical-decoupling",
        action="store_true",
        help="also run every circuit with X-X decoupling in its idle windows (the raw arm gets "
        "the same schedule with plain delays)",
    )
    opt.add_argument(
        "--verdict-from",
        choices=optimize.VERDICT_SOURCES,
        default="optimized",
        help="whose verdicts set the QV when an optimization runs",
    )
    p.add_argument(
        "--bootstrap-resamples",
        type=_common.positive_int,
        default=10_000,
        help="bootstrap resamples per width",
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="double",
        help="ideal statevector precision: double (qulacs) or single (Aer: half the state's "
        "memory, widths up to about 29 on 24 GB, float32 rounding of the ideal probabilities)",
    )
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="cpu",
        help="Aer device; gpu (ideal stage on Aer too) needs qiskit-aer-gpu and falls back to the "
        "CPU with a warning where it is missing",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="noisy simulator of device snapshots: auto (the exact density matrix up to 10 "
        "qubits whatever the shots, Pauli trajectories above; docs/method.md), density, "
        "trajectories (Monte-Carlo, its error added to the bounds) or aer",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="folder for qv.json and qv.png (created if missing)"
    )
    _common.add_store_argument(p)
    _common.add_dask_argument(p)
    _common.add_workers_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not record the run in the store")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result document on stdout (progress and tables go to stderr)",
    )
    _ibm.add_arguments(p)
    p.set_defaults(func=run)


def _describe_width(result: WidthResult, *, method: str, source: str) -> str:
    verdict = "pass" if result.passed(method, source) else "fail"
    hop = f"mean HOP {result.mean_hop:.3f}"
    if result.optimized is not None:
        hop += f", optimized {result.optimized['mean_hop']:.3f}"
    return f"{hop} ({verdict})"


def results_table(result: QVResult) -> Table:
    """The final table: one row per width."""
    shots = "/".join(str(s) for s in sorted({w.shots for w in result.widths}))
    table = Table(
        title=f"Quantum volume on {result.backend}, {shots} shots per circuit",
        title_justify="left",
        caption="HOP: mean heavy-output probability; pred: predicted from calibration; "
        "LB: lower bound; pass: Cross/bootstrap; 2q: two-qubit gates per circuit",
    )
    sequential = any(w.sequential for w in result.widths)
    volumetric = any(w.width != w.depth for w in result.widths)
    optimized = any(w.optimized for w in result.widths)
    headers = ["width", "N", "HOP", "pred", "ideal", "Cross LB", "boot LB", "pass"]
    if sequential:
        headers += ["seq"]
    if optimized:
        headers += ["opt HOP", "opt Cross LB", "opt boot LB", "opt pass"]
    headers += ["2q", "s"]
    if volumetric:
        headers[0] = "w x d"
    if optimized:
        table.caption = str(table.caption) + (
            "; opt: the optimized arm (readout mitigation and/or dynamical decoupling)"
        )
    for column in headers:
        table.add_column(column, justify="right")
    for w in result.widths:
        two_q = sum(w.two_qubit_gates) / max(1, w.circuits)
        row = [
            f"{w.width}x{w.depth}" if volumetric else str(w.width),
            f"{w.circuits}" + ("" if w.valid else "*"),
            _common.fmt(w.mean_hop),
            _common.fmt(w.predicted_hop, 3),
            _common.fmt(sum(w.ideal_hops) / max(1, len(w.ideal_hops))),
            _common.fmt(w.cross_lower),
            _common.fmt(w.bootstrap_lower),
            ("y" if w.passed_cross else "n") + "/" + ("y" if w.passed_bootstrap else "n"),
        ]
        if sequential:
            row.append(str(w.sequential["decision"]) if w.sequential else "-")
        if optimized:
            o = w.optimized or {}
            row += (
                [
                    _common.fmt(o["mean_hop"]),
                    _common.fmt(o["cross_lower"]),
                    _common.fmt(o["bootstrap_lower"]),
                    ("y" if o["passed_cross"] else "n")
                    + "/"
                    + ("y" if o["passed_bootstrap"] else "n"),
                ]
                if o
                else ["-"] * 4
            )
        row += [f"{two_q:.1f}", f"{sum(w.timings.values()):.1f}"]
        table.add_row(*row)
    return table


def report(console: Console, result: QVResult) -> None:
    """Table, layouts, verdict line (never a QV the data do not show) and undecided widths."""
    console.print(results_table(result))
    if not result.valid:
        console.print("* fewer than 100 circuits: the protocol does not accept this as a QV claim")
    for w in result.widths:
        if not w.physical_qubits:
            continue
        line = f"width {w.width} on physical qubits {list(w.physical_qubits)}"
        choice = w.layout_choice
        if choice and choice.get("runner_up"):
            runner_up = choice["runner_up"]
            line += (
                f" (predicted HOP {choice['predicted_hop']:.3f}; best of {choice['candidates']} "
                f"candidates, runner-up {runner_up['qubits']} at {runner_up['predicted_hop']:.3f})"
            )
        console.print(line)
    date = result.calibration_date or "n/a"
    console.print(
        f"[bold]{analysis.verdict_line(result)}[/bold] on {result.backend}, calibration {date}, "
        f"decided by the {result.decided_by} bound"
        + (f" of the {_optimized_label(result)}" if result.verdict_from == "optimized" else "")
        + f"; seed {result.seed}"
        + (f"; run {result.run_id}" if result.run_id else "")
    )
    for u in analysis.undecided(result):
        hint = ""
        imported = result.backend.startswith("imported:")
        if u.circuits_needed is not None and result.decided_by != "sequential" and not imported:
            cap = max(u.circuits_needed, 100)
            hint = f"; --adaptive --trials {cap} takes them and stops when decided"
        console.print(u.describe() + hint)


def _optimized_label(result: QVResult) -> str:
    return optimize.arm_label(result.settings.get("optimizations"))


def run_predict_only(args: argparse.Namespace, settings: QVSettings) -> int:
    """Handle ``quantumlimits qv --predict-only``: calibration predictions, no simulation."""
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=("prediction.json",))
    with err_console.status(f"predicting from the calibration of {settings.backend}"):
        rows = protocol.predict_scan(
            backend=settings.backend,
            widths=settings.widths or None,
            trials=settings.trials,
            optimization_level=settings.optimization_level,
            qubits=settings.qubits,
            seed=settings.seed,
            max_width=settings.max_width,
            approximate_synthesis=settings.approximate_synthesis,
        )
    log2 = protocol.predicted_log2_qv(rows)
    table = Table(
        title=f"Predicted from the calibration of {settings.backend} (no simulation)",
        title_justify="left",
        caption=f"pass: predicted HOP above the Cross threshold for {settings.trials} circuits",
    )
    for column in ("width", "predicted HOP", "threshold", "fidelity", "2q", "pass", "qubits"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            str(r.width),
            _common.fmt(r.predicted_hop),
            _common.fmt(r.pass_threshold),
            _common.fmt(r.fidelity, 3),
            f"{r.two_qubit_gates:.1f}",
            "yes" if r.predicted_pass else "no",
            ",".join(map(str, r.qubits)),
        )
    out_console.print(table)
    out_console.print(f"[bold]predicted QV = {2**log2}[/bold] on {settings.backend}")
    document = {
        "schema": 1,
        "kind": "qv-prediction",
        "backend": settings.backend,
        "predicted_quantum_volume": 2**log2,
        "trials": settings.trials,
        "seed": settings.seed,
        "optimization_level": settings.optimization_level,
        "approximate_synthesis": settings.approximate_synthesis,
        "widths": [r.to_dict() for r in rows],
    }
    if out is not None:
        _common.write_text(out / "prediction.json", dumps(document) + "\n")
        out_console.print(f"wrote {out / 'prediction.json'}")
    if args.json:
        _common.print_json(dumps(document))
    return 0


#: The files ``qv --out`` writes.
OUTPUTS = ("qv.json", "qv.png")


def write_outputs(out: Path, result: QVResult, *, figures: FigureProcess | None = None) -> None:
    """qv.json and qv.png in ``out``, each written atomically; qv.png drawn by ``figures`` (a
    drawing process started with the command) when given and it succeeds, else here."""
    document = result.to_json()
    _common.write_text(out / "qv.json", document + "\n")
    if figures is not None and figures.draw(document=document, path=out / "qv.png", crop=False):
        return
    from quantumlimits.plots import save_figure
    from quantumlimits.plots.qv import figure

    save_figure(figure(result), out / "qv.png", crop=False)


def _distributed(dask: DaskSession | None, pool: ProcessPool | None = None) -> dict[str, Any]:
    """measure()'s mapper / memory / cluster keywords for a Dask session or a pool of local
    worker processes (none in-process)."""
    if dask is None:
        return {} if pool is None else {"mapper": pool, "cluster": pool.describe()}
    memory = dask.task_memory_bytes
    return {
        "mapper": dask,
        "memory": protocol.TaskMemory(memory, dask.memory_where) if memory else None,
        "cluster": dask.describe(),
    }


def settings_from_args(args: argparse.Namespace) -> QVSettings:
    """The run the flags ask for (validated: a mistake is one line naming the flag)."""
    adaptive = args.adaptive
    depths = None
    if args.depths is not None:
        depth_plan = parse_widths(args.depths, minimum=1, flag="--depths")
        if depth_plan.auto:
            raise UsageError("--depths takes a range like 1-8 or a list like 2,4,8, not auto")
        depths = depth_plan.widths
    trials = getattr(args, "trials", None)
    return QVSettings(
        backend=check_backend_name(args.backend),
        widths=parse_widths(args.widths),
        depths=depths,
        max_width=args.max_width,
        trials=trials if trials is not None else DEFAULT_ADAPTIVE_TRIALS if adaptive else 100,
        adaptive=adaptive,
        shots=args.shots,
        seed=args.seed,
        optimization_level=args.optimization_level,
        qubits=tuple(args.qubits) if args.qubits is not None else None,
        method=args.method,
        bootstrap_resamples=args.bootstrap_resamples,
        precision=args.precision,
        device=args.device,
        engine=args.engine,
        approximate_synthesis=not args.exact_synthesis,
        optimizations=optimize.Optimizations(
            readout=args.mitigate_readout,
            readout_shots=args.readout_shots,
            dynamical_decoupling=args.dynamical_decoupling,
            verdict_from=args.verdict_from,
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits qv``."""
    settings = settings_from_args(args)
    if args.predict_only:
        return run_predict_only(args, settings)
    _ibm.check_flags(args)
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=OUTPUTS)
    store = None
    executor = None
    dask: DaskSession | None = None
    pool: ProcessPool | None = None
    figures: FigureProcess | None = None
    result: QVResult | None = None
    try:
        # a cloud device is reached and its projection approved before the store is touched
        executor = _ibm.qv_executor(
            settings,
            account=args.account,
            mode=args.mode,
            max_qpu_seconds=args.max_qpu_seconds,
            usd_per_second=args.usd_per_qpu_second,
            yes=args.yes,
            console=err_console,
        )
        if executor is None:  # forked before the store opens and any thread starts
            pool = _common.open_pool(args)
            if out is not None:  # after the fork: the pool's workers hold no pipe to it
                figures = FigureProcess.start("qv")
        store = None if args.no_store else _common.open_store(args)
        dask = _common.open_dask(args, err_console)
        with (
            _common.relayed_warnings(protocol.QVWarning, err_console),
            width_bars(err_console) as bar,
        ):
            result = protocol.measure(
                settings,
                store=store,
                progress=RichWidthProgress(
                    bar,
                    functools.partial(
                        _describe_width, method=settings.method, source=settings.verdict_from
                    ),
                ),
                executor=executor,
                **_distributed(dask, pool),
            )
        if executor is not None and store is not None:
            _ibm.print_jobs(
                err_console, store, executor.run_id, usd_per_second=args.usd_per_qpu_second
            )
    except KeyboardInterrupt:
        if executor is not None:
            _ibm.resume_hint(err_console, executor.run_id)
        raise
    finally:
        if executor is not None:
            executor.close()
        if store is not None:
            store.close()
        if dask is not None:
            dask.close()
        if pool is not None:
            pool.close(now=result is None)
        if figures is not None and result is None:
            figures.close()
    if out is not None:
        write_outputs(out, result, figures=figures)
    report(out_console, result)
    if out is not None:
        out_console.print(f"wrote {out / 'qv.json'} and {out / 'qv.png'}")
    if args.json:
        _common.print_json(result.to_json())
    return 0
