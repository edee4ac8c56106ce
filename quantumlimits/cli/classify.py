"""``quantumlimits classify``: time-to-accuracy of quantum and classical classifiers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _classify_ibm, _common, summary
from quantumlimits.documents import dumps
from quantumlimits.errors import UsageError

if TYPE_CHECKING:
    from quantumlimits.execution.dask import DaskSession

DEFAULT_OUT = "results/classify"
#: The part of a device run that records its --out folder (resume writes there by default).
OUTPUT_PART = "output"


def add_parser(subparsers: Any) -> None:
    """Register the ``classify`` subcommand."""
    from quantumlimits.classify.settings import DATASETS, DEFAULT_PRICE_PER_SECOND, MODELS

    p = subparsers.add_parser(
        "classify",
        help=summary("classify"),
        description=(
            "Train quantum and classical classifiers over several seeds and measure how long "
            "each takes to reach a held-out accuracy target: simulator wall time, circuit "
            "executions and shots, projected QPU time and cost on a device snapshot."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset",
        metavar="NAME[,NAME...]",
        help="built-in task, or a comma-separated list run together (one result per dataset, "
        f"in OUT/NAME/); None: moons (unless --data): {', '.join(DATASETS)}",
    )
    data.add_argument(
        "--data", metavar="FILE.csv", help="your own CSV (header row, numeric features)"
    )
    data.add_argument("--label", metavar="COLUMN", help="label column of --data")
    data.add_argument(
        "--positive-class",
        metavar="LABEL",
        help="make a multi-class task one-vs-rest: LABEL against the others",
    )
    data.add_argument("--samples", type=int, default=200, help="samples of a synthetic task")
    data.add_argument("--noise", type=float, default=0.1, help="noise of a synthetic task")
    data.add_argument(
        "--features",
        type=int,
        default=None,
        help="synthetic: dimension; real or CSV: PCA components fitted on train",
    )
    data.add_argument("--test-size", type=float, default=0.3, help="held-out fraction")
    models = p.add_argument_group("models")
    models.add_argument(
        "--models",
        default="all",
        metavar="LIST",
        help=f"comma-separated from {', '.join(MODELS)}; or all",
    )
    models.add_argument(
        "--grid", action="store_true", help="small timed grid search for the classical models"
    )
    models.add_argument(
        "--tune",
        type=int,
        default=0,
        metavar="N",
        help="search N configurations of every model's grid first (the same budget and folds "
        "for every model; its time kept apart; docs/classify.md); 0: off",
    )
    models.add_argument(
        "--tune-folds", type=int, default=3, metavar="K", help="cross-validation folds of --tune"
    )
    models.add_argument("--qubits", type=int, default=8, help="qubit budget (features must fit)")
    models.add_argument(
        "--width",
        type=int,
        default=None,
        help="qubits of the quantum models; None: one per feature",
    )
    models.add_argument("--layers", type=int, default=3, help="variational layers")
    models.add_argument(
        "--no-entangle",
        action="store_true",
        help="drop every entangling gate of every quantum model (the -noent models drop theirs "
        "always)",
    )
    models.add_argument("--lr", type=float, default=0.1, help="Adam learning rate")
    models.add_argument(
        "--batch-size", type=int, default=None, help="minibatch size; None: the full training set"
    )
    models.add_argument("--max-steps", type=int, default=100, help="optimiser steps")
    models.add_argument(
        "--engine",
        choices=("numpy", "pennylane", "lightning"),
        default="numpy",
        help="how training simulates the circuit (same maths, other clocks)",
    )
    models.add_argument(
        "--readout",
        choices=("z0", "mean"),
        default="z0",
        help="what the quantum models read out: <Z> of qubit 0, or the mean <Z> of every qubit",
    )
    measure = p.add_argument_group("measurement")
    measure.add_argument(
        "--target", default="0.9", help="accuracy target in (0, 1], or rel:F for F x best classical"
    )
    measure.add_argument("--seeds", type=int, default=5, help="repetitions per model")
    measure.add_argument("--seed", type=int, default=0, help="master seed (data split, models)")
    measure.add_argument("--eval-every", type=int, default=1, help="evaluate every N steps")
    measure.add_argument("--shots", type=int, default=1000, help="shots per circuit (projection)")
    measure.add_argument(
        "--device-model",
        default="fake_torino",
        metavar="NAME",
        help="calibration snapshot for the QPU projection, or none",
    )
    measure.add_argument(
        "--noisy-eval",
        action="store_true",
        help="also run each trained quantum model on Aer with the device's noise at --shots "
        "and report its held-out accuracy",
    )
    measure.add_argument(
        "--price-per-second",
        type=float,
        default=DEFAULT_PRICE_PER_SECOND,
        help="USD per QPU second (IBM Pay-As-You-Go list price)",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help="folder for classify.json and classify.png (several datasets: OUT/NAME/ each)",
    )
    _common.add_store_argument(out)
    out.add_argument("--no-store", action="store_true", help="do not record the run in the store")
    out.add_argument(
        "--json",
        action="store_true",
        help="print the result document on stdout (several datasets: a JSON array of them)",
    )
    run_on = p.add_argument_group(
        "where it runs",
        "every (dataset, model, seed) is one unit of work; on Dask the units run on the workers "
        "and a progress bar fills when its unit is in (per-step progress is in-process only)",
    )
    _common.add_dask_argument(run_on)
    _classify_ibm.add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the measurement, write classify.json and classify.png, record the run in the store.

    The flags become a :class:`~quantumlimits.classify.settings.ClassifySettings`;
    :func:`quantumlimits.classify.protocol.measure` does the rest. With several datasets every
    (dataset, model, seed) unit is submitted at once, and each dataset gets its own folder
    ``OUT/NAME/``, document and store run.
    """
    from quantumlimits.classify import protocol
    from quantumlimits.classify.settings import ClassifySettings

    on_device = _classify_ibm.check_flags(args)
    settings = ClassifySettings.from_arguments(vars(args))
    prepared = protocol.prepare(settings)
    if on_device:  # an IBM Quantum device: one dataset, in this process
        if len(prepared.datasets) > 1:
            raise UsageError(
                f"--backend {args.backend} runs one dataset at a time: pass one --dataset"
            )
        if args.dask is not None:
            raise UsageError(
                f"--backend {args.backend} runs in this process (its jobs wait on the device): "
                "drop --dask"
            )
        return run_on_device(settings, args, prepared=prepared)
    from quantumlimits.execution.dask import resolve_spec

    resolve_spec(args.dask)  # a bad --dask / $QUANTUMLIMITS_DASK fails before any folder is made
    out_root = _common.output_dir(Path(args.out))
    assert out_root is not None
    single = len(prepared.datasets) == 1
    out_dirs = [out_root] if single else [out_root / d.name for d in prepared.datasets]
    if not single:
        for path in out_dirs:
            _common.output_dir(path)
    # The cluster before the store: a bad --dask fails with nothing recorded.
    dask: DaskSession | None = _common.open_dask(args, Console(stderr=True))
    store = None
    try:
        store = None if args.no_store else _common.open_store(args)
        with _Progress(several=not single) as progress:
            measured = protocol.measure(
                settings,
                store=store,
                progress=progress,
                mapper=dask,
                cluster=None if dask is None else dask.describe(),
                prepared=prepared,
            )
    finally:
        if store is not None:
            store.close()
        if dask is not None:
            dask.close()
    show(measured, out_dirs=out_dirs, json_mode=args.json)
    return 0


