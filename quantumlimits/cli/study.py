"""``quantumlimits study``: datasets x models x seeds with equal tuning, and its answers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _common, summary

DEFAULT_OUT = "results/study"
#: Flags that map onto the study's settings when given (None: the configuration's value).
_FIELDS = {
    "models": "models",
    "seeds": "seeds",
    "tune": "tune",
    "tune_folds": "tune_folds",
    "max_steps": "max_steps",
    "samples": "samples",
    "features": "features",
    "layers": "layers",
    "seed": "seed",
    "device_model": "device_model",
    "target": "target",
    "readout": "readout",
}


def add_parser(sub: Any) -> None:
    """Register ``study``."""
    p = sub.add_parser(
        "study",
        help=summary("study"),
        description=(
            "Run every model (quantum, their entanglement-free variants, classical) on each "
            "dataset family over several seeds, each with the same tuning budget, and answer: "
            "each model's rank per family, how often the best classical model beats the best "
            "quantum one (accuracy and training time), and entangled against entanglement-free. "
            "Defaults are the documented configuration (docs/classify.md, 'The study')."
        ),
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a small configuration that runs in minutes on 2 cores (two families, four models)",
    )
    p.add_argument("--datasets", metavar="NAME[,NAME...]", default=None, help="dataset families")
    p.add_argument("--models", default=None, metavar="LIST", help="models, or all")
    for flag, kind, text in (
        ("--seeds", int, "repetitions per model"),
        ("--tune", int, "configurations every model searches (0: off)"),
        ("--tune-folds", int, "cross-validation folds of the search"),
        ("--max-steps", int, "optimiser steps of the quantum models"),
        ("--samples", int, "samples of each synthetic dataset"),
        ("--features", int, "dimension (synthetic) or PCA components (digits)"),
        ("--layers", int, "variational layers"),
        ("--seed", int, "master seed"),
    ):
        p.add_argument(flag, type=kind, default=None, help=text)
    p.add_argument("--target", default=None, help="accuracy target, as for classify")
    p.add_argument(
        "--readout",
        choices=("z0", "mean"),
        default=None,
        help="quantum readout: <Z> of qubit 0, or the mean <Z> of every qubit (configured: mean)",
    )
    p.add_argument(
        "--device-model", default=None, metavar="NAME", help="snapshot of the QPU projection"
    )
    p.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), help="study.json, study.png")
    _common.add_store_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not record the study")
    p.add_argument("--json", action="store_true", help="print study.json on stdout")
    _common.add_dask_argument(p)
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> Any:
    """The configuration (``--quick`` or the documented one) with the flags given applied."""
    from quantumlimits.classify import study

    base = study.QUICK if args.quick else study.DEFAULT
    changes = {
        name: getattr(args, flag)
        for flag, name in _FIELDS.items()
        if getattr(args, flag) is not None
    }
    if args.datasets is not None:
        changes["dataset"] = args.datasets
    return base.replace(**changes)


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits study``."""
    from quantumlimits.classify import study
    from quantumlimits.execution.dask import resolve_spec

    settings = settings_from_args(args)
    resolve_spec(args.dask)
    out = _common.output_dir(args.out, files=("study.json", "study.png"))
    out_console, err_console = _common.consoles(args.json)
    dask = _common.open_dask(args, err_console)
    store = None
    try:
        store = None if args.no_store else _common.open_store(args)
        from quantumlimits.cli.classify import progress_bars

        with progress_bars(several=True) as progress:
            result = study.run_study(
                settings,
                store=store,
                mapper=dask,
                progress=progress,
                cluster=None if dask is None else dask.describe(),
            )
    finally:
        if store is not None:
            store.close()
        if dask is not None:
            dask.close()
    show(result, out=out, console=out_console, json_mode=args.json)
    return 0


def show(result: Any, *, out: Path | None, console: Console, json_mode: bool) -> None:
    """Write study.json and study.png, print the answers, and the document with ``json_mode``."""
    from quantumlimits.classify.study import summary_line
    from quantumlimits.plots.study import write_curves_png, write_png

    text = json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n"
    if out is not None:
        atomic_write_text(out / "study.json", text)
        write_png(result.analysis, out / "study.png")
        if result.curves:
            write_curves_png(result.curves, out / "curves.png")
    print_answers(console, result.analysis)
    print_returns(console, result.curves)
    console.print(summary_line(result), soft_wrap=True)
    if out is not None:
        recorded = f"; run {result.run_id}" if result.run_id else " (not stored)"
        Console(stderr=True).print(
            f"wrote {out / 'study.json'}, study.png and curves.png{recorded}"
        )
    if json_mode:
        _common.print_json(text)


def print_answers(console: Console, analysis: dict[str, Any]) -> None:
    """The duel per dataset, the mean ranks, and the ablation."""
    duels = Table(title="best classical against best quantum, per dataset (median over seeds)")
    for column in ("dataset", "classical", "acc", "train s", "quantum", "acc", "train s", "gap"):
        duels.add_column(column, justify="left" if column in ("dataset",) else "right")
    for d in analysis["duels"]:
        duels.add_row(
            d["dataset"],
            d["best_classical"],
            f"{d['classical_accuracy']:.3f}",
            f"{d['classical_train_seconds']:.3g}",
            d["best_quantum"],
            f"{d['quantum_accuracy']:.3f}",
            f"{d['quantum_train_seconds']:.3g}",
            f"{d['accuracy_gap']:+.3f}",
        )
    console.print(duels)
    ranks = Table(title="mean accuracy rank over datasets (1 = best)")
    ranks.add_column("model")
    ranks.add_column("mean rank", justify="right")
    for model, rank in sorted(analysis["mean_rank"].items(), key=lambda kv: kv[1]):
        ranks.add_row(model, f"{rank:.2f}")
    console.print(ranks)
    s = analysis["summary"]
    if "ablation_pairs" in s:
        console.print(
            f"entanglement-free variant at least as accurate as its entangled model: "
            f"{s['noent_at_least_as_good']} of {s['ablation_pairs']} (model, dataset) pairs"
        )


def print_returns(console: Console, curves: dict[str, dict[str, Any]]) -> None:
    """Per dataset and model, the fitted error ratio per doubling of training time."""
    if not curves:
        return
    table = Table(title="returns per doubling of training time: error x ratio (fit error = a·t^-b)")
    table.add_column("dataset")
    table.add_column("model")
    table.add_column("budget")
    table.add_column("best acc", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("b", justify="right")
    for name, models in curves.items():
        for model, c in models.items():
            fit = c.get("fit")
            best = max(p["accuracy"] for p in c["points"])
            table.add_row(
                name,
                model,
                c["budget"],
                f"{best:.3f}",
                "no fit" if fit is None else f"{fit['error_ratio_per_doubling']:.3f}",
                "" if fit is None else f"{fit['b']:.3f}",
            )
    console.print(table)
