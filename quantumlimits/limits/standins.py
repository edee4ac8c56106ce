"""Stand-ins for pieces other branches provide, with the same contracts (replace after merging).

* :func:`predicted_hop` — expected heavy-output probability of a width from calibration
  (to be replaced by ``quantumlimits.qv.predict``).
* :func:`qpu_seconds_per_circuit` — projected QPU time of one circuit from calibration, IBM's
  documented usage model (to be replaced by ``quantumlimits.execution.qpu_time``).

Both are pure functions of numbers, so swapping them is a one-line change in ``wall.py`` and
``timeline.py``.

>>> round(predicted_hop(width=5, two_qubit_gates=48, two_qubit_error=0.003, readout_error=0.02), 3)
0.779
>>> qpu_seconds_per_circuit(duration_s=1e-5, rep_delay_s=2.5e-4, shots=1000,
...                         job_overhead_s=2.0, circuits_per_job=100)
0.28
"""

from __future__ import annotations

import math

#: Ideal mean HOP by width (Baldwin et al., Quantum 6, 707, 2022); wider widths use the limit.
IDEAL_HOP = {
    2: 0.7927,
    3: 0.8486,
    4: 0.8398,
    5: 0.8565,
    6: 0.8514,
    7: 0.8571,
    8: 0.8508,
    9: 0.8526,
    10: 0.8485,
    11: 0.8488,
}
#: The asymptotic ideal HOP (1 + ln 2) / 2 of Porter-Thomas distributed outputs.
IDEAL_HOP_LIMIT = (1.0 + math.log(2.0)) / 2.0
#: IBM's documented per-job overhead (seconds) in its usage model.
JOB_OVERHEAD_S = 2.0


def ideal_hop(width: int) -> float:
    """The mean ideal HOP of width-``width`` model circuits (table, then the asymptote).

    >>> ideal_hop(2), round(ideal_hop(40), 4)
    (0.7927, 0.8466)
    """
    if width < 2:
        raise ValueError(f"quantum volume needs width >= 2, got {width}")
    return IDEAL_HOP.get(width, IDEAL_HOP_LIMIT)


def predicted_hop(
    *,
    width: int,
    two_qubit_gates: float,
    two_qubit_error: float,
    readout_error: float,
    single_qubit_gates: float = 0.0,
    single_qubit_error: float = 0.0,
) -> float:
    """Expected mean HOP under a global depolarizing model of the calibration.

    The circuit keeps its ideal output with probability ``F`` (every gate and readout succeeds)
    and otherwise outputs uniform noise, whose HOP is 1/2:
    ``HOP = 1/2 + (ideal_hop(width) - 1/2) * F`` with
    ``F = (1 - e2)^N2 * (1 - e1)^N1 * (1 - e_ro)^width``. It ignores crosstalk, leakage and
    coherent errors, so it tends to be optimistic on real hardware.
    """
    for name, value in (
        ("two_qubit_error", two_qubit_error),
        ("readout_error", readout_error),
        ("single_qubit_error", single_qubit_error),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if two_qubit_gates < 0 or single_qubit_gates < 0:
        raise ValueError("gate counts must be non-negative")
    log_f = (
        two_qubit_gates * math.log1p(-min(two_qubit_error, 1 - 1e-12))
        + single_qubit_gates * math.log1p(-min(single_qubit_error, 1 - 1e-12))
        + width * math.log1p(-min(readout_error, 1 - 1e-12))
    )
    return 0.5 + (ideal_hop(width) - 0.5) * math.exp(log_f)


def qpu_seconds_per_circuit(
    *,
    duration_s: float,
    rep_delay_s: float,
    shots: int,
    job_overhead_s: float = JOB_OVERHEAD_S,
    circuits_per_job: int = 100,
) -> float:
    """Projected QPU seconds one circuit costs: ``shots * (rep_delay + duration)`` plus its share
    of the job overhead (IBM's documented usage model)."""
    if shots < 1 or circuits_per_job < 1:
        raise ValueError("shots and circuits_per_job must be at least 1")
    if duration_s < 0 or rep_delay_s < 0 or job_overhead_s < 0:
        raise ValueError("durations must be non-negative")
    return shots * (rep_delay_s + duration_s) + job_overhead_s / circuits_per_job
