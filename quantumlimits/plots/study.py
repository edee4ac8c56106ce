"""The study's figure: accuracy of every model on every dataset family, and the ablation."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from quantumlimits.plots import pyplot, save_figure


def plot_accuracy_table(ax: Any, analysis: dict[str, Any]) -> None:
    """Median final accuracy per dataset (rows) and model (columns), each cell's rank written."""
    accuracy: dict[str, dict[str, float]] = analysis["accuracy"]
    datasets = list(accuracy)
    models = list(dict.fromkeys(m for row in accuracy.values() for m in row))
    grid = np.array([[accuracy[d].get(m, np.nan) for m in models] for d in datasets])
    image = ax.imshow(grid, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(models)), models, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(datasets)), datasets, fontsize=8)
    for i, d in enumerate(datasets):
        for j, m in enumerate(models):
            rank = analysis["ranks"][d].get(m)
            if rank is not None:
                colour = "white" if grid[i, j] < 0.6 else "black"
                ax.text(j, i, f"{rank:g}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_title("median held-out accuracy (cell text: rank on that dataset)", fontsize=9)
    ax.figure.colorbar(image, ax=ax, fraction=0.03)


def plot_entanglement(ax: Any, analysis: dict[str, Any]) -> None:
    """Each quantum model's accuracy against its entanglement-free variant's, per dataset."""
    pairs = analysis["entanglement"]
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    for model in sorted({p["model"] for p in pairs}):
        mine = [p for p in pairs if p["model"] == model]
        ax.scatter(
            [p["entangled_accuracy"] for p in mine],
            [p["noent_accuracy"] for p in mine],
            label=model,
            s=24,
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("entangled model accuracy")
    ax.set_ylabel("entanglement-free variant accuracy")
    ax.set_title("above the diagonal: entanglement did not help", fontsize=9)
    if pairs:
        ax.legend(fontsize=7)


def figure(analysis: dict[str, Any]) -> Any:
    """Both panels side by side."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2.2, 1]})
    plot_accuracy_table(left, analysis)
    plot_entanglement(right, analysis)
    fig.tight_layout()
    return fig


def write_png(analysis: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Render :func:`figure` to ``path`` atomically."""
    save_figure(figure(analysis), path)


def plot_curves(ax: Any, curves: dict[str, Any], *, title: str = "") -> None:
    """Held-out accuracy as the budget doubles: one line per model (median over seeds) with its
    seed band, against the budget as a multiple of its smallest (steps, iterations, hidden
    units, trees), so every curve is monotone in budget; a dashed line is a quantum model. The
    training seconds of each point are in the study document (timing noise would fold a curve
    drawn against them)."""
    for model, c in curves.items():
        pts = sorted(c["points"], key=lambda p: p["budget"])
        x = [p["budget"] / pts[0]["budget"] for p in pts]
        style = "--" if c["family"] == "quantum" else "-"
        (line,) = ax.plot(x, [p["accuracy"] for p in pts], style, marker=".", label=model)
        ax.fill_between(
            x, [p["low"] for p in pts], [p["high"] for p in pts], color=line.get_color(), alpha=0.15
        )
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("training budget (x smallest: steps, iterations, units, trees)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title, fontsize=9)


def curves_figure(curves: dict[str, dict[str, Any]]) -> Any:
    """One panel per dataset."""
    plt = pyplot()
    n = max(len(curves), 1)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.8 * rows), squeeze=False)
    for ax, (name, c) in zip(axes.ravel(), curves.items(), strict=False):
        plot_curves(ax, c, title=name)
    for ax in axes.ravel()[len(curves) :]:
        ax.set_visible(False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=7)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def write_curves_png(curves: dict[str, dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Render :func:`curves_figure` to ``path`` atomically."""
    save_figure(curves_figure(curves), path)
