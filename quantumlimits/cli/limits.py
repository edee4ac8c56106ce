"""``quantumlimits limits``: the classical wall on the QV task against a device."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from quantumlimits.cli import _common, summary
from quantumlimits.execution.backends import DEFAULT_BACKEND
from quantumlimits.limits import wall

DESCRIPTION = """\
Measure what the quantum volume task costs a classical computer here (exact state-vector
simulation + sampling: time and peak memory per circuit, widths 2 up to a time budget), fit
time ∝ 2^(a·n), extrapolate to widths 30-60 and to named memory budgets, and set it against the
device's projected time per circuit (calibration: schedule duration, rep_delay, shots, job
overhead) and its heavy-output probability (measured QV runs in the store, else predicted).
"""


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``limits``."""
    p = sub.add_parser(
        "limits",
        help=summary("limits"),
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("--backend", default=DEFAULT_BACKEND, help="a fake_* calibration snapshot")
    p.add_argument(
        "--max-width",
        type=_common.positive_int,
        default=None,
        help="widest width to simulate (default: as far as --time-budget and memory allow); "
        "given alone, the scan goes this far unless memory runs out",
    )
    p.add_argument(
        "--time-budget",
        type=_positive_float,
        default=None,
        help=f"seconds the classical scan may take (default {wall.DEFAULT_TIME_BUDGET_S:g} s, or "
        "no limit when --max-width is given); raise it to measure wider widths",
    )
    p.add_argument("--repeats", type=_common.positive_int, default=3, help="circuits per width")
    p.add_argument("--shots", type=_common.positive_int, default=1000, help="shots per circuit")
    p.add_argument("--seed", type=_common.non_negative_int, default=0, help="master seed")
    p.add_argument(
        "--threads", type=_common.positive_int, default=1, help="simulator threads (1: one core)"
    )
    p.add_argument(
        "--device-max-width",
        type=_common.positive_int,
        default=12,
        help="widest width transpiled to the device; wider widths are extrapolated",
    )
    p.add_argument(
        "--extrapolate-to", type=_common.positive_int, default=60, help="widest width reported"
    )
    p.add_argument(
        "--circuits-per-job",
        type=_common.positive_int,
        default=100,
        help="circuits sharing one job's overhead",
    )
    p.add_argument(
        "--job-overhead",
        type=_non_negative_float,
        default=2.0,
        help="seconds of overhead per job (IBM's usage model)",
    )
    p.add_argument("--out", type=Path, default=None, help="folder for limits.json and limits.png")
    _common.add_store_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not read or record the store")
    p.add_argument("--json", action="store_true", help="print the document on stdout")
    p.set_defaults(func=run)


class _Progress(wall.LimitsProgress):
    def __init__(self, console: object) -> None:
        self._console = console

    def stage(self, text: str) -> None:
        self._console.print(f"[dim]{text}[/dim]")  # type: ignore[attr-defined]

    def classical_point(self, point: wall.ClassicalPoint) -> None:
        self._console.print(  # type: ignore[attr-defined]
            f"[dim]  width {point.width}: {point.seconds:.4g} s per circuit, "
            f"peak +{point.peak_extra_bytes / 2**20:.1f} MiB[/dim]"
        )


def _short(source: str) -> str:
    """A source tag short enough for an 80-column table."""
    for word, short in (("measured", "meas."), ("extrapolated", "extrap."), ("predicted", "pred.")):
        if source.startswith(word):
            return short
    return source


def table(result: wall.LimitsResult) -> Table:
    """Selected widths: classical and device seconds per circuit, HOP, memory."""
    t = Table(
        title=f"The classical wall against {result.backend} (seconds per circuit)",
        title_justify="left",
        caption="from: measured, fit or extrapolated (classical); measured (store) or "
        "predicted from calibration (HOP)",
    )
    for column in ("width", "classical s", "95% band", "from", "device s", "HOP", "from"):
        t.add_column(column, justify="right")
    shown = {r.width for r in result.rows if r.width % 5 == 0 or r.width <= 4}
    shown |= {c.width for c in result.classical[-1:]}
    for r in result.rows:
        if r.width not in shown:
            continue
        c = r.classical_seconds
        t.add_row(
            str(r.width),
            f"{c.value:.2g}",
            f"{c.low:.2g}-{c.high:.2g}",
            _short(c.source),
            f"{r.device_seconds.value:.3g}",
            f"{r.device_hop.value:.3f}",
            _short(r.device_hop.source),
        )
    return t


def write_outputs(out: Path, result: wall.LimitsResult) -> None:
    """limits.json and limits.png, each written atomically."""
    from quantumlimits.plots.limits import limits_figure

    _common.write_document_and_figure(
        out, name="limits", document=result.to_json(), figure=limits_figure(result)
    )


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits limits``."""
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out)
    store = None if args.no_store else _common.open_store(args)
    try:
        result = wall.run_limits(
            backend=args.backend,
            max_width=args.max_width,
            time_budget_s=args.time_budget,
            repeats=args.repeats,
            shots=args.shots,
            seed=args.seed,
            threads=args.threads,
            device_max_width=args.device_max_width,
            extrapolate_to=args.extrapolate_to,
            circuits_per_job=args.circuits_per_job,
            job_overhead_s=args.job_overhead,
            store=store,
            progress=_Progress(err_console),
        )
    finally:
        if store is not None:
            store.close()
    if out is not None:
        write_outputs(out, result)
    out_console.print(table(result))
    fit = result.classical_fit
    c = result.crossings
    low, high = c.device_faster_range
    band = f" (band {low}-{high})" if low is not None and high is not None else ""
    out_console.print(
        f"classical time per circuit ∝ 2^(a·n), a = {fit.rate:.3f} ± {fit.rate_se:.3f} "
        f"(widths {fit.fitted_widths[0]}-{fit.fitted_widths[-1]}, {result.settings['threads']} "
        f"thread(s)); scan stopped: {result.stop_reason}"
    )
    out_console.print(
        f"[bold]device faster {wall.from_width(c.device_faster_width, result)}[/bold]{band}; "
        f"[bold]HOP < 2/3 {wall.from_width(c.hop_below_two_thirds_width, result)}[/bold] "
        f"({c.hop_below_source}); memory wall: "
        + ", ".join(f"{k} n ≤ {v}" for k, v in c.memory_wall.items())
    )
    out_console.print(
        f"{result.backend} calibration {result.calibration_date or 'n/a'}"
        + (f"; run {result.run_id}" if result.run_id else "")
    )
    if out is not None:
        out_console.print(f"wrote {out / 'limits.json'} and {out / 'limits.png'}")
    if args.json:
        _common.print_json(result.to_json())
    return 0
