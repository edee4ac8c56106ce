"""Figures of imported data sets: measured against simulated HOP, circuit by circuit."""

from __future__ import annotations

from typing import Any

from quantumlimits.plots import pyplot


def paired_hops(ax: Any, comparison: Any) -> None:
    """Each circuit's measured HOP (x) against its simulated HOP (y), one colour per width, with
    the diagonal and the 2/3 threshold on both axes."""
    widths = sorted({c.width for c in comparison.circuits})
    for width in widths:
        mine = [c for c in comparison.circuits if c.width == width]
        ax.scatter(
            [c.measured_hop for c in mine],
            [c.simulated_hop for c in mine],
            s=12,
            alpha=0.7,
            label=f"width {width}",
        )
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    ax.axhline(2 / 3, color="grey", linestyle=":", linewidth=0.8)
    ax.axvline(2 / 3, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("measured HOP (imported)")
    ax.set_ylabel(f"simulated HOP ({comparison.backend})")
    r = comparison.correlation
    ax.set_title("per-circuit HOP" + ("" if r is None else f", correlation {r:.2f}"))
    ax.legend(fontsize="small")


def figure(comparison: Any) -> Any:
    """A figure with :func:`paired_hops`."""
    fig, ax = pyplot().subplots(figsize=(5, 5))
    paired_hops(ax, comparison)
    return fig
