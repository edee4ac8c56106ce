"""Mirror benchmark figure: effective polarization against width, with the bound and 1/e."""

from __future__ import annotations

from typing import Any

from quantumlimits.mirror.results import MirrorResult
from quantumlimits.plots import pyplot


def plot_polarization(ax: Any, result: MirrorResult) -> None:
    """Per-circuit effective polarizations, their mean, its lower bound and the threshold."""
    for w in result.widths:
        ax.scatter([w.width] * w.circuits, w.polarizations, s=6, color="0.6", zorder=1)
    ws = [w.width for w in result.widths]
    ax.plot(ws, [w.mean_polarization for w in result.widths], "o-", color="black", label="mean")
    ax.plot(ws, [w.lower_bound for w in result.widths], "v--", color="#1f77b4", label="lower bound")
    ax.plot(
        ws, [w.mean_success for w in result.widths], ":", color="#ff7f0e", label="success prob."
    )
    ax.axhline(result.threshold, color="red", ls="--", lw=1, label="1/e")
    title = (
        f"{result.backend} ({result.variant}): widest passing width "
        f"{result.largest_passing_width or '-'}"
    )
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("width (depth = factor x width forward layers, mirrored)")
    ax.set_ylabel("effective polarization")
    if ws and max(ws) / max(1, min(ws)) > 8:
        ax.set_xscale("log", base=2)
    ax.set_ylim(-0.1, 1.05)
    ax.legend(fontsize=7, loc="upper right")


def figure(result: MirrorResult) -> Any:
    """The mirror.png figure."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    plot_polarization(ax, result)
    fig.tight_layout()
    return fig