def show(measured: Sequence[Any], *, out_dirs: Sequence[Path | None], json_mode: bool) -> None:
    """Write each result's classify.json and classify.png, print its table, the files written,
    and with ``json_mode`` the document(s) on stdout."""
    from quantumlimits.plots.classify import write_png

    for one, path in zip(measured, out_dirs, strict=True):
        if path is not None:
            write_png(one.result, path / "classify.png")
            atomic_write_text(path / "classify.json", dumps(one.document) + "\n")
    table_to = sys.stderr if json_mode else sys.stdout
    for one in measured:
        _print_table(one.result, file=table_to)
    for one, path in zip(measured, out_dirs, strict=True):
        recorded = f"; run {one.run_id}" if one.run_id else " (not stored)"
        if path is not None:
            print(f"wrote {path / 'classify.json'} and classify.png{recorded}", file=sys.stderr)
    if json_mode:
        documents = [one.document for one in measured]
        _common.print_json(dumps(documents[0] if len(documents) == 1 else documents) + "\n")


def run_on_device(
    settings: Any,
    args: argparse.Namespace,
    *,
    prepared: Any = None,
    resume_run_id: str | None = None,
) -> int:
    """``classify --backend ibm_<device>`` (or its ``resume``): projection and approval before
    anything runs, the models trained (on the simulator, or through the device with
    ``--train-on-backend``), then evaluated on the device; journaled so ``resume`` can finish it.
    ``args`` holds this invocation's account, mode, budget, ``--yes``, ``--out``, ``--json`` and
    store."""
    from quantumlimits import provenance
    from quantumlimits.classify import protocol
    from quantumlimits.store import recording

    prepared = prepared or protocol.prepare(settings)
    out_dir = _common.output_dir(Path(args.out))
    store = _common.open_store(args)
    hw = None
    try:
        hw = _classify_ibm.open_device(
            settings, args, split=prepared.splits[0], store=store, resume_run_id=resume_run_id
        )
        with recording(
            store,
            kind="classify",
            backend=settings.backend,
            seed=settings.seed,
            inputs=settings.to_dict(),
            created=provenance.now_utc(),
            resume=resume_run_id,
        ) as run:
            assert run.run_id is not None
            hw.attach(store, run.run_id)
            run.add_part(OUTPUT_PART, {"out": str(out_dir)})  # where resume writes by default
            try:
                result = hw.partial()
                if result is None:
                    with _Progress() as progress:
                        result = protocol.train(settings, prepared, progress=progress, hooks=hw)
                    hw.record_training(result)
                result = hw.evaluate(result)
            except KeyboardInterrupt:
                _classify_ibm.interrupted(hw)
                raise
            _classify_ibm.print_jobs(hw)
            one = protocol.Measured(result=result, run_id=run.run_id)
            run.finish(document=one.document, summary=protocol.summary(result))
    finally:
        if hw is not None:
            hw.close()
        store.close()
    show([one], out_dirs=[out_dir], json_mode=args.json)
    return 0


