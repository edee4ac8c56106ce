"""The chain a layer-fidelity run benchmarks: a path through the coupling map, chosen from
calibration, and the two disjoint two-qubit layers that cover it.

IBM reports layer fidelity on a chain of qubits, each coupled to the next, chosen as the path of
the requested length whose calibrated errors predict the highest layer fidelity (McKay et al.,
*Benchmarking quantum processor performance at scale*, arXiv:2311.05933). Finding the best path
exactly is a longest-path problem (NP-hard); enumerating simple paths explodes on lattices with
many cycles (a 120-qubit square lattice has astronomically many 100-qubit paths). The search here
is a beam search: paths grow one qubit at a time from every qubit, and after each step only the
``beam`` best partial paths (by predicted fidelity, duplicates of the same qubit set and end
removed) are kept, so memory is ``beam × length`` whatever the map.

>>> edges = {(0, 1): 0.01, (1, 2): 0.02, (2, 3): 0.01, (0, 3): 0.5}
>>> best_chain(edges=edges, one_qubit={}, length=4).qubits
(0, 1, 2, 3)
>>> layers((5, 6, 7, 8))
(((5, 6), (7, 8)), ((6, 7),))
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quantumlimits.errors import UsageError

#: Partial paths kept per step of the search.
DEFAULT_BEAM = 1000
#: A coupler at or above this calibrated error is broken: no chain uses it.
BROKEN_ERROR = 1.0


@dataclass(frozen=True)
class Chain:
    """A path of physical qubits and its predicted layer fidelity from calibration."""

    qubits: tuple[int, ...]
    predicted_lf: float

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """Consecutive pairs along the chain."""
        return tuple(zip(self.qubits[:-1], self.qubits[1:], strict=True))


def layers(qubits: Sequence[int]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The two disjoint two-qubit layers covering a chain's couplers: pairs (0,1), (2,3), ...
    and pairs (1,2), (3,4), ...; a chain of two qubits has one layer."""
    q = tuple(qubits)
    first = tuple((q[i], q[i + 1]) for i in range(0, len(q) - 1, 2))
    second = tuple((q[i], q[i + 1]) for i in range(1, len(q) - 1, 2))
    return (first, second) if second else (first,)


def pair_infidelity(error: float) -> float:
    """Process infidelity of a two-qubit gate from its average gate error: ``5/4 · e``."""
    return 5.0 / 4.0 * error


def qubit_infidelity(error: float) -> float:
    """Process infidelity of a one-qubit operation from its average gate error: ``3/2 · e``."""
    return 3.0 / 2.0 * error


def _log(fidelity: float) -> float:
    return math.log(fidelity) if fidelity > 0 else -1e9


def predicted_lf(
    qubits: Sequence[int],
    *,
    edges: Mapping[tuple[int, int], float],
    one_qubit: Mapping[int, float],
) -> float:
    """Layer fidelity the calibration predicts for a chain: the product over its couplers of
    ``1 − 5/4·e₂`` and, per qubit and layer, ``1 − one_qubit[q]`` (the process infidelity of one
    layer's one-qubit operations on ``q``, 0 when missing).

    >>> round(predicted_lf((0, 1), edges={(0, 1): 0.008}, one_qubit={0: 0.001, 1: 0.001}), 6)
    0.988021
    """
    total = 0.0
    q = tuple(qubits)
    for a, b in itertools.pairwise(q):
        total += _log(1.0 - pair_infidelity(edges[(min(a, b), max(a, b))]))
    n_layers = len(layers(q)) if len(q) >= 2 else 1
    for x in q:
        total += n_layers * _log(1.0 - one_qubit.get(x, 0.0))
    return math.exp(total)


