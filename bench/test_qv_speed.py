"""Quantum volume speed against qiskit-experiments' QuantumVolume, side by side in one run.

Groups (issue goals):

* ``qv-noisy-fake_torino`` — widths 2–6, 100 circuits × 1000 shots per width, the noisy
  simulation of fake_torino, same physical qubits and optimization level for both tools.
  Each round is the whole measurement from the backend name: the peer builds
  ``AerSimulator.from_backend(FakeTorino())`` and runs one experiment per width; quantumlimits runs
  ``run_qv``. After both, their mean HOPs per width must agree within their error bars.
* ``qv-noiseless-w20`` — width 20, 100 circuits × 1000 shots, noiseless; each tool runs in its own
  subprocess so that its peak memory (max RSS) is measured alone.
* ``ideal-bandwidth`` — effective memory bandwidth of the ideal statevector stage against this
  machine's copy bandwidth.

``--quick`` shrinks every size so CI can afford it; the figures in docs/performance.md come from
full runs (``make bench``).
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
import warnings
from typing import Any

import numpy as np
import pytest

from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout

SEED = 11
_RESULTS: dict[str, dict[int, Any]] = {}


def _noisy_sizes(quick: bool) -> tuple[list[int], int, int]:
    return ([2, 3], 20, 200) if quick else ([2, 3, 4, 5, 6], 100, 1000)


def _layouts(widths: list[int]) -> dict[int, list[int]]:
    target = load_snapshot("fake_torino").target
    return {w: list(best_layout(target, w).qubits) for w in widths}


def _mean_and_error(hops: Any) -> tuple[float, float]:
    values = np.asarray(hops, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def run_peer_noisy(widths: list[int], trials: int, shots: int) -> dict[int, Any]:
    """qiskit-experiments' QuantumVolume on AerSimulator.from_backend(FakeTorino()).

    Returns the per-circuit HOPs of each width, in the experiment's circuit order.
    """
    from qiskit_aer import AerSimulator
    from qiskit_experiments.library import QuantumVolume
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    layouts = _layouts(widths)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulator = AerSimulator.from_backend(FakeTorino())
        out = {}
        for width in widths:
            experiment = QuantumVolume(layouts[width], backend=simulator, trials=trials, seed=SEED)
            experiment.set_transpile_options(optimization_level=1)
            experiment.set_run_options(shots=shots)
            data = experiment.run().block_for_results()
            result = data.analysis_results("mean_HOP", dataframe=True)
            out[width] = list(result.iloc[0]["HOPs"])
    return out


def _peer_fully_measured(width: int, trials: int) -> np.ndarray:
    """Which of the peer's circuits measure every qubit.

    qiskit-experiments measures only the active qubits (``measure_active``); a circuit whose
    odd qubit is left out of every layer (1 in 9 at width 3) then yields bitstrings one bit short
    of its heavy set and scores HOP 0 whatever the device does. Circuits with an idle qubit are
    left out of both tools' means (their ideal HOP is 1, so leaving them out of one side only
    would bias the comparison), and counted in the report.
    """
    from qiskit_experiments.library import QuantumVolume

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        circuits = QuantumVolume(list(range(width)), trials=trials, seed=SEED).circuits()
    return np.array([c.num_clbits == width for c in circuits])


def run_ours_noisy(widths: list[int], trials: int, shots: int) -> dict[int, Any]:
    """quantumlimits run_qv on the fake_torino snapshot (layouts chosen the same way)."""
    from quantumlimits.qv.protocol import run_qv

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_qv(
            backend="fake_torino",
            widths=widths,
            trials=trials,
            shots=shots,
            seed=SEED,
            optimization_level=1,
        )
    return {w.width: list(w.hops) for w in result.widths}


def _ours_all_active(width: int, trials: int) -> np.ndarray:
    """Which of our circuits act on every qubit (the class the peer can score correctly)."""
    from quantumlimits.circuits import qv_circuits

    circuits = qv_circuits(width=width, seed=SEED, count=trials)
    return np.array([len({q for inst in c.data for q in inst.qubits}) == width for c in circuits])


@pytest.mark.benchmark(group="qv-noisy-fake_torino")
def test_peer_noisy(benchmark: Any, quick: bool) -> None:
    widths, trials, shots = _noisy_sizes(quick)
    benchmark.extra_info.update(role="peer", tool="qiskit-experiments", widths=widths)
    _RESULTS["peer"] = benchmark.pedantic(
        run_peer_noisy, args=(widths, trials, shots), rounds=1 if quick else 3, iterations=1
    )


@pytest.mark.benchmark(group="qv-noisy-fake_torino")
def test_ours_noisy(benchmark: Any, quick: bool) -> None:
    widths, trials, shots = _noisy_sizes(quick)
    benchmark.extra_info.update(role="ours", tool="quantumlimits", widths=widths)
    _RESULTS["ours"] = benchmark.pedantic(
        run_ours_noisy, args=(widths, trials, shots), rounds=1 if quick else 5, iterations=1
    )


def test_noisy_mean_hops_agree(quick: bool) -> None:
    """Same device, qubits, optimization level: mean HOPs agree within 3 combined errors."""
    if "peer" not in _RESULTS or "ours" not in _RESULTS:
        pytest.skip("needs both noisy benchmarks in the same run")
    _, trials, _ = _noisy_sizes(quick)
    for width, hops in _RESULTS["peer"].items():
        full = _peer_fully_measured(width, trials)
        peer_mean, peer_err = _mean_and_error(np.asarray(hops)[full])
        active = _ours_all_active(width, trials)
        ours_mean, ours_err = _mean_and_error(np.asarray(_RESULTS["ours"][width])[active])
        tolerance = 3 * math.hypot(peer_err, ours_err)
        print(
            f"width {width}: qiskit-experiments {peer_mean:.4f} ± {peer_err:.4f} "
            f"({int((~full).sum())} circuits with an idle qubit left out), "
            f"quantumlimits {ours_mean:.4f} ± {ours_err:.4f} ({int((~active).sum())} left out)"
        )
        assert abs(peer_mean - ours_mean) < tolerance, (width, peer_mean, ours_mean, tolerance)


_NOISELESS_PEER = """
import sys, warnings
warnings.simplefilter("ignore")
from qiskit_aer import AerSimulator
from qiskit_experiments.library import QuantumVolume
w, trials, shots = map(int, sys.argv[1:4])
exp = QuantumVolume(list(range(w)), backend=AerSimulator(), trials=trials, seed=1)
exp.set_run_options(shots=shots)
exp.run().block_for_results()
"""

_NOISELESS_OURS = """
import sys, warnings
warnings.simplefilter("ignore")
from quantumlimits.qv.protocol import run_qv
w, trials, shots = map(int, sys.argv[1:4])
run_qv(backend="aer", widths=[w], trials=trials, shots=shots, seed=1)
"""


#: Appended to each child's code: its own peak RSS. ``ru_maxrss`` is no use here: Linux carries
#: the parent's high-water mark across fork and exec into the child's, so a child of this pytest
#: process reports at least the RSS pytest had when it forked. ``VmHWM`` belongs to the child's
#: own address space, made fresh at exec.
_REPORT_PEAK = """
import re as _re
_hwm = _re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())
print("PEAK_RSS_KB", _hwm.group(1) if _hwm else -1, flush=True)
"""


def _run_child(code: str, args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS bytes of ``python -c code args`` (this child alone)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code + _REPORT_PEAK, *args], stdout=subprocess.PIPE, text=True
    )
    out, _ = child.communicate()
    elapsed = time.perf_counter() - start
    assert child.returncode == 0, f"child failed with {child.returncode}"
    reported = [line.split()[1] for line in out.splitlines() if line.startswith("PEAK_RSS_KB")]
    assert reported and int(reported[-1]) > 0, "the child did not report its peak RSS (VmHWM)"
    return elapsed, int(reported[-1]) * 1024


def _noiseless_sizes(quick: bool) -> list[str]:
    return ["12", "10", "200"] if quick else ["20", "100", "1000"]


@pytest.mark.benchmark(group="qv-noiseless-w20")
def test_peer_noiseless_w20(benchmark: Any, quick: bool) -> None:
    args = _noiseless_sizes(quick)
    benchmark.extra_info.update(role="peer", tool="qiskit-experiments", width=int(args[0]))
    _, peak = benchmark.pedantic(_run_child, args=(_NOISELESS_PEER, args), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_bytes"] = peak


@pytest.mark.benchmark(group="qv-noiseless-w20")
def test_ours_noiseless_w20(benchmark: Any, quick: bool) -> None:
    args = _noiseless_sizes(quick)
    benchmark.extra_info.update(role="ours", tool="quantumlimits", width=int(args[0]))
    _, peak = benchmark.pedantic(
        _run_child, args=(_NOISELESS_OURS, args), rounds=1 if quick else 2, iterations=1
    )
    benchmark.extra_info["peak_rss_bytes"] = peak
    if not quick:
        assert peak < 1.5 * 2**30, f"peak memory {peak / 2**30:.2f} GiB is over the 1.5 GB goal"


def copy_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 10) -> float:
    """Bytes per second this machine moves in a large memory copy (read + write counted)."""
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    np.copyto(b, a)
    start = time.perf_counter()
    for _ in range(repeats):
        np.copyto(b, a)
    return 2 * a.nbytes * repeats / (time.perf_counter() - start)


@pytest.mark.benchmark(group="ideal-bandwidth")
def test_ideal_stage_bandwidth(benchmark: Any, quick: bool) -> None:
    """Effective bandwidth of the ideal stage: each two-qubit gate reads and writes the state."""
    from quantumlimits.circuits import qv_circuits
    from quantumlimits.execution.aer import ideal_probabilities

    width, count = (14, 4) if quick else (20, 8)
    circuits = qv_circuits(width=width, seed=1, count=count)
    gates = sum(c.size() for c in circuits)
    touched = gates * 2 * 16 * (1 << width)
    benchmark.pedantic(lambda: list(ideal_probabilities(circuits)), rounds=3, iterations=1)
    if benchmark.stats is None:  # --benchmark-disable
        return
    seconds = benchmark.stats.stats.median
    effective, machine = touched / seconds, copy_bandwidth()
    benchmark.extra_info.update(
        width=width,
        circuits=count,
        bytes_touched=touched,
        effective_bandwidth=effective,
        copy_bandwidth=machine,
        fraction_of_copy=effective / machine,
    )
