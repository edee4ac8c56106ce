"""Choosing physical qubits from calibration data: the best connected subset of a device.

Quantum volume circuits are all-to-all, so a connected set of good qubits whose couplers are good
gives the best chance to pass. The score of a set is its expected log-infidelity: readout on every
qubit plus, for the couplers inside the set, their mean two-qubit error times the number of native
two-qubit gates an SU(4) layer structure needs (``3 * floor(w / 2) * w``, routing ignored). Sets are
grown greedily from every qubit; the best grown set wins. Greedy growth is not exhaustive search;
it is deterministic, takes milliseconds on a 156-qubit device, and is reported with its score.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from quantumlimits.errors import UsageError
from quantumlimits.execution.backends import edge_errors, readout_errors


@dataclass(frozen=True)
class Layout:
    """Physical qubits chosen for a width, with the score that chose them (lower is better)."""

    qubits: tuple[int, ...]
    score: float
    mean_two_qubit_error: float
    mean_readout_error: float


def _nlog(error: float) -> float:
    return -math.log(max(1e-12, 1.0 - min(error, 1.0 - 1e-12)))


def _inside(qubits: set[int], edges: dict[tuple[int, int], float]) -> list[float]:
    """Errors of the couplers with both ends in ``qubits``, in ``edges`` order."""
    return [err for (a, b), err in edges.items() if a in qubits and b in qubits]


def _score(
    qubits: set[int], inside: list[float], readout: Any, width: int
) -> tuple[float, float, float]:
    mean_edge = sum(inside) / len(inside) if inside else 1.0
    mean_ro = float(sum(readout[q] for q in qubits) / len(qubits))
    readout_nlog = {q: _nlog(readout[q]) for q in qubits}
    return _score_only(qubits, inside, readout_nlog, width), mean_edge, mean_ro


def _score_only(qubits: set[int], inside: list[float], readout_nlog: Any, width: int) -> float:
    """:func:`_score`'s score, with each qubit's readout log-infidelity given: the same sums in
    the same order, so the same float."""
    mean_edge = sum(inside) / len(inside) if inside else 1.0
    gates = 3 * (width // 2) * width
    return sum(readout_nlog[q] for q in qubits) + gates * _nlog(mean_edge)


def best_layout(target: Any, width: int) -> Layout:
    """The best connected set of ``width`` physical qubits on ``target`` (see module docstring)."""
    return candidate_layouts(target, width, count=1)[0]


def candidate_layouts(target: Any, width: int, *, count: int) -> list[Layout]:
    """The ``count`` best distinct connected sets of ``width`` qubits, best score first.

    Each start qubit grows one set greedily; sets grown from several starts count once (scored as
    grown from the first of them). The first is :func:`best_layout`.
    """
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    n = int(target.num_qubits)
    if width > n:
        raise UsageError(
            f"width {width} is wider than the device's {n} qubits: pass smaller widths"
        )
    edges = edge_errors(target)
    readout = readout_errors(target)
    # coupler errors by position in ``edges``, and each qubit's (neighbour, position) couplers: a
    # candidate's inside couplers are the chosen set's plus its own, summed in ``edges`` order as
    # _inside does
    errors = list(edges.values())
    incident: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for position, (a, b) in enumerate(edges):
        incident[a].append((b, position))
        incident[b].append((a, position))

    def grown(chosen: set[int], inside: list[int], q: int) -> list[int]:
        return sorted(inside + [p for other, p in incident[q] if other in chosen])

    readout_nlog = [_nlog(r) for r in readout]

    def candidate(chosen: set[int], inside: list[int], q: int) -> tuple[float, int]:
        couplers = [errors[p] for p in grown(chosen, inside, q)]
        return _score_only(chosen | {q}, couplers, readout_nlog, width), q

    grown_sets: dict[frozenset[int], Layout] = {}
    for start in range(n):
        chosen = {start}
        order = [start]
        inside: list[int] = []  # positions of the couplers inside ``chosen``
        while len(chosen) < width:
            frontier = sorted({q for c in chosen for q, _ in incident[c]} - chosen)
            if not frontier:
                break
            pick = min(frontier, key=lambda q: candidate(chosen, inside, q))
            inside = grown(chosen, inside, pick)
            chosen.add(pick)
            order.append(pick)
        if len(chosen) < width:
            continue
        key = frozenset(chosen)
        if key not in grown_sets:
            score, mean_edge, mean_ro = _score(chosen, _inside(chosen, edges), readout, width)
            grown_sets[key] = Layout(tuple(order), score, mean_edge, mean_ro)
    if not grown_sets:
        raise UsageError(
            f"the device has no connected set of {width} qubits: pass smaller widths or --qubits"
        )
    # stable: equal scores keep the order of their start qubits, as best_layout always did
    return sorted(grown_sets.values(), key=lambda layout: layout.score)[:count]


def check_layout(target: Any, qubits: tuple[int, ...]) -> Layout:
    """Validate user-chosen physical qubits and score them like :func:`best_layout` does."""
    n = int(target.num_qubits)
    bad = [q for q in qubits if not 0 <= q < n]
    if bad:
        raise UsageError(f"--qubits {bad} lie outside the device's qubits 0..{n - 1}")
    if len(set(qubits)) != len(qubits):
        raise UsageError("--qubits lists a qubit twice: give each physical qubit once")
    edges = edge_errors(target)
    if not is_connected(qubits, edges):
        raise UsageError(
            f"--qubits {list(qubits)} are not connected by the device's couplers: "
            "QV routes inside the chosen qubits, so list a connected set"
        )
    chosen = set(qubits)
    score, mean_edge, mean_ro = _score(
        chosen, _inside(chosen, edges), readout_errors(target), len(qubits)
    )
    return Layout(tuple(qubits), score, mean_edge, mean_ro)


def is_connected(qubits: tuple[int, ...], edges: dict[tuple[int, int], float]) -> bool:
    """Whether the couplers among ``qubits`` connect them all."""
    if not qubits:
        return False
    members = set(qubits)
    seen = {qubits[0]}
    frontier = [qubits[0]]
    while frontier:
        q = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == q and y in members and y not in seen:
                    seen.add(y)
                    frontier.append(y)
    return seen == members
