"""``quantumlimits mirror``: the mirror benchmark (QV layers, mirrored; no 2^n simulation)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _common, summary
from quantumlimits.execution.backends import DEFAULT_BACKEND
from quantumlimits.mirror.circuits import VARIANTS
from quantumlimits.mirror.results import MirrorResult, MirrorWidthResult
from quantumlimits.mirror.settings import SIMULATORS, MirrorSettings
from quantumlimits.progress import RichWidthProgress, width_bars

DESCRIPTION = """\
The mirror benchmark, a different benchmark from quantum volume: QV layers, a random Pauli layer,
then the layers' inverses compiled with random Pauli frames, so each circuit ideally returns one
bitstring known in advance and no exponential classical simulation is needed. A width passes when
the 97.725 % lower confidence bound on the mean effective polarization (Proctor et al. 2022) is
above 1/e. --variant clifford uses random two-qubit Cliffords and a Pauli-twirled approximation of
the device noise, run on stim's Pauli-frame sampler (or Aer's stabilizer method with --simulator
aer), up to the device's full width (docs/mirror.md).
"""


def _depth_factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 10:
        raise argparse.ArgumentTypeError(f"must be in (0, 10], got {value}")
    return value


def _trials(text: str) -> int:
    value = _common.positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError("must be at least 2 (the lower bound needs a spread)")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``mirror``."""
    p = sub.add_parser(
        "mirror",
        help=summary("mirror"),
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
        default="2-8",
        help="a range like 2-8 or a list like 2,16,64,max ('max': the device's qubits)",
    )
    p.add_argument(
        "--depth-factor",
        type=_depth_factor,
        default=1.0,
        help="forward QV layers per qubit of width (1: square, as QV); the circuit runs twice "
        "as many layers",
    )
    p.add_argument("--variant", choices=VARIANTS, default="clifford", help="two-qubit blocks")
    p.add_argument(
        "--simulator",
        choices=SIMULATORS,
        default=None,
        help="clifford variant only: stim (default; Pauli frames, all shots at once) or aer "
        "(Aer's stabilizer method, one simulation per shot)",
    )
    p.add_argument("--trials", type=_trials, default=20, help="mirror circuits per width")
    p.add_argument("--shots", type=_common.positive_int, default=200, help="shots per circuit")
    p.add_argument("--seed", type=_common.non_negative_int, default=0, help="master seed")
    p.add_argument(
        "--optimization-level",
        type=int,
        choices=(0, 1, 2, 3),
        default=1,
        help="Qiskit preset pass manager optimization level",
    )
    p.add_argument("--out", type=Path, default=None, help="folder for mirror.json and mirror.png")
    _common.add_store_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not record the run in the store")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result document on stdout (progress and tables go to stderr)",
    )
    p.set_defaults(func=run)


def _describe_width(result: MirrorWidthResult) -> str:
    verdict = "pass" if result.passed else "fail"
    return f"polarization {result.mean_polarization:.3f} ({verdict})"


def results_table(result: MirrorResult) -> Table:
    """One row per width."""
    table = Table(
        title=f"Mirror benchmark on {result.backend} ({result.variant}"
        + (f" on {result.widths[0].method}" if result.widths else "")
        + "), "
        f"{result.settings['shots']} shots per circuit",
        title_justify="left",
        caption="S: effective polarization; LB: 97.725 % lower bound; pass: LB > 1/e; "
        "2q: two-qubit gates per circuit",
    )
    for column in ("width", "depth", "N", "mean S", "S LB", "pass", "P(target)", "2q", "s"):
        table.add_column(column, justify="right")
    for w in result.widths:
        table.add_row(
            str(w.width),
            str(w.depth),
            str(w.circuits),
            _common.fmt(w.mean_polarization),
            _common.fmt(w.lower_bound),
            "yes" if w.passed else "no",
            _common.fmt(w.mean_success),
            f"{sum(w.two_qubit_gates) / max(1, w.circuits):.0f}",
            f"{sum(w.timings.values()):.1f}",
        )
    return table


def report(console: Console, result: MirrorResult) -> None:
    """Table and verdict line."""
    console.print(results_table(result))
    widest = result.largest_passing_width
    console.print(
        (
            f"[bold]widest passing mirror width {widest}[/bold] (mirror volume 2^{widest})"
            if widest
            else "[bold]no width passed[/bold]"
        )
        + f" on {result.backend}, calibration {result.calibration_date or 'n/a'}; "
        f"seed {result.seed}; not a quantum volume (docs/mirror.md)"
        + (f"; run {result.run_id}" if result.run_id else "")
    )


def write_outputs(out: Path, result: MirrorResult) -> None:
    """mirror.json and mirror.png in ``out``, each written atomically."""
    from quantumlimits.plots import save_figure
    from quantumlimits.plots.mirror import figure

    atomic_write_text(out / "mirror.json", result.to_json() + "\n")
    save_figure(figure(result), out / "mirror.png")


#: The files ``mirror --out`` writes.
OUTPUTS = ("mirror.json", "mirror.png")


def settings_from_args(args: argparse.Namespace) -> MirrorSettings:
    """The run the flags ask for (validated)."""
    return MirrorSettings(
        backend=args.backend,
        widths=args.widths,
        variant=args.variant,
        simulator=args.simulator,
        depth_factor=args.depth_factor,
        trials=args.trials,
        shots=args.shots,
        seed=args.seed,
        optimization_level=args.optimization_level,
    )


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits mirror``."""
    from quantumlimits.mirror import protocol  # Stim and Aer: only when a run starts

    settings = settings_from_args(args)
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=OUTPUTS)
    store = None if args.no_store else _common.open_store(args)
    try:
        with (
            _common.relayed_warnings(protocol.MirrorWarning, err_console),
            width_bars(err_console) as bar,
        ):
            result = protocol.measure(
                settings, store=store, progress=RichWidthProgress(bar, _describe_width)
            )
    finally:
        if store is not None:
            store.close()
    show(out_console, result, out=out, json_mode=args.json)
    return 0


def show(console: Console, result: MirrorResult, *, out: Path | None, json_mode: bool) -> None:
    """Write the outputs, print the table and verdict, and the document with ``--json``."""
    if out is not None:
        write_outputs(out, result)
    report(console, result)
    if out is not None:
        console.print(f"wrote {out / 'mirror.json'} and {out / 'mirror.png'}")
    if json_mode:
        _common.print_json(result.to_json())
