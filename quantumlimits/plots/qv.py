"""Quantum volume figures: per-width HOP traces with both bounds, and QV against width."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from quantumlimits.plots import pyplot
from quantumlimits.qv import stats
from quantumlimits.qv.results import QVResult, WidthResult

_CROSS = "#1f77b4"
_BOOT = "#ff7f0e"


def plot_width(
    ax: Any,
    width: WidthResult,
    *,
    seed: int,
    method: str = "cross",
    source: str = "raw",
    bootstrap_points: int = 6,
) -> None:
    """Per-circuit HOPs, their cumulative mean, the Cross ±2σ band and the bootstrap bound.

    The bootstrap bound is drawn at ``bootstrap_points`` prefixes, so that its band shows how it
    tightens as circuits accumulate: the width's recorded bound (10,000 resamples) at the last
    circuit, and at the shorter prefixes the bound recomputed with 1,000 resamples, seeded.
    """
    hop_values = np.asarray(width.hops)
    n = np.arange(1, hop_values.size + 1)
    mean = np.cumsum(hop_values) / n
    sigma = np.sqrt(np.clip(mean * (1 - mean), 0, None) / n)
    ax.scatter(n, hop_values, s=6, color="0.6", label="circuit HOP", zorder=1)
    ax.plot(n, mean, color="black", lw=1.2, label="cumulative mean")
    ax.fill_between(
        n, mean - 2 * sigma, mean + 2 * sigma, color=_CROSS, alpha=0.25, label="Cross ±2σ"
    )
    points = np.unique(np.linspace(min(10, n[-1]), n[-1], bootstrap_points).astype(int))
    heavy = np.asarray(width.heavy_counts)
    shots = np.full(heavy.size, width.shots)
    lower = [
        stats.bootstrap_lower_bound(
            heavy_counts=heavy[:k], shots=shots[:k], resamples=1000, seed=seed + k
        )
        for k in points[:-1]
    ] + [width.bootstrap_lower]
    pooled = np.cumsum(heavy)[points - 1] / np.cumsum(shots)[points - 1]
    ax.fill_between(
        points, lower, pooled, color=_BOOT, alpha=0.35, step=None, label="bootstrap bound"
    )
    ax.axhline(stats.HOP_THRESHOLD, color="red", ls="--", lw=1, label="2/3")
    verdict = ("pass" if width.passed(method, source) else "fail") + f" by {method}"
    mean_text = f"mean {width.mean_hop:.3f}"
    if width.optimized is not None:
        mean_text += f", optimized {float(width.optimized['mean_hop']):.3f}"
        verdict += f" of {source}"
    ax.set_title(f"width {width.width}: {mean_text} ({verdict})", fontsize=9)
    ax.set_xlabel("circuits")
    ax.set_ylabel("heavy-output probability")
    ax.set_ylim(0.3, 1.0)


def plot_summary(ax: Any, result: QVResult) -> None:
    """Mean HOP against width with both lower bounds, the 2/3 line and the QV."""
    ws = [w.width for w in result.widths]
    ax.plot(ws, [w.mean_hop for w in result.widths], "o-", color="black", label="mean HOP")
    ax.plot(ws, [w.cross_lower for w in result.widths], "v--", color=_CROSS, label="Cross bound")
    ax.plot(
        ws, [w.bootstrap_lower for w in result.widths], "^--", color=_BOOT, label="bootstrap bound"
    )
    ax.plot(
        ws,
        [float(np.mean(w.ideal_hops)) for w in result.widths],
        ":",
        color="0.5",
        label="ideal HOP",
    )
    optimized = [w for w in result.widths if w.optimized is not None]
    if optimized:
        ax.plot(
            [w.width for w in optimized],
            [float(w.optimized["mean_hop"]) for w in optimized if w.optimized is not None],
            "s-",
            color="tab:purple",
            label="optimized mean HOP",
        )
        ax.plot(
            [w.width for w in optimized],
            [
                float(w.optimized[f"{result.decided_by}_lower"])
                for w in optimized
                if w.optimized is not None
            ],
            "s--",
            color="tab:purple",
            alpha=0.6,
            label=f"optimized {result.decided_by} bound",
        )
    ax.axhline(stats.HOP_THRESHOLD, color="red", ls="--", lw=1)
    if result.quantum_volume > 1:
        ax.axvline(result.log2_qv, color="green", lw=1, alpha=0.6)
    ax.set_title(f"{result.backend}: QV {result.quantum_volume} ({result.decided_by})", fontsize=10)
    ax.set_xlabel("width = depth")
    ax.set_ylabel("heavy-output probability")
    ax.set_xticks(ws)
    ax.set_ylim(0.4, 1.0)
    ax.legend(fontsize=7, loc="lower left")


def plot_volumetric(ax: Any, result: QVResult) -> None:
    """Volumetric map (Blume-Kohout & Young): mean HOP and verdict per width x depth cell.

    Colour is the mean HOP; a cell's label is its mean HOP and pass (+) or fail (-) under the
    deciding bound; the square of the quantum volume is outlined.
    """
    from matplotlib.patches import Rectangle

    widths = sorted({w.width for w in result.widths})
    depths = sorted({w.depth for w in result.widths})
    grid = np.full((len(depths), len(widths)), np.nan)
    for w in result.widths:
        grid[depths.index(w.depth), widths.index(w.width)] = w.mean_hop
    image = ax.imshow(grid, origin="lower", cmap="RdYlGn", vmin=0.5, vmax=0.85, aspect="auto")
    for w in result.widths:
        mark = "+" if w.passed(result.decided_by, result.verdict_from) else "-"
        ax.text(
            widths.index(w.width),
            depths.index(w.depth),
            f"{w.mean_hop:.2f}{mark}",
            ha="center",
            va="center",
            fontsize=7,
        )
    m = result.log2_qv
    if m in widths and m in depths:
        ax.add_patch(
            Rectangle(
                (widths.index(m) - 0.5, depths.index(m) - 0.5),
                1,
                1,
                fill=False,
                lw=2.5,
                edgecolor="black",
            )
        )
    ax.set_xticks(range(len(widths)), [str(w) for w in widths])
    ax.set_yticks(range(len(depths)), [str(d) for d in depths])
    ax.set_xlabel("width (qubits)")
    ax.set_ylabel("depth (layers)")
    ax.set_title(
        f"{result.backend}: volumetric map, QV {result.quantum_volume} outlined", fontsize=10
    )
    ax.figure.colorbar(image, ax=ax, label="mean HOP")


def figure(result: QVResult) -> Any:
    """The qv.png figure: one panel per width and the summary panel (a volumetric map instead
    of per-width panels when the run has rectangular cells)."""
    plt = pyplot()
    if any(w.width != w.depth for w in result.widths):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        plot_volumetric(left, result)
        squares = [w for w in result.widths if w.width == w.depth]
        if squares:
            from dataclasses import replace

            plot_summary(right, replace(result, widths=tuple(squares)))
        else:
            right.axis("off")
        fig.tight_layout()
        return fig
    panels = len(result.widths) + 1
    cols = min(3, panels)
    rows = math.ceil(panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    flat = axes.ravel()
    plot_summary(flat[0], result)
    for ax, width in zip(flat[1:], result.widths, strict=False):
        plot_width(
            ax, width, seed=result.seed, method=result.decided_by, source=result.verdict_from
        )
    if len(result.widths):
        flat[1].legend(fontsize=6, loc="lower right")
    for ax in flat[panels:]:
        ax.axis("off")
    _fit_grid(fig, rows=rows, cols=cols)
    return fig


#: Margins of the panel grid, in inches: tick labels and axis labels on the left and at the
#: bottom, a panel title on top of each panel.
_LEFT, _RIGHT, _BOTTOM, _TOP, _HGAP, _VGAP = 0.6, 0.12, 0.45, 0.3, 0.6, 0.75


def _fit_grid(fig: Any, *, rows: int, cols: int) -> None:
    """Fixed margins for the grid of panels: what ``tight_layout`` would find for these
    panels, without drawing the figure to measure its texts (a third of qv.png's cost)."""
    width, height = fig.get_size_inches()
    panel_w = (width - _LEFT - _RIGHT - _HGAP * (cols - 1)) / cols
    panel_h = (height - _BOTTOM - _TOP - _VGAP * (rows - 1)) / rows
    fig.subplots_adjust(
        left=_LEFT / width,
        right=1 - _RIGHT / width,
        bottom=_BOTTOM / height,
        top=1 - _TOP / height,
        wspace=_HGAP / panel_w,
        hspace=_VGAP / panel_h,
    )
