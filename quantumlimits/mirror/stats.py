"""Mirror circuit statistics: Hamming-distance histograms, effective polarization, the verdict.

A circuit's result is summarised by the histogram ``h_k`` of the Hamming distance ``k`` between
each shot and the circuit's target bitstring. Its *effective polarization* (Proctor et al., PRL
129, 150502, 2022) is

    S = 4^w / (4^w - 1) · Σ_k (-1/2)^k h_k / shots  -  1 / (4^w - 1),

1 for a perfect run and 0 in expectation for uniformly random outputs. A width passes when the
one-sided 97.725 % (2σ, as in QV) lower confidence bound on the mean of ``S`` over its circuits is
above ``1/e``, the success threshold of Proctor et al.'s capability regions (Nature Physics 18, 75,
2022). Pure functions; docs/mirror.md gives the reasons.

>>> import numpy as np
>>> round(effective_polarization(np.array([100, 0, 0])), 6)
1.0
>>> round(effective_polarization(np.array([25, 50, 25])), 6)  # uniform on 2 qubits
0.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

#: Pass threshold on the mean effective polarization.
THRESHOLD = 1 / math.e
#: One-sided confidence of the lower bound (2σ, the QV protocol's confidence).
CONFIDENCE = 0.97725


def hamming_histogram(counts: Mapping[int, int], *, target: int, width: int) -> np.ndarray:
    """Shots at Hamming distance ``0..width`` from ``target`` (outcomes as integers).

    >>> hamming_histogram({0b101: 3, 0b100: 1}, target=0b101, width=3).tolist()
    [3, 1, 0, 0]
    """
    histogram = np.zeros(width + 1, dtype=np.int64)
    for outcome, count in counts.items():
        histogram[(int(outcome) ^ target).bit_count()] += int(count)
    return histogram


def effective_polarization(histogram: Sequence[int] | np.ndarray) -> float:
    """Effective polarization of one circuit from its Hamming-distance histogram."""
    h = np.asarray(histogram, dtype=float)
    width = h.size - 1
    shots = h.sum()
    if shots <= 0:
        raise ValueError("a histogram with no shots has no polarization")
    weighted = float(np.dot((-0.5) ** np.arange(width + 1), h) / shots)
    # 4^w / (4^w - 1) = 1 / (1 - 4^-w), written so that w = 156 does not overflow anything.
    tail = 4.0**-width
    return (weighted - tail) / (1.0 - tail)


def success_probability(histogram: Sequence[int] | np.ndarray) -> float:
    """Fraction of shots that returned exactly the target bitstring."""
    h = np.asarray(histogram, dtype=float)
    return float(h[0] / h.sum())


def lower_bound(values: Sequence[float] | np.ndarray, *, confidence: float = CONFIDENCE) -> float:
    """One-sided Student-t lower confidence bound on the mean of ``values`` (needs two or more).

    The spread between circuits already contains each circuit's shot noise, so the sample
    standard deviation covers both sources of randomness.

    >>> round(lower_bound([0.5, 0.7, 0.6, 0.6]), 4)
    0.465
    """
    from scipy import stats as scipy_stats

    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise ValueError("a lower bound needs at least two circuits")
    sem = float(v.std(ddof=1)) / math.sqrt(v.size)
    return float(v.mean() - scipy_stats.t.ppf(confidence, v.size - 1) * sem)


def passes(lower: float, *, threshold: float = THRESHOLD) -> bool:
    """The width verdict: the lower bound strictly above the threshold."""
    return lower > threshold
