"""The chain a layer-fidelity run benchmarks: a path through the coupling map, chosen from
calibration, and the two disjoint two-qubit layers that cover it.

IBM reports layer fidelity on a chain of qubits, each coupled to the next, chosen as the path of
the requested length whose calibrated errors predict the highest layer fidelity (McKay et al.,
*Benchmarking quantum processor performance at scale*, arXiv:2311.05933). Finding the best path
exactly is a longest-path problem (NP-hard); enumerating simple paths explodes on lattices with
many cycles (a 120-qubit square lattice has astronomically many 100-qubit paths). The search here
starts with a beam search: paths grow one qubit at a time from every qubit, and after each step
only the ``beam`` best partial paths (by predicted fidelity, duplicates of the same qubit set and
end removed) are kept, so memory is ``beam × length`` whatever the map. When the beam dead-ends
before the requested length, a depth-first search with backtracking takes over: it prunes every
partial path whose end cannot reach enough qubits (:func:`reach_bound`, which also discounts the
dead-end branches a path can enter only once), is bounded by a number of expansions (not wall
time, so the same map always gives the same chain), and either finds a chain or proves none
exists.

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
#: Partial paths the backtracking search expands, per ordering, before it gives up.
DFS_BUDGET = 200_000


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
    strict: bool = False,
) -> Chain | None:
    """The best path of the longest length up to ``length`` the beam search reaches; with
    ``strict`` the look-ahead is :func:`reach_bound` instead of a count of reachable qubits."""
    adjacency = _adjacency(edges, excluded)
    neighbours = {q: [n for n, _ in out] for q, out in adjacency.items()}
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
                need = length - len(path)
                if (
                    not look_ahead
                    or (strict and reach_bound(neighbours, path) >= need)
                    or (not strict and _room(path, adjacency, need))
                ):
                    paths.append((score, path))
            if len(paths) >= beam:
                break
        if not paths:
            paths = ranked[:1]
            break
    score, path = paths[0]
    return Chain(qubits=min(path, path[::-1]), predicted_lf=math.exp(score))


def _adjacency(
    edges: Mapping[tuple[int, int], float], excluded: frozenset[int]
) -> dict[int, list[tuple[int, float]]]:
    """Working couplers as neighbour lists with each coupler's log fidelity (sorted: the same
    map always gives the same order)."""
    adjacency: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), err in sorted(edges.items()):
        if err is None or err >= BROKEN_ERROR or a in excluded or b in excluded:
            continue
        w = _log(1.0 - pair_infidelity(err))
        adjacency[a].append((b, w))
        adjacency[b].append((a, w))
    return adjacency


def reach_bound(neighbours: Mapping[int, Sequence[int]], path: Sequence[int]) -> int:
    """An upper bound on the qubits a simple path continuing ``path`` can still add.

    The qubits off ``path`` reachable from its end, less the dead-end branches: peeling qubits
    with one neighbour left (never the end) leaves a core; a peeled branch hangs from the core by
    one qubit, so a path that enters it cannot leave, and it can enter one branch, at most as
    deep as the deepest. The bound is the core's size plus that depth.

    >>> star = {0: [1, 2, 3], 1: [0], 2: [0], 3: [0]}  # from 0, one leaf at most
    >>> reach_bound(star, [0])
    1
    >>> ring = {0: [1, 3], 1: [0, 2], 2: [1, 3], 3: [2, 0]}
    >>> reach_bound(ring, [0])
    3
    """
    end = path[-1]
    on_path = set(path)
    seen = {end}
    stack = [end]
    while stack:
        q = stack.pop()
        for n in neighbours.get(q, ()):
            if n not in seen and n not in on_path:
                seen.add(n)
                stack.append(n)
    degree = {q: sum(1 for n in neighbours.get(q, ()) if n in seen) for q in seen}
    depth = dict.fromkeys(seen, 0)
    leaves = [q for q in seen if q != end and degree[q] <= 1]
    peeled: set[int] = set()
    while leaves:
        q = leaves.pop()
        if q in peeled:
            continue
        peeled.add(q)
        for n in neighbours.get(q, ()):
            if n in seen and n not in peeled:
                depth[n] = max(depth[n], depth[q] + 1)
                degree[n] -= 1
                if n != end and degree[n] <= 1:
                    leaves.append(n)
    if len(peeled) == len(seen) - 1:  # a tree hanging from the end
        return depth[end]
    core = len(seen) - len(peeled) - 1
    return core + max(depth[q] for q in seen if q not in peeled)


class _Exhausted(Exception):
    """The backtracking search spent its budget."""


def _backtrack(
    adjacency: Mapping[int, Sequence[tuple[int, float]]],
    *,
    length: int,
    order: str,
    budget: int,
) -> tuple[tuple[int, ...] | None, bool]:
    """A path of ``length`` qubits by depth-first search with backtracking, pruned by
    :func:`reach_bound`; ``(path or None, whether the search was complete)``.

    ``order`` chooses the next qubit: ``"fidelity"`` tries the best coupler first (better
    chains), ``"warnsdorff"`` the neighbour with the fewest free neighbours first (Warnsdorff's
    rule: it finds long paths fast, whatever their quality). Starts are tried in a fixed order.
    """
    neighbours = {q: [n for n, _ in out] for q, out in adjacency.items()}
    weight = {(q, n): w for q, out in adjacency.items() for n, w in out}
    expanded = 0
    path: list[int] = []
    on_path: set[int] = set()

    def free(q: int) -> int:
        return sum(1 for n in neighbours[q] if n not in on_path)

    def grow() -> bool:
        nonlocal expanded
        expanded += 1
        if expanded > budget:
            raise _Exhausted
        if len(path) == length:
            return True
        if reach_bound(neighbours, path) < length - len(path):
            return False
        end = path[-1]
        options = [n for n in neighbours[end] if n not in on_path]
        if order == "fidelity":
            options.sort(key=lambda n: (-weight[(end, n)], n))
        else:
            options.sort(key=lambda n: (free(n), -weight[(end, n)], n))
        for n in options:
            path.append(n)
            on_path.add(n)
            if grow():
                return True
            path.pop()
            on_path.discard(n)
        return False

    if order == "fidelity":
        starts = sorted(adjacency, key=lambda q: (-max(w for _, w in adjacency[q]), q))
    else:
        starts = sorted(adjacency, key=lambda q: (len(adjacency[q]), q))
    try:
        for start in starts:
            path[:] = [start]
            on_path.clear()
            on_path.add(start)
            if grow():
                return tuple(path), True
    except _Exhausted:
        return None, False
    return None, True


def _find(
    *,
    edges: Mapping[tuple[int, int], float],
    one_qubit: Mapping[int, float],
    length: int,
    beam: int,
    excluded: frozenset[int],
) -> tuple[Chain | None, bool]:
    """The best chain of exactly ``length`` qubits found, and whether a failure is a proof.

    The beam search first (its chain when it reaches the length); else the best of a stricter
    beam and two backtracking searches. ``(None, True)``: no such chain exists;
    ``(None, False)``: none found within :data:`DFS_BUDGET`.
    """
    chain = _grow(edges=edges, one_qubit=one_qubit, length=length, beam=beam, excluded=excluded)
    if chain is not None and len(chain.qubits) == length:
        return chain, True
    adjacency = _adjacency(edges, excluded)
    if not adjacency:
        return None, True
    found: list[tuple[int, ...]] = []
    strict = _grow(
        edges=edges,
        one_qubit=one_qubit,
        length=length,
        beam=beam,
        excluded=excluded,
        strict=True,
    )
    if strict is not None and len(strict.qubits) == length:
        found.append(strict.qubits)
    proven = False
    for order in ("fidelity", "warnsdorff"):
        path, complete = _backtrack(adjacency, length=length, order=order, budget=DFS_BUDGET)
        if path is not None:
            found.append(path)
        elif complete:
            proven = True
            break
    if not found:
        return None, proven
    scored = [(predicted_lf(p, edges=edges, one_qubit=one_qubit), min(p, p[::-1])) for p in found]
    score, best = max(scored, key=lambda sp: (sp[0], [-q for q in sp[1]]))
    return Chain(qubits=best, predicted_lf=score), True


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
    """The best path of ``length`` qubits the search finds (highest predicted layer
    fidelity); couplers at error >= 1 and the ``excluded`` qubits are skipped. Raises
    ``UsageError`` naming the longest length found when it finds no path of ``length``, and
    saying whether none exists (the backtracking search ran to its end) or none was found
    within its budget.

    Every qubit starts a path; at each step each kept path grows by a neighbour of its end
    not yet on it, and the ``beam`` best survive (one per qubit set and end). When that beam
    dead-ends, a beam pruned by :func:`reach_bound` and two backtracking searches run; the
    best chain of ``length`` among them is returned.
    """
    if length < 2:
        raise UsageError(f"--chain-length must be at least 2, got {length}")
    chain, proven = _find(
        edges=edges, one_qubit=one_qubit, length=length, beam=beam, excluded=excluded
    )
    if chain is None:
        longest = longest_chain(
            edges=edges, one_qubit=one_qubit, upper=length, beam=beam, excluded=excluded
        )
        found = len(longest.qubits)
        what = (
            "no chain of {length} qubits through working couplers exists"
            if proven
            else "no chain of {length} qubits through working couplers was found within the "
            "search's budget"
        ).format(length=length)
        raise UsageError(
            f"{what} (the longest found has {found}): pass --chain-length {found} or less, or "
            "--chain-length max"
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
    """The longest chain the search finds (up to ``upper`` qubits), best of that length: a
    bisection on the length between what the beam reaches without look-ahead and ``upper``.

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
        found, _ = _find(edges=edges, one_qubit=one_qubit, length=mid, beam=beam, excluded=excluded)
        if found is not None:
            lo, chain = mid, found
        else:
            hi = mid - 1
    return chain
