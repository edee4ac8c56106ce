"""Noisy Clifford mirror circuits: stim's Pauli-frame sampler against Aer's stabilizer method.

Groups ``mirror-stim-w20`` and ``mirror-stim-w40``: the same ISA mirror circuits (clifford variant,
depth factor 1, fake_torino, the qubits ``best_layout`` picks, optimization level 1) with the same
Pauli-twirled device noise and the same shots, executed by ``execution.stabilizer.run_stabilizer``
(the peer: one tableau simulation per shot) and ``execution.stim.run_stim`` (ours: one reference
run, then all shots as Pauli frames; the circuit conversion is on our clock). Building and
transpiling are done once, off the clock. Few shots keep Aer's rounds short; stim's cost barely
grows with shots (it propagates many shots' frames at once), so the ratio at the mirror command's
200 shots is larger than the one measured here.

After both, the two runs' mean effective polarizations must agree within 3 combined standard
errors (per-circuit values, as the protocol computes them). At depth factor 1 these widths are
fully scrambled (S = 0 on both), so this is a smoke check; the distributional agreement is tested
at width 4 in tests/execution/test_stim.py.

``--quick``: width 6, 2 circuits, 10 shots, one round.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
import pytest

SEED = 5
_RUNS: dict[tuple[int, str], list[dict[int, int]]] = {}


def _sizes(quick: bool) -> dict[int, tuple[int, int]]:
    """``{width: (circuits, shots)}``."""
    return {6: (2, 10)} if quick else {20: (4, 50), 40: (4, 20)}


@functools.cache
def _circuits(width: int, count: int) -> tuple[Any, tuple[int, ...], list[Any], list[Any]]:
    """Target, physical qubits, built mirror circuits and their ISA circuits."""
    from quantumlimits.circuits import measured
    from quantumlimits.execution.backends import load_snapshot
    from quantumlimits.execution.layout import best_layout
    from quantumlimits.mirror.circuits import mirror_circuits
    from quantumlimits.qv import tasks

    target = load_snapshot("fake_torino").target
    qubits = best_layout(target, width).qubits
    built = mirror_circuits(width=width, depth=width, seed=SEED, count=count, variant="clifford")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        isa = tasks.run_transpile_task(
            tasks.TranspileTask(
                circuits=tuple(measured(m.circuit) for m in built),
                backend="fake_torino",
                physical_qubits=qubits,
                optimization_level=1,
                seed=SEED,
            )
        )
    return target, tuple(qubits), built, isa


def _run(simulator: str, width: int, count: int, shots: int) -> list[dict[int, int]]:
    from quantumlimits.execution.stabilizer import run_stabilizer
    from quantumlimits.execution.stim import run_stim

    target, qubits, _, isa = _circuits(width, count)
    run = run_stim if simulator == "stim" else run_stabilizer
    return run(isa, target=target, shots=shots, seed=SEED, physical_qubits=qubits).counts


def _bench(benchmark: Any, quick: bool, width: int, simulator: str) -> None:
    sizes = _sizes(quick)
    if width not in sizes:
        pytest.skip(f"width {width} is not in this mode's sizes {sorted(sizes)}")
    count, shots = sizes[width]
    _circuits(width, count)  # build and transpile off the clock
    peer = simulator == "aer"
    benchmark.extra_info.update(
        role="peer" if peer else "ours",
        tool="Aer stabilizer" if peer else "stim",
        width=width,
        circuits=count,
        shots=shots,
    )
    rounds = 1 if quick else (2 if peer else 5)
    _RUNS[(width, simulator)] = benchmark.pedantic(
        _run, args=(simulator, width, count, shots), rounds=rounds, iterations=1
    )


WIDTHS = (6, 20, 40)


@pytest.mark.parametrize("width", WIDTHS)
def test_peer_aer_stabilizer(benchmark: Any, quick: bool, width: int) -> None:
    benchmark.group = f"mirror-stim-w{width}"
    _bench(benchmark, quick, width, "aer")


@pytest.mark.parametrize("width", WIDTHS)
def test_ours_stim(benchmark: Any, quick: bool, width: int) -> None:
    benchmark.group = f"mirror-stim-w{width}"
    _bench(benchmark, quick, width, "stim")


def _polarizations(width: int, counts: list[dict[int, int]]) -> np.ndarray:
    from quantumlimits.mirror import stats

    _, _, built, _ = _circuits(width, len(counts))
    return np.array(
        [
            stats.effective_polarization(stats.hamming_histogram(c, target=m.target, width=width))
            for m, c in zip(built, counts, strict=True)
        ]
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_polarizations_agree(width: int) -> None:
    """Same circuits and noise: mean effective polarizations within 3 combined errors."""
    if (width, "aer") not in _RUNS or (width, "stim") not in _RUNS:
        pytest.skip("needs both runs of this width in the same session")
    aer = _polarizations(width, _RUNS[(width, "aer")])
    ours = _polarizations(width, _RUNS[(width, "stim")])
    error = math.hypot(
        aer.std(ddof=1) / math.sqrt(aer.size), ours.std(ddof=1) / math.sqrt(ours.size)
    )
    print(
        f"width {width}: Aer stabilizer S {aer.mean():.4f}, stim S {ours.mean():.4f} ± {error:.4f}"
    )
    assert abs(aer.mean() - ours.mean()) <= 3 * error + 1e-9
