"""The planner's figure: power to pass against number of circuits, per method and shots option."""

from __future__ import annotations

from typing import Any

from quantumlimits.qv.plan import Plan
from quantumlimits.qv.stats import MIN_CIRCUITS

_STYLE = {"cross": "-", "bootstrap": "--", "sequential": "-."}
_MARKER = {"cross": None, "bootstrap": "o", "sequential": None}
#: The sequential curve is P(passed within N circuits), a step function of the looks.
_DRAW = {"cross": "default", "bootstrap": "default", "sequential": "steps-post"}


def plot_power(*, ax: Any, plan: Plan) -> Any:
    """Draw power against circuits for every curve of ``plan`` on ``ax``; return ``ax``.

    Cross curves are analytic (solid lines); bootstrap curves join simulated points (dashed,
    markers); sequential curves (dash-dot steps) give the simulated probability of having passed
    within N circuits. A horizontal line marks the target power, a vertical one the protocol's
    100-circuit minimum.

    >>> from matplotlib.figure import Figure
    >>> from quantumlimits.qv.plan import plan as make_plan
    >>> p = make_plan(hop=0.75, width=5, shots_options=[100], datasets=40, resamples=200)
    >>> ax = plot_power(ax=Figure().add_subplot(), plan=p)
    >>> len(ax.get_lines())  # three curves and two reference lines
    5
    """
    shots_values = sorted({c.shots for c in plan.curves})
    colors = {s: f"C{i}" for i, s in enumerate(shots_values)}
    for curve in plan.curves:
        ax.plot(
            curve.circuits,
            curve.power,
            linestyle=_STYLE[curve.method],
            marker=_MARKER[curve.method],
            drawstyle=_DRAW[curve.method],
            markersize=3,
            color=colors[curve.shots],
            label=f"{curve.method}, {curve.shots} shots",
        )
    ax.axhline(plan.power, color="0.5", linewidth=0.8, linestyle=":")
    ax.axvline(MIN_CIRCUITS, color="0.7", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("circuits")
    ax.set_ylabel("probability to pass")
    ax.set_title(
        f"width {plan.width}, mean HOP {plan.hop:g} (circuit spread {plan.spread:.3f})",
        fontsize="medium",
    )
    ax.legend(fontsize="small", loc="lower right")
    return ax