def _grow(
    *,
    edges: Mapping[tuple[int, int], float],
    one_qubit: Mapping[int, float],
    length: int,
    beam: int,
    look_ahead: bool = True,
    excluded: frozenset[int] = frozenset(),
) -> Chain | None:
    """The best path of the longest length up to ``length`` the beam search reaches."""
    adjacency: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), err in edges.items():
        if err is None or err >= BROKEN_ERROR or a in excluded or b in excluded:
            continue
        w = _log(1.0 - pair_infidelity(err))
        adjacency[a].append((b, w))
        adjacency[b].append((a, w))
    n_layers = 2 if length >= 3 else 1

    def node(q: int) -> float:
        return n_layers * _log(1.0 - one_qubit.get(q, 0.0))

    paths: list[tuple[float, tuple[int, ...]]] = [(node(q), (q,)) for q in sorted(adjacency)]
    if not paths:
        return None
    for _ in range(length - 1):
        grown: dict[tuple[frozenset[int], int], tuple[float, tuple[int, ...]]] = {}
        for score, path in paths:
            members = set(path)
            for nxt, w in adjacency[path[-1]]:
                if nxt in members:
                    continue
                new = (score + w + node(nxt), (*path, nxt))
                key = (frozenset(new[1]), nxt)
                if key not in grown or grown[key][0] < new[0]:
                    grown[key] = new
        if not grown:
            break
        # A path and its reverse are the same chain: keep one orientation.
        unique: dict[tuple[int, ...], tuple[float, tuple[int, ...]]] = {}
        for score, path in grown.values():
            canon = min(path, path[::-1])
            if canon not in unique:
                unique[canon] = (score, path)
        ranked = sorted(unique.values(), key=lambda sp: (-sp[0], sp[1]))
        # The best paths alone crowd into one corner and then dead ends; keeping at most
        # ``per_end`` per end qubit keeps the beam spread over the device.
        per_end: dict[int, int] = defaultdict(int)
        paths = []
        for score, path in ranked:
            if per_end[path[-1]] < max(1, beam // len(adjacency)):
                per_end[path[-1]] += 1
                if not look_ahead or _room(path, adjacency, length - len(path)):
                    paths.append((score, path))
            if len(paths) >= beam:
                break
        if not paths:
            paths = ranked[:1]
            break
    score, path = paths[0]
    return Chain(qubits=min(path, path[::-1]), predicted_lf=math.exp(score))


def _room(
    path: tuple[int, ...], adjacency: Mapping[int, list[tuple[int, float]]], need: int
) -> bool:
    """Whether at least ``need`` qubits off ``path`` are reachable from its end (a bounded
    search: it stops as soon as it has counted them)."""
    if need <= 0:
        return True
    seen = set(path)
    frontier = [path[-1]]
    count = 0
    while frontier:
        q = frontier.pop()
        for nxt, _ in adjacency[q]:
            if nxt not in seen:
                seen.add(nxt)
                count += 1
                if count >= need:
                    return True
                frontier.append(nxt)
    return False


def best_chain(
    *,
    edges: Mapping[tuple[int, int], float],
    one_qubit: Mapping[int, float],
    length: int,
    beam: int = DEFAULT_BEAM,
    excluded: frozenset[int] = frozenset(),
) -> Chain:
    """The best path of ``length`` qubits the beam search finds (highest predicted layer
    fidelity); couplers at error >= 1 and the ``excluded`` qubits are skipped. Raises
    ``UsageError`` naming the longest length found when it finds no path of ``length``.

    Every qubit starts a path; at each step each kept path grows by a neighbour of its end
    not yet on it, and the ``beam`` best survive (one per qubit set and end).
    """
    if length < 2:
        raise UsageError(f"--chain-length must be at least 2, got {length}")
    chain = _grow(edges=edges, one_qubit=one_qubit, length=length, beam=beam, excluded=excluded)
    if chain is None or len(chain.qubits) < length:
        longest = longest_chain(
            edges=edges, one_qubit=one_qubit, upper=length, beam=beam, excluded=excluded
        )
        found = len(longest.qubits)
        raise UsageError(
            f"no chain of {length} qubits through working couplers was found (the longest found "
            f"has {found}): pass --chain-length {found} or less, or --chain-length max"
        )
    return chain


def longest_chain(
    *,
    edges: Mapping[tuple[int, int], float],
    one_qubit: Mapping[int, float],
    upper: int,
    beam: int = DEFAULT_BEAM,
    excluded: frozenset[int] = frozenset(),
) -> Chain:
    """The longest chain the beam search finds (up to ``upper`` qubits), best of that length.

    >>> longest_chain(edges={(0, 1): 0.01, (1, 2): 1.0}, one_qubit={}, upper=3).qubits
    (0, 1)
    """
    chain = _grow(
        edges=edges,
        one_qubit=one_qubit,
        length=upper,
        beam=beam,
        look_ahead=False,
        excluded=excluded,
    )
    if chain is None or len(chain.qubits) < 2:
        raise UsageError("the device has no working coupler: no chain exists")
    # Without look-ahead the search reaches a length that exists; with it, longer ones may be
    # found: bisect between the two.
    lo, hi = len(chain.qubits), upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        found = _grow(edges=edges, one_qubit=one_qubit, length=mid, beam=beam, excluded=excluded)
        if found is not None and len(found.qubits) == mid:
            lo, chain = mid, found
        else:
            hi = mid - 1
    return chain
