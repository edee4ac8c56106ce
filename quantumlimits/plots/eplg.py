"""Layer-fidelity figure: the chain drawn on the coupling map, and EPLG against chain length."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quantumlimits.eplg.results import EPLGResult
from quantumlimits.plots import pyplot


def coordinates(
    num_qubits: int, couplers: Sequence[tuple[int, int]]
) -> dict[int, tuple[float, float]]:
    """Positions of the qubits for drawing (rustworkx's spring layout, seeded: same map, same
    picture)."""
    import rustworkx as rx

    graph = rx.PyGraph()
    graph.add_nodes_from(range(num_qubits))
    graph.add_edges_from_no_data([(int(a), int(b)) for a, b in couplers])
    pos = rx.spring_layout(graph, seed=0, num_iter=300)
    return {q: (float(pos[q][0]), float(pos[q][1])) for q in range(num_qubits)}


def plot_chain(
    ax: Any, result: EPLGResult, *, num_qubits: int, couplers: Sequence[tuple[int, int]]
) -> None:
    """Every coupler in grey; the chain's couplers coloured by their pair's process fidelity."""
    pos = coordinates(num_qubits, couplers)
    for a, b in couplers:
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color="0.85", lw=1, zorder=1)
    fidelity = {}
    for layer in result.layers:
        for qubits, f in zip(layer.subsystems, layer.fidelities, strict=True):
            if len(qubits) == 2:
                fidelity[frozenset(qubits)] = f
    cmap = pyplot().get_cmap("viridis")
    values = list(fidelity.values()) or [1.0]
    lo, hi = min(values), max(values)
    for a, b in zip(result.chain[:-1], result.chain[1:], strict=True):
        f = fidelity.get(frozenset((a, b)), hi)
        shade = 0.5 if hi == lo else (f - lo) / (hi - lo)
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color=cmap(shade), lw=3, zorder=2)
    xs = [pos[q][0] for q in range(num_qubits)]
    ys = [pos[q][1] for q in range(num_qubits)]
    ax.scatter(xs, ys, s=6, color="0.6", zorder=3)
    ax.scatter(
        [pos[q][0] for q in result.chain],
        [pos[q][1] for q in result.chain],
        s=12,
        color="black",
        zorder=4,
    )
    ax.set_title(
        f"{len(result.chain)}-qubit chain on {result.backend}\n(pair F from {lo:.4f} to {hi:.4f})",
        fontsize=9,
    )
    ax.set_axis_off()


def plot_curve(ax: Any, result: EPLGResult) -> None:
    """EPLG of the chain's first k qubits against k, with the chain's EPLG and interval and the
    calibration's projection."""
    ks = [k for k, _ in result.curve]
    ax.plot(ks, [e for _, e in result.curve], "-", color="black", label="EPLG of first k qubits")
    lo, hi = result.eplg_interval
    n = len(result.chain)
    ax.errorbar(
        [n],
        [result.eplg],
        yerr=[[result.eplg - lo], [hi - result.eplg]],
        fmt="o",
        color="#1f77b4",
        label=f"chain EPLG {result.eplg:.5f}",
    )
    ax.axhline(
        result.projected_eplg,
        color="red",
        ls="--",
        lw=1,
        label=f"calibration {result.projected_eplg:.5f}",
    )
    ax.set_xlabel("chain length k")
    ax.set_ylabel("EPLG = 4/5·(1 − LF^(1/(k−1)))")
    ax.legend(fontsize=7)


def figure(
    result: EPLGResult,
    *,
    num_qubits: int | None = None,
    couplers: Sequence[tuple[int, int]] | None = None,
) -> Any:
    """The eplg.png figure (the map panel only when the coupling map is given)."""
    plt = pyplot()
    if couplers is None or num_qubits is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        plot_curve(ax, result)
    else:
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
        plot_chain(left, result, num_qubits=num_qubits, couplers=couplers)
        plot_curve(right, result)
    fig.tight_layout()
    return fig
