"""Research access to stored quantum volume runs: heavy sets, counts and HOPs as numpy arrays.

Everything comes from the results store; nothing is simulated again.

>>> import tempfile, pathlib, warnings
>>> from quantumlimits.qv.protocol import run_qv
>>> from quantumlimits.store import ResultsStore
>>> folder = tempfile.mkdtemp()
>>> with ResultsStore(pathlib.Path(folder) / "r.sqlite") as store, warnings.catch_warnings():
...     warnings.simplefilter("ignore")  # 4 circuits: below the protocol's 100
...     run_id = run_qv(backend="aer", widths=[3], trials=4, shots=50, store=store).run_id
>>> run = load_qv_run(pathlib.Path(folder) / "r.sqlite", run_id)
>>> int(run.heavy_mask(3, 0).sum()), int(run.counts(3, 0).sum()), run.hops(3).shape
(4, 50, (4,))
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantumlimits.qv.heavy import unpack_mask
from quantumlimits.qv.results import QVResult
from quantumlimits.store import ResultsStore, StoredCircuit


@dataclass(frozen=True)
class StoredQVRun:
    """A stored QV run: its result document and every circuit's heavy set and counts."""

    run_id: str
    result: QVResult
    circuits: dict[tuple[int, int], tuple[StoredCircuit, ...]]

    def _cell(self, width: int, depth: int | None) -> tuple[StoredCircuit, ...]:
        key = (width, width if depth is None else depth)
        if key not in self.circuits:
            cells = ", ".join(f"{w}x{d}" for w, d in sorted(self.circuits))
            raise KeyError(f"run {self.run_id} has no width x depth {key[0]}x{key[1]} ({cells})")
        return self.circuits[key]

    def _circuit(self, width: int, index: int, depth: int | None) -> StoredCircuit:
        for c in self._cell(width, depth):
            if c.index == index:
                return c
        raise KeyError(f"run {self.run_id} has no circuit {index} at width {width}")

    def heavy_mask(self, width: int, index: int, *, depth: int | None = None) -> NDArray[np.bool_]:
        """Boolean heavy set of circuit ``index``: entry x is True when outcome x is heavy."""
        return unpack_mask(self._circuit(width, index, depth).heavy_mask, width)

    def counts(self, width: int, index: int, *, depth: int | None = None) -> NDArray[np.int64]:
        """Dense counts of circuit ``index``: entry x is how many shots gave outcome x."""
        c = self._circuit(width, index, depth)
        dense = np.zeros(1 << width, dtype=np.int64)
        dense[c.outcomes] = c.counts
        return dense

    def heavy_counts(self, width: int, *, depth: int | None = None) -> NDArray[np.int64]:
        """Heavy shots per circuit, by circuit index."""
        return np.array([c.heavy_count for c in self._cell(width, depth)], dtype=np.int64)

    def shots(self, width: int, *, depth: int | None = None) -> NDArray[np.int64]:
        """Shots per circuit, by circuit index."""
        return np.array([c.shots for c in self._cell(width, depth)], dtype=np.int64)

    def hops(self, width: int, *, depth: int | None = None) -> NDArray[np.float64]:
        """Measured heavy-output probability per circuit."""
        return self.heavy_counts(width, depth=depth) / self.shots(width, depth=depth)

    def ideal_hops(self, width: int, *, depth: int | None = None) -> NDArray[np.float64]:
        """Ideal heavy-output probability per circuit."""
        return np.array([c.ideal_hop for c in self._cell(width, depth)])

    def _optimized(self, width: int, depth: int | None) -> dict[str, Any]:
        key = (width, width if depth is None else depth)
        for w in self.result.widths:
            if (w.width, w.depth) == key and w.optimized is not None:
                return w.optimized
        raise KeyError(
            f"run {self.run_id} has no optimized arm at {key[0]}x{key[1]} "
            "(run with --mitigate-readout or --dynamical-decoupling)"
        )

    def optimized_hops(self, width: int, *, depth: int | None = None) -> NDArray[np.float64]:
        """Per-circuit HOP of the optimized arm (readout-mitigated and/or decoupled), by index."""
        return np.asarray(self._optimized(width, depth)["hops"], dtype=float)

    def readout_assignment(self, width: int, *, depth: int | None = None) -> NDArray[np.float64]:
        """The measured assignment matrices ``A[q] = [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`` of
        the layout's qubits (local order), shape (width, 2, 2)."""
        calibration = self._optimized(width, depth)["readout_calibration"]
        if calibration is None:
            raise KeyError(f"run {self.run_id} did not mitigate readout at width {width}")
        e01 = np.asarray(calibration["p1_given_0"])
        e10 = np.asarray(calibration["p0_given_1"])
        return np.stack([np.stack([1 - e01, e10], -1), np.stack([e01, 1 - e10], -1)], 1)


@contextmanager
def _opened(store: ResultsStore | str | os.PathLike[str]) -> Iterator[ResultsStore]:
    if isinstance(store, ResultsStore):
        yield store
    else:
        with ResultsStore(Path(store)) as opened:
            yield opened


def load_qv_run(store: ResultsStore | str | os.PathLike[str], run_id: str) -> StoredQVRun:
    """Load a stored QV run (``run_id`` or a unique prefix) with all its circuits."""
    with _opened(store) as s:
        full = s.resolve(run_id)
        result = QVResult.from_dict(s.document(full))
        cells: dict[tuple[int, int], list[StoredCircuit]] = {}
        for c in s.qv_circuits(full):
            cells.setdefault((c.width, c.depth), []).append(c)
    return StoredQVRun(full, result, {k: tuple(v) for k, v in cells.items()})
