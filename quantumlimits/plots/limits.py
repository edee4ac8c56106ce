"""Figures of the limits report: the classical wall, QV through the years, diminishing returns.

Every function draws on a given Axes and never calls show().
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from quantumlimits.plots import pyplot
from quantumlimits.qv.stats import HOP_THRESHOLD

_CLASSICAL = "#1f77b4"
_DEVICE = "#d62728"
_MEMORY = "#9467bd"
_HOP = "#2ca02c"


def _limit_lines(ax: Any, result: Any, *, labels: bool) -> None:
    c = result.crossings
    marks = [
        (c.device_faster_width, _DEVICE, "device faster"),
        (c.memory_wall.get("this machine"), _MEMORY, "memory wall (this machine)"),
        (c.hop_below_two_thirds_width, _HOP, "HOP < 2/3"),
    ]
    for width, colour, text in marks:
        if width is None:
            continue
        ax.axvline(
            width, color=colour, ls=":", lw=1.2, label=f"{text}: {width}" if labels else None
        )


def plot_times(ax: Any, result: Any) -> None:
    """Seconds per circuit against width on a log axis: classical measured, fitted and
    extrapolated (with its confidence band) against the device's projected time."""
    rows = result.rows
    widths = np.array([r.width for r in rows])
    value = np.array([r.classical_seconds.value for r in rows])
    low = np.array([r.classical_seconds.low for r in rows])
    high = np.array([r.classical_seconds.high for r in rows])
    fitted = np.array([r.classical_seconds.source != "measured" for r in rows])
    measured = [p for p in result.classical]
    ax.plot(
        [p.width for p in measured],
        [p.seconds for p in measured],
        "o",
        color=_CLASSICAL,
        ms=4,
        label="classical, measured",
    )
    ax.plot(widths[fitted], value[fitted], "--", color=_CLASSICAL, label="classical, extrapolated")
    ax.fill_between(
        widths[fitted], low[fitted], high[fitted], color=_CLASSICAL, alpha=0.2, label="95% band"
    )
    dev = np.array([r.device_seconds.value for r in rows])
    calib = np.array([r.device_seconds.source == "calibration" for r in rows])
    ax.plot(widths[calib], dev[calib], "-", color=_DEVICE, lw=2, label="device, from calibration")
    ax.plot(widths[~calib], dev[~calib], "--", color=_DEVICE, lw=1.5, label="device, extrapolated")
    _limit_lines(ax, result, labels=True)
    ax.set_yscale("log")
    ax.set_xlabel("width = depth (qubits)")
    ax.set_ylabel("seconds per circuit")
    fit = result.classical_fit
    ax.set_title(
        f"time: classical ∝ 2^({fit.rate:.2f}±{fit.rate_se:.2f}·n) vs {result.backend}", fontsize=9
    )
    ax.legend(fontsize=6, loc="upper left")


def plot_memory(ax: Any, result: Any) -> None:
    """Peak memory of exact simulation against width, the 16·2^n state vector and the budgets."""
    widths = np.arange(2, result.rows[-1].width + 1)
    ax.plot(widths, 16.0 * 2.0**widths, "-", color=_MEMORY, label="state vector 16·2^n B")
    pts = [p for p in result.classical if p.peak_extra_bytes > 0]
    ax.plot(
        [p.width for p in pts],
        [p.peak_extra_bytes for p in pts],
        "o",
        color="black",
        ms=3,
        label="measured peak (extra RSS)",
    )
    for budget, style in zip(result.budgets, ("-", "--", "-."), strict=False):
        ax.axhline(budget.bytes, color="0.4", ls=style, lw=1)
        ax.text(2.5, budget.bytes * 1.5, f"{budget.name}: n ≤ {budget.max_width}", fontsize=6)
        ax.axvline(budget.max_width, color=_MEMORY, ls=style, lw=0.8, alpha=0.7)
    ax.set_yscale("log")
    ax.set_xlabel("width = depth (qubits)")
    ax.set_ylabel("bytes")
    ax.set_title("memory: where exact simulation no longer fits", fontsize=9)
    ax.legend(fontsize=6, loc="lower right")


