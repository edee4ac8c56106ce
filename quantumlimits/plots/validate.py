"""Figures of ``quantumlimits validate``: simulated against reported QV, projected against
reported CLOPS."""

from __future__ import annotations

import math
from typing import Any

from quantumlimits.plots import pyplot


def qv_scatter(ax: Any, result: Any) -> None:
    """log2 of each snapshot's simulated QV (one marker per protocol) against IBM's reported one,
    with the diagonal and the factor-2 band. Points are jittered a little so equal ones show."""
    markers = {"default": "o", "sequential": "^", "strong": "s"}
    for k, protocol in enumerate(result.protocols):
        xs, ys = [], []
        for i, row in enumerate(result.qv):
            found = row.simulated.get(protocol)
            if found is None:
                continue
            jitter = ((i % 7) - 3) * 0.03
            xs.append(math.log2(row.reported_qv) + jitter + 0.08 * k)
            ys.append(math.log2(found["quantum_volume"]) + jitter)
        ax.scatter(xs, ys, s=18, alpha=0.7, marker=markers.get(protocol, "^"), label=protocol)
    top = max([math.log2(r.reported_qv) for r in result.qv] + [1]) + 1
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8, label="simulated = reported")
    ax.fill_between([0, top], [-1, top - 1], [1, top + 1], color="grey", alpha=0.15, label="×2")
    ax.set_xlim(-0.5, top)
    ax.set_ylim(-0.5, top)
    ax.set_xlabel("log2 QV reported by IBM")
    ax.set_ylabel("log2 QV simulated from the snapshot")
    ax.set_title("quantum volume")
    ax.legend(fontsize="small")


def clops_scatter(ax: Any, result: Any) -> None:
    """Projected against reported CLOPS_h and CLOPS (log-log), with the diagonal."""
    for key, label, marker in (("clops_h", "CLOPS_h", "o"), ("clops", "CLOPS", "s")):
        xs, ys = [], []
        for row in result.clops:
            projected = getattr(row, f"projected_{key}")
            reported = getattr(row, f"reported_{key}")
            if projected is not None and reported:
                xs.append(reported)
                ys.append(projected["clops"])
        if xs:
            ax.scatter(xs, ys, s=18, alpha=0.7, marker=marker, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    lo, hi = 1e2, 1e6
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8)
    ax.set_xlabel("reported by IBM")
    ax.set_ylabel("projected by the QPU-time model")
    ax.set_title("CLOPS")
    ax.legend(fontsize="small")


def figure(result: Any) -> Any:
    """Both panels side by side."""
    fig, (left, right) = pyplot().subplots(1, 2, figsize=(10, 4.5))
    if result.qv:
        qv_scatter(left, result)
    else:
        left.set_axis_off()
    if result.clops:
        clops_scatter(right, result)
    else:
        right.set_axis_off()
    fig.tight_layout()
    return fig
