"""``quantumlimits classify``: time-to-accuracy of quantum and classical classifiers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from quantumlimits.cli import _classify_ibm, _common
from quantumlimits.documents import dumps
from quantumlimits.errors import UsageError

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
        choices=DATASETS,
        metavar="NAME",
        help=f"built-in task; None: moons (unless --data): {', '.join(DATASETS)}",
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
        help="folder for classify.json and classify.png",
    )
    _common.add_store_argument(out)
    out.add_argument("--no-store", action="store_true", help="do not record the run in the store")
    out.add_argument("--json", action="store_true", help="print the result document on stdout")
    _classify_ibm.add_arguments(p)
    p.set_defaults(func=run)


def _dataset(args: argparse.Namespace) -> Any:
    from quantumlimits.classify.datasets import load_csv, load_dataset

    if args.data is not None:
        if args.dataset is not None:
            raise UsageError("pass either --dataset or --data, not both")
        if not args.label:
            raise UsageError(f"--data {args.data} needs --label COLUMN naming the label column")
        return load_csv(path=args.data, label=args.label, positive_class=args.positive_class)
    if args.label or args.positive_class:
        raise UsageError("--label and --positive-class go with --data FILE.csv")
    name = args.dataset or "moons"
    return load_dataset(
        name=name,
        n_samples=args.samples,
        n_features=args.features if args.features is not None else 2,
        noise=args.noise,
        seed=args.seed,
    )


def run(args: argparse.Namespace) -> int:
    """Run the measurement, write classify.json and classify.png, record the run in the store."""
    from rich.console import Console

    from quantumlimits import provenance
    from quantumlimits._io import atomic_write_text
    from quantumlimits.classify.datasets import SYNTHETIC
    from quantumlimits.classify.trainer import (
        QuantumSettings,
        check_request,
        parse_models,
        run_classify,
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
    dataset = _dataset(args)
    pca = None if (args.data is None and dataset.name in SYNTHETIC) else args.features
    device = None if args.device_model.lower() == "none" else args.device_model
    if args.noisy_eval and device is None:
        raise UsageError("--noisy-eval needs a --device-model snapshot, e.g. fake_torino")
    common: dict[str, Any] = {
        "dataset": dataset,
        "models": models,
        "target": args.target,
        "shots": args.shots,
        "price_per_second": args.price_per_second,
        "qubits": args.qubits,
        "n_features": pca,
        "test_size": args.test_size,
        "seed": args.seed,
    }
    split = check_request(n_seeds=args.seeds, quantum=settings, **common)
    if device is not None:
        from quantumlimits.execution.backends import load_snapshot

        load_snapshot(device)  # an unknown name fails here, before any work
    out_dir = _common.output_dir(Path(args.out))
    assert out_dir is not None
    store = None if args.no_store else _common.open_store(args)
    try:  # with --backend ibm_<device>: projection and approval before anything runs
        hardware = _classify_ibm.prepare(
            args, split=split, models=models, settings=settings, store=store
        )
    except BaseException:
        if store is not None:
            store.close()
        raise
    run_id = None
    if store is not None and hardware is not None:
        run_id = hardware.start(store, created=provenance.now_utc())
    elif store is not None:
        run_id = store.begin_run(
            kind="classify", backend=device, seed=args.seed, created=provenance.now_utc()
        )
    try:
        result = hardware.partial() if hardware is not None else None
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
            if hardware is not None:
                hardware.record_training(result)
        if hardware is not None:
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
            if hardware is not None and isinstance(exc, KeyboardInterrupt):
                hardware.interrupted(Console(stderr=True))
            store.close()
        raise
    finally:
        if hardware is not None:
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
    """Rich progress bars on stderr, one per model and seed."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[tuple[str, int], Any] = {}

    def __enter__(self) -> Any:
        self._bars.__enter__()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self._bars.__exit__(None, None, None)

    def update(self, model: str, rep: int, step: int, *, total: int) -> None:
        key = (model, rep)
        if key not in self._tasks:
            self._tasks[key] = self._bars.add_task(f"{model} seed {rep + 1}", total=total)
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