def plot_hop(ax: Any, result: Any) -> None:
    """The device's mean heavy-output probability: measured points and the calibration model."""
    rows = [
        r
        for r in result.rows
        if r.width <= max(20, (result.crossings.hop_below_two_thirds_width or 0) + 4)
    ]
    measured = [r for r in rows if r.device_hop.source == "measured"]
    predicted = [r for r in rows if r.device_hop.source != "measured"]
    if predicted:
        ax.plot(
            [r.width for r in predicted],
            [r.device_hop.value for r in predicted],
            "s--",
            color=_HOP,
            ms=3,
            label="predicted from calibration",
        )
    if measured:
        ax.plot(
            [r.width for r in measured],
            [r.device_hop.value for r in measured],
            "o",
            color="black",
            ms=4,
            label="measured (store)",
        )
    ax.axhline(HOP_THRESHOLD, color="red", ls="--", lw=1, label="2/3")
    ax.axhline(0.5, color="0.6", ls=":", lw=1)
    _limit_lines(ax, result, labels=False)
    ax.set_ylim(0.45, 0.9)
    ax.set_xlabel("width = depth (qubits)")
    ax.set_ylabel("mean heavy-output probability")
    ax.set_title(f"quality: {result.backend} HOP by width", fontsize=9)
    ax.legend(fontsize=6, loc="upper right")


def limits_figure(result: Any) -> Any:
    """The three limits side by side: time, memory, heavy-output probability."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    plot_times(axes[0], result)
    plot_memory(axes[1], result)
    plot_hop(axes[2], result)
    fig.tight_layout()
    return fig


def _date(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text[:10])


def plot_timeline(ax: Any, result: Any) -> None:
    """log2 QV against date: snapshot points, their fitted doubling trend, reported values."""
    snaps = [p for p in result.snapshots if p.calibration_date]
    if snaps:
        ax.plot(
            [_date(p.calibration_date) for p in snaps],
            [p.log2_qv for p in snaps],
            "o",
            color=_CLASSICAL,
            ms=4,
            alpha=0.7,
            label=f"fake snapshots ({result.mode})",
        )
    fit = result.fit
    if fit is not None and snaps:
        dates = sorted(_date(p.calibration_date) for p in snaps)
        xs = np.array([dates[0].timestamp(), dates[-1].timestamp()])
        years = (xs - fit.origin_epoch_s) / (365.25 * 86400)
        ax.plot(
            [_dt.datetime.fromtimestamp(x) for x in xs],
            fit.intercept + fit.slope_per_year * years,
            "-",
            color=_CLASSICAL,
            label=f"snapshot trend: doubling every {fit.doubling_years_text}",
        )
    markers = {"IBM": "^", "Quantinuum": "D", "Honeywell": "D"}
    for vendor in sorted({r.vendor for r in result.reported}):
        rs = [r for r in result.reported if r.vendor == vendor]
        ax.plot(
            [_date(r.date) for r in rs],
            [r.log2_qv for r in rs],
            markers.get(vendor, "v"),
            ms=6,
            mfc="none",
            label=f"{vendor}, reported",
        )
    for vendor, vfit in result.reported_fits.items():
        if vfit is None:
            continue
        rs = sorted(_date(r.date) for r in result.reported if r.vendor == vendor)
        xs = np.array([rs[0].timestamp(), rs[-1].timestamp()])
        years = (xs - vfit.origin_epoch_s) / (365.25 * 86400)
        ax.plot(
            [_dt.datetime.fromtimestamp(x) for x in xs],
            vfit.intercept + vfit.slope_per_year * years,
            "--",
            color="0.4",
            lw=1,
            label=f"{vendor} reported trend: doubling every {vfit.doubling_years_text}",
        )
    ax.set_xlabel("calibration / announcement date")
    ax.set_ylabel("log2 quantum volume")
    ax.set_title("QV through the years", fontsize=9)
    ax.legend(fontsize=6, loc="upper left")


def timeline_figure(result: Any) -> Any:
    """The timeline as one panel."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.4))
    plot_timeline(ax, result)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def plot_diminishing(ax: Any, points: Sequence[Any], *, compute: str) -> None:
    """Accuracy against compute on log axes, one series per model family.

    ``points`` have ``model``, ``family`` ('quantum' or 'classical'), ``accuracy`` and the
    ``compute`` attribute named (``wall_seconds`` or ``qpu_seconds``).
    """
    series: dict[str, list[tuple[float, float]]] = {}
    for p in points:
        x = getattr(p, compute)
        if x is None or x <= 0:
            continue
        series.setdefault(f"{p.model} ({p.family})", []).append((x, p.accuracy))
    for label, xy in sorted(series.items()):
        xy.sort()
        quantum = "(quantum)" in label
        ax.plot(
            [x for x, _ in xy],
            [y for _, y in xy],
            "o-" if quantum else "s--",
            ms=4,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("wall seconds" if compute == "wall_seconds" else "projected QPU seconds")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(f"diminishing returns: accuracy vs {compute.replace('_', ' ')}", fontsize=9)
    if series:
        ax.legend(fontsize=6, loc="lower right")
    else:
        ax.text(
            0.5, 0.5, "no points with this compute measure", ha="center", transform=ax.transAxes
        )
