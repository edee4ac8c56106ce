"""The classical-wall probe, run in a child process: time and peak memory of exact simulation.

``python -m quantumlimits.limits._probe CONFIG_JSON`` prints one JSON line per measured width and
a final ``{"stop": reason}`` line. A child process keeps the parent's memory out of the peak, and a
width that exhausts memory kills only the child.

Peak memory: Linux's ``VmHWM`` (peak resident set) is reset before each width by writing ``5`` to
``/proc/self/clear_refs``; the figure reported is ``VmHWM`` after the width minus ``VmRSS`` before
it. Where that reset is not available, ``ru_maxrss`` growth is reported instead (a lower bound).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

#: Growth assumed for the next width when deciding whether it fits the time budget (2^1.2).
NEXT_WIDTH_FACTOR = 2.3
#: Bytes one width needs besides the state: float64 probabilities and a copy while sampling.
BYTES_PER_WIDTH_UNIT = 16 + 8 + 8


def _status_bytes(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _maxrss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def measure(config: dict[str, Any]) -> None:
    """Measure every width of ``config`` in turn, printing one JSON line each."""
    import numpy as np
    from qiskit_aer import AerSimulator

    from quantumlimits.circuits import qv_circuit
    from quantumlimits.execution.aer import sample_counts

    warnings.simplefilter("ignore")
    threads = int(config["threads"])
    sim = AerSimulator(method="statevector", max_parallel_threads=threads)
    budget = float(config["time_budget_s"])
    memory_budget = float(config["memory_budget_bytes"])
    started = time.perf_counter()
    last: float | None = None
    reason = "max_width"
    for width in range(int(config["min_width"]), int(config["max_width"]) + 1):
        elapsed = time.perf_counter() - started
        if BYTES_PER_WIDTH_UNIT * (1 << width) > memory_budget:
            reason = "memory_budget"
            break
        if last is not None and elapsed + last * NEXT_WIDTH_FACTOR > budget:
            reason = "time_budget"
            break
        repeats = int(config["repeats"]) if last is None or last < 0.5 else 1
        simulate: list[float] = []
        sample: list[float] = []
        rss_before = _status_bytes("VmRSS")
        exact_peak = _reset_peak() and rss_before is not None
        maxrss_before = _maxrss_bytes()
        for index in range(repeats):
            circuit = qv_circuit(width=width, seed=int(config["seed"]), index=index)
            circuit.save_probabilities(label="p")
            t0 = time.perf_counter()
            result = sim.run([circuit], shots=1).result()
            probabilities = np.asarray(result.data(0)["p"], dtype=float)
            t1 = time.perf_counter()
            sample_counts(probabilities, shots=int(config["shots"]), seed=index)
            t2 = time.perf_counter()
            simulate.append(t1 - t0)
            sample.append(t2 - t1)
            del result, probabilities
        hwm = _status_bytes("VmHWM") if exact_peak else None
        if exact_peak and hwm is not None and rss_before is not None:
            extra, method = max(0, hwm - rss_before), "VmHWM-after-clear_refs"
        else:
            extra, method = max(0, _maxrss_bytes() - maxrss_before), "ru_maxrss-growth"
        totals = sorted(a + b for a, b in zip(simulate, sample, strict=True))
        last = totals[len(totals) // 2]
        line = {
            "width": width,
            "repeats": repeats,
            "seconds": last,
            "seconds_all": totals,
            "simulate_seconds": sorted(simulate)[len(simulate) // 2],
            "sample_seconds": sorted(sample)[len(sample) // 2],
            "peak_extra_bytes": extra,
            "peak_rss_bytes": hwm if hwm is not None else _maxrss_bytes(),
            "memory_method": method,
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    sys.stdout.write(json.dumps({"stop": reason}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    measure(json.loads(sys.argv[1]))