def progress_bars(*, several: bool = False) -> _Progress:
    """Progress bars on stderr for a classify run (a context manager giving the callback)."""
    return _Progress(several=several)


class _Progress:
    """Rich progress bars on stderr, one per (dataset,) model and seed.

    In-process they follow optimiser steps; on Dask a bar fills when its unit's result is in.
    """

    def __init__(self, *, several: bool = False) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._several = several
        self._tasks: dict[tuple[str, str, int], Any] = {}

    def __enter__(self) -> Any:
        self._bars.__enter__()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self._bars.__exit__(None, None, None)

    def update(self, model: str, rep: int, step: int, *, total: int, dataset: str = "") -> None:
        key = (dataset, model, rep)
        if key not in self._tasks:
            label = f"{dataset} {model}" if self._several else model
            self._tasks[key] = self._bars.add_task(f"{label} seed {rep + 1}", total=total)
        self._bars.update(self._tasks[key], completed=step)


def _fmt_count(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value < 1e6 else f"{value:.2e}"


def _print_table(result: Any, *, file: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from quantumlimits.classify.protocol import format_seconds as _fmt_seconds

    price = result.price_per_second
    table = Table(
        title=f"time to {result.target:.3g} held-out accuracy on {result.dataset.get('name')} "
        f"({len(result.seeds)} seeds; QPU projection: {result.device_model or 'none'}, "
        f"{result.shots} shots)"
    )
    noisy = any(r.noisy_accuracy is not None for m in result.models for r in m.runs)
    hardware = any(r.hardware_accuracy is not None for m in result.models for r in m.runs)
    for column in (
        "model",
        "params",
        "final acc",
        "time to target: median [min–max]",
        "reached",
        "executions",
        "QPU time",
        "cost (USD)",
        *(("noisy acc",) if noisy else ()),
        *(("hw acc",) if hardware else ()),
    ):
        table.add_column(escape(column), justify="left" if column == "model" else "right")
    for m in result.models:
        wall = m.summary(result.target, clock="wall", price_per_second=price)
        spread = f" [{_fmt_seconds(wall.low)}–{_fmt_seconds(wall.high)}]" if wall.reached else ""
        if m.family == "quantum":
            ex = m.summary(result.target, clock="executions", price_per_second=price).median
            qpu = m.summary(result.target, clock="qpu", price_per_second=price).median
            cost = m.summary(result.target, clock="cost", price_per_second=price).median
            qpu_text = _fmt_seconds(qpu) if result.device_model else "n/a"
            cost_text = (
                (f"{cost:,.0f}" if cost is not None else "—") if result.device_model else "n/a"
            )
            ex_text = _fmt_count(ex)
        else:
            qpu_text = cost_text = ex_text = "n/a"
        table.add_row(
            m.name,
            str(m.n_params),
            f"{m.median_final_accuracy:.3f}",
            escape(
                (_fmt_seconds(wall.median) if wall.median is not None else "not reached") + spread
            ),
            f"{wall.reached}/{wall.runs}",
            ex_text,
            qpu_text,
            cost_text,
            *((_noisy_text(m),) if noisy else ()),
            *((_noisy_text(m, field="hardware_accuracy"),) if hardware else ()),
        )
    Console(file=file, width=170).print(table)


def _noisy_text(model: Any, *, field: str = "noisy_accuracy") -> str:
    import statistics

    values = [getattr(r, field) for r in model.runs if getattr(r, field) is not None]
    return f"{statistics.median(values):.3f}" if values else "n/a"
