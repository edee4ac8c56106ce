"""``quantumlimits classify``: time-to-accuracy of quantum and classical classifiers."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _classify_ibm, _common
from quantumlimits.documents import dumps
from quantumlimits.errors import UsageError

if TYPE_CHECKING:
    from quantumlimits.execution.dask import DaskSession

DEFAULT_OUT = "results/classify"


def add_parser(subparsers: Any) -> None:
    """Register the ``classify`` subcommand."""
    from quantumlimits.classify.datasets import DATASETS
    from quantumlimits.classify.trainer import MODELS
    from quantumlimits.execution.cost import DEFAULT_PRICE_PER_SECOND

    p = subparsers.add_parser(
        "classify",
        help="time-to-accuracy: variational quantum classifiers against classical baselines",
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
    models.add_argument("--qubits", type=int, default=8, help="qubit budget (features must fit)")
    models.add_argument(
        "--width",
        type=int,
        default=None,
        help="qubits of the quantum models; None: one per feature",
    )
    models.add_argument("--layers", type=int, default=3, help="variational layers")
    models.add_argument("--no-entangle", action="store_true", help="drop every CZ (ablation)")
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


def parse_datasets(text: str | None) -> tuple[str, ...]:
    """``--dataset``: one built-in name or a comma-separated list of distinct ones.

    >>> parse_datasets("moons, circles")
    ('moons', 'circles')
    >>> parse_datasets(None)
    ('moons',)
    """
    from quantumlimits.classify.datasets import DATASETS

    if text is None:
        return ("moons",)
    names = [n.strip() for n in text.split(",")]
    if not any(names):
        raise UsageError(f"--dataset is empty: pass one or more of {', '.join(DATASETS)}")
    if "" in names:
        raise UsageError(
            f"--dataset {text!r} has an empty name: separate names with single commas, "
            "e.g. --dataset moons,circles"
        )
    for name in names:
        if name not in DATASETS:
            close = difflib.get_close_matches(name, DATASETS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UsageError(
                f"unknown dataset {name!r} in --dataset: {hint}choose from {', '.join(DATASETS)}"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(
            f"--dataset names {', '.join(repeated)} more than once: list each dataset once"
        )
    return tuple(names)


def _datasets(args: argparse.Namespace) -> list[Any]:
    from quantumlimits.classify.datasets import load_csv, load_dataset

    if args.data is not None:
        if args.dataset is not None:
            several = "," in args.dataset
            raise UsageError(
                "--data runs one CSV and cannot be combined with a --dataset list: "
                "run the CSV on its own"
                if several
                else "pass either --dataset or --data, not both"
            )
        if not args.label:
            raise UsageError(f"--data {args.data} needs --label COLUMN naming the label column")
        return [load_csv(path=args.data, label=args.label, positive_class=args.positive_class)]
    if args.label or args.positive_class:
        raise UsageError("--label and --positive-class go with --data FILE.csv")
    return [
        load_dataset(
            name=name,
            n_samples=args.samples,
            n_features=args.features if args.features is not None else 2,
            noise=args.noise,
            seed=args.seed,
        )
        for name in parse_datasets(args.dataset)
    ]


def run(args: argparse.Namespace) -> int:
    """Run the measurement, write classify.json and classify.png, record the run in the store.

    With several datasets every (dataset, model, seed) unit is submitted at once, and each
    dataset gets its own folder ``OUT/NAME/``, document and store run.
    """
    from quantumlimits import provenance
    from quantumlimits.classify.datasets import SYNTHETIC
    from quantumlimits.classify.trainer import (
        QuantumSettings,
        check_request,
        parse_models,
        run_classify_many,
    )

    if args.seed < 0:
        raise UsageError(f"--seed must be non-negative, got {args.seed}")
    models = parse_models(args.models)
    settings = QuantumSettings(
        layers=args.layers,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        max_steps=args.max_steps,
        entangle=not args.no_entangle,
        engine=args.engine,
        n_qubits=args.width,
        eval_every=args.eval_every,
    )
    datasets = _datasets(args)
    pcas = [
        None if (args.data is None and d.name in SYNTHETIC) else args.features for d in datasets
    ]
    device = None if args.device_model.lower() == "none" else args.device_model
    if args.noisy_eval and device is None:
        raise UsageError("--noisy-eval needs a --device-model snapshot, e.g. fake_torino")
    common: dict[str, Any] = {
        "models": models,
        "target": args.target,
        "shots": args.shots,
        "price_per_second": args.price_per_second,
        "qubits": args.qubits,
        "test_size": args.test_size,
        "seed": args.seed,
    }
    for d, pca in zip(datasets, pcas, strict=True):
        check_request(dataset=d, n_features=pca, n_seeds=args.seeds, quantum=settings, **common)
    if device is not None:
        from quantumlimits.execution.backends import load_snapshot

        load_snapshot(device)  # an unknown name fails here, before any work
    if _classify_ibm.check_flags(args):  # an IBM Quantum device: one dataset, in this process
        if len(datasets) > 1:
            raise UsageError(
                f"--backend {args.backend} runs one dataset at a time: pass one --dataset"
            )
        if args.dask is not None:
            raise UsageError(
                f"--backend {args.backend} runs in this process (its jobs wait on the device): "
                "drop --dask"
            )
        return _run_on_device(
            args,
            dataset=datasets[0],
            pca=pcas[0],
            settings=settings,
            device=device,
            common=common,
        )
    from quantumlimits.execution.dask import resolve_spec

    resolve_spec(args.dask)  # a bad --dask / $QUANTUMLIMITS_DASK fails before any folder is made
    out_root = _common.output_dir(Path(args.out))
    assert out_root is not None
    single = len(datasets) == 1
    out_dirs = [out_root] if single else [out_root / d.name for d in datasets]
    if not single:
        for path in out_dirs:
            _common.output_dir(path)
    # The cluster before the store: a bad --dask fails with nothing recorded.
    dask: DaskSession | None = _common.open_dask(args, Console(stderr=True))
    store = None
    run_ids: list[str | None] = [None] * len(datasets)
    try:
        store = None if args.no_store else _common.open_store(args)
        if store is not None:
            run_ids = [
                store.begin_run(
                    kind="classify", backend=device, seed=args.seed, created=provenance.now_utc()
                )
                for _ in datasets
            ]
        with _Progress(several=not single) as progress:
            results = run_classify_many(
                datasets=datasets,
                n_features=pcas,
                n_seeds=args.seeds,
                device_model=device,
                quantum=settings,
                grid=args.grid,
                noisy_eval=args.noisy_eval,
                progress=progress,
                mapper=dask,
                cluster=None if dask is None else dask.describe(),
                **common,
            )
        documents = [
            {**result.to_dict(), "run_id": run_id}
            for result, run_id in zip(results, run_ids, strict=True)
        ]
        from quantumlimits.plots.classify import write_png

        for result, document, path in zip(results, documents, out_dirs, strict=True):
            write_png(result, path / "classify.png")
            atomic_write_text(path / "classify.json", dumps(document) + "\n")
    except BaseException:
        if store is not None:
            for run_id in run_ids:
                if run_id is not None:
                    store.mark_failed(run_id, summary="classify run failed or was interrupted")
            store.close()
        raise
    finally:
        if dask is not None:
            dask.close()
    if store is not None:
        for result, document, run_id in zip(results, documents, run_ids, strict=True):
            if run_id is not None:
                store.finish_run(run_id, document=document, summary=_summary(result))
        store.close()
    table_to = sys.stderr if args.json else sys.stdout
    for result in results:
        _print_table(result, file=table_to)
    for path, run_id in zip(out_dirs, run_ids, strict=True):
        recorded = f"; run {run_id}" if run_id else " (not stored)"
        print(f"wrote {path / 'classify.json'} and classify.png{recorded}", file=sys.stderr)
    if args.json:
        _common.print_json(dumps(documents[0] if single else documents) + "\n")
    return 0


def _run_on_device(
    args: argparse.Namespace,
    *,
    dataset: Any,
    pca: int | None,
    settings: Any,
    device: str | None,
    common: dict[str, Any],
) -> int:
    """``classify --backend ibm_<device>``: projection and approval before anything runs, the
    models trained (on the simulator, or through the device with ``--train-on-backend``), then
    evaluated on the device; journaled so ``resume`` can finish it."""
    from quantumlimits import provenance
    from quantumlimits.classify.trainer import check_request, run_classify

    models = common["models"]
    common = {**common, "dataset": dataset, "n_features": pca}
    split = check_request(n_seeds=args.seeds, quantum=settings, **common)
    out_dir = _common.output_dir(Path(args.out))
    assert out_dir is not None
    store = None if args.no_store else _common.open_store(args)
    try:  # projection and approval before anything runs
        hardware = _classify_ibm.prepare(
            args, split=split, models=models, settings=settings, store=store
        )
    except BaseException:
        if store is not None:
            store.close()
        raise
    assert hardware is not None
    run_id = None if store is None else hardware.start(store, created=provenance.now_utc())
    try:
        result = hardware.partial()
        if result is None:
            with _Progress() as progress:
                result = run_classify(
                    n_seeds=args.seeds,
                    device_model=device,
                    quantum=settings,
                    grid=args.grid,
                    noisy_eval=args.noisy_eval,
                    progress=progress,
                    hooks=hardware,
                    **common,
                )
            hardware.record_training(result)
        result = hardware.evaluate(result)
        hardware.print_jobs(_classify_ibm.jobs_console())
        document = {**result.to_dict(), "run_id": run_id}
        text = dumps(document) + "\n"
        from quantumlimits.plots.classify import write_png

        write_png(result, out_dir / "classify.png")
        atomic_write_text(out_dir / "classify.json", text)
    except BaseException as exc:
        if store is not None and run_id is not None:
            store.mark_failed(run_id, summary="classify run failed or was interrupted")
            if isinstance(exc, KeyboardInterrupt):
                hardware.interrupted(Console(stderr=True))
            store.close()
        raise
    finally:
        hardware.close()
    if store is not None and run_id is not None:
        store.finish_run(run_id, document=document, summary=_summary(result))
        store.close()
    table_to = sys.stderr if args.json else sys.stdout
    _print_table(result, file=table_to)
    recorded = f"; run {run_id}" if run_id else " (not stored)"
    print(f"wrote {out_dir / 'classify.json'} and classify.png{recorded}", file=sys.stderr)
    if args.json:
        _common.print_json(text)
    return 0


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


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    if value < 120:
        return f"{value:.2f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    if value < 172800:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} d"


def _fmt_count(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value < 1e6 else f"{value:.2e}"


def _summary(result: Any) -> str:
    best = None
    for m in result.models:
        s = m.summary(result.target, clock="wall", price_per_second=result.price_per_second)
        if s.median is not None and (best is None or s.median < best[1]):
            best = (m.name, s.median)
    head = f"{result.dataset.get('name')} target {result.target:.3g}"
    if best is None:
        return f"{head}: no model reached it"
    return f"{head}: fastest {best[0]} in {_fmt_seconds(best[1])}"


def _print_table(result: Any, *, file: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

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
