"""Statistics of the quantum volume test: pure functions from counts to bounds and verdicts.

Two lower confidence bounds on the mean heavy-output probability (HOP) of a width:

* ``cross`` — Cross et al. (PRA 100, 032328, 2019), as computed by qiskit-experiments:
  ``mean - z * sqrt(mean * (1 - mean) / N)`` over N circuits, z = 2.
* ``bootstrap`` — Baldwin et al. (Quantum 6, 707, 2022): resample circuits with replacement,
  draw each resampled circuit's heavy count from ``Binomial(shots_i, hop_i)``, take the pooled
  heavy fraction; the basic (reverse-percentile) bound at the one-sided 2σ level 0.97725.

A width passes when its lower bound is above 2/3. The protocol also asks for at least 100 circuits;
fewer give a result flagged ``valid = False``.

>>> round(cross_lower_bound([0.8] * 100), 4)
0.72
>>> round(cross_threshold(100), 4)
0.7529
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike

from quantumlimits.seeding import STREAM_BOOTSTRAP, rng

HOP_THRESHOLD = 2.0 / 3.0
Z_TWO_SIGMA = 2.0
#: One-sided confidence of a 2σ normal bound: Φ(2).
CONFIDENCE_TWO_SIGMA = 0.5 * (1.0 + math.erf(Z_TWO_SIGMA / math.sqrt(2.0)))
MIN_CIRCUITS = 100
METHODS = ("cross", "bootstrap")


def hops(heavy_counts: ArrayLike, shots: ArrayLike) -> np.ndarray:
    """Per-circuit heavy-output probabilities ``heavy_counts / shots``.

    >>> hops([700, 600], [1000, 1000]).tolist()
    [0.7, 0.6]
    """
    h = np.asarray(heavy_counts, dtype=float)
    s = np.asarray(shots, dtype=float)
    if h.shape != s.shape:
        raise ValueError(f"heavy_counts {h.shape} and shots {s.shape} differ in shape")
    if np.any(s <= 0):
        raise ValueError("every circuit needs at least one shot")
    if np.any(h < 0) or np.any(h > s):
        raise ValueError("heavy counts must lie between 0 and the circuit's shots")
    return h / s


def cross_sigma(hop_values: Sequence[float] | np.ndarray, *, extra_variance: float = 0.0) -> float:
    """The binomial standard error ``sqrt(m (1 - m) / N)`` of Cross et al., m the mean HOP.

    ``extra_variance`` is a variance of the mean HOP from a source the binomial model does not
    include (the Monte-Carlo error of a trajectory simulation), added under the root.

    >>> s = [0.75] * 100
    >>> round(cross_sigma(s), 5), round(cross_sigma(s, extra_variance=1e-4), 5)
    (0.0433, 0.04444)
    """
    values = np.asarray(hop_values, dtype=float)
    if values.size == 0:
        raise ValueError("no circuits")
    if not extra_variance >= 0.0:
        raise ValueError(f"extra_variance must be >= 0, got {extra_variance}")
    mean = float(values.mean())
    return math.sqrt(mean * (1.0 - mean) / values.size + extra_variance)


def mean_variance(circuit_variances: Sequence[float] | np.ndarray | None) -> float:
    """The variance the per-circuit variances ``v_i`` add to the mean over ``N`` circuits,
    ``Σ v_i / N²`` (0 for None).

    >>> mean_variance([4e-4] * 100)
    4e-06
    """
    if circuit_variances is None:
        return 0.0
    v = np.asarray(circuit_variances, dtype=float)
    return float(v.sum() / v.size**2) if v.size else 0.0


def cross_lower_bound(
    hop_values: Sequence[float] | np.ndarray, *, z: float = Z_TWO_SIGMA, extra_variance: float = 0.0
) -> float:
    """Mean HOP minus ``z`` binomial standard errors (Cross et al.; qiskit-experiments), the
    standard error widened by ``extra_variance`` (:func:`cross_sigma`)."""
    values = np.asarray(hop_values, dtype=float)
    if values.size == 0:
        raise ValueError("no circuits")
    return float(values.mean()) - z * cross_sigma(values, extra_variance=extra_variance)


def cross_threshold(num_circuits: int, *, z: float = Z_TWO_SIGMA) -> float:
    """The smallest mean HOP that passes the Cross test with ``num_circuits`` circuits.

    Solves ``h - z sqrt(h (1 - h) / N) = 2/3`` for the root above 2/3.

    >>> [round(cross_threshold(n), 4) for n in (100, 200, 500, 1000)]
    [0.7529, 0.7295, 0.7074, 0.6958]
    """
    if num_circuits < 1:
        raise ValueError(f"num_circuits must be >= 1, got {num_circuits}")
    k = z * z / num_circuits
    a = 1.0 + k
    b = -(2.0 * HOP_THRESHOLD + k)
    c = HOP_THRESHOLD * HOP_THRESHOLD
    return (-b + math.sqrt(b * b - 4.0 * a * c)) / (2.0 * a)


def pooled_hop(heavy_counts: ArrayLike, shots: ArrayLike) -> float:
    """Pooled heavy fraction: total heavy shots over total shots."""
    h = np.asarray(heavy_counts, dtype=float)
    s = np.asarray(shots, dtype=float)
    return float(h.sum() / s.sum())


#: below this many binomial draws the bootstrap runs both halves in the calling thread
_THREAD_DRAWS = 1 << 18


def bootstrap_distribution(
    *,
    heavy_counts: ArrayLike,
    shots: ArrayLike,
    resamples: int = 10_000,
    seed: int,
    chunk: int = 2_000,
) -> np.ndarray:
    """Bootstrap replicates of the pooled HOP (Baldwin et al.'s semi-parametric bootstrap).

    Each replicate resamples the circuits with replacement, then draws each chosen circuit's heavy
    count from ``Binomial(shots_i, heavy_i / shots_i)``. Circuits may have unequal shots.
    """
    h = np.asarray(heavy_counts, dtype=np.int64)
    s = np.asarray(shots, dtype=np.int64)
    p = hops(h, s)
    n = h.size
    if n == 0:
        raise ValueError("no circuits")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    out = np.empty(resamples, dtype=float)

    def fill(generator: np.random.Generator, first: int, last: int) -> None:
        for start in range(first, last, chunk):
            stop = min(start + chunk, last)
            idx = generator.integers(0, n, size=(stop - start, n))
            draws = generator.binomial(s[idx], p[idx])
            out[start:stop] = draws.sum(axis=1) / s[idx].sum(axis=1)

    # Two fixed random streams fill the two halves, the second in a thread: NumPy draws without
    # the GIL, so two cores share the work (1.8x here). The replicates depend on the seed alone,
    # never on how many cores ran them.
    first, second = rng(seed, STREAM_BOOTSTRAP).spawn(2)
    half = resamples // 2
    if resamples * n < _THREAD_DRAWS:  # too little work to pay for a thread: same replicates
        fill(first, 0, half)
        fill(second, half, resamples)
        return out
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bootstrap") as pool:
        other = pool.submit(fill, second, half, resamples)
        fill(first, 0, half)
        other.result()  # re-raises what the thread raised
    return out


def bootstrap_lower_bound(
    *,
    heavy_counts: ArrayLike,
    shots: ArrayLike,
    confidence: float = CONFIDENCE_TWO_SIGMA,
    resamples: int = 10_000,
    seed: int,
    extra_variance: float = 0.0,
) -> float:
    """Basic (reverse-percentile) bootstrap lower bound on the pooled HOP.

    ``2 * estimate - quantile(replicates, confidence)``: the bound Baldwin et al. recommend, with
    one-sided confidence 0.97725 by default (the 2σ level of the original test).
    ``extra_variance`` (a Monte-Carlo variance of the pooled HOP the resampling cannot see) adds
    a normal draw of that variance to every replicate, from its own stream.

    >>> lb = bootstrap_lower_bound(heavy_counts=[800] * 100, shots=[1000] * 100, seed=1)
    >>> 0.79 < lb < 0.8
    True
    """
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0.5, 1), got {confidence}")
    replicates = bootstrap_distribution(
        heavy_counts=heavy_counts, shots=shots, resamples=resamples, seed=seed
    )
    if extra_variance > 0.0:
        noise = rng(seed, STREAM_BOOTSTRAP, 1).standard_normal(replicates.size)
        replicates = replicates + math.sqrt(extra_variance) * noise
    estimate = pooled_hop(heavy_counts, shots)
    return 2.0 * estimate - float(np.quantile(replicates, confidence))


def estimate_cross_lower_bound(
    values: Sequence[float] | np.ndarray, *, z: float = Z_TWO_SIGMA
) -> float:
    """The Cross bound for per-circuit estimates that may leave [0, 1] (readout-mitigated HOPs).

    ``mean - z * max(sqrt(m (1 - m) / N), s / sqrt(N))``: the binomial standard error of Cross
    et al. (``m`` clipped to [0, 1]) unless the estimates' empirical spread ``s`` (``N - 1``) is
    larger — for values in [0, 1] the binomial one bounds it, for mitigated ones it may not. The
    bound is never looser than the raw arm's, so raw and optimized verdicts stay comparable.

    >>> round(estimate_cross_lower_bound([0.8] * 100), 4)
    0.72
    >>> round(estimate_cross_lower_bound([0.3, 1.3] * 50), 4)
    0.6995
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise ValueError("the bound needs at least two circuits")
    m = min(1.0, max(0.0, float(v.mean())))
    binomial = math.sqrt(m * (1.0 - m) / v.size)
    empirical = float(v.std(ddof=1)) / math.sqrt(v.size)
    return float(v.mean()) - z * max(binomial, empirical)


def estimate_bootstrap_lower_bound(
    *,
    values: ArrayLike,
    shot_sds: ArrayLike,
    shots: ArrayLike,
    confidence: float = CONFIDENCE_TWO_SIGMA,
    resamples: int = 10_000,
    seed: int,
    chunk: int = 2_000,
) -> float:
    """Basic bootstrap lower bound on the shot-weighted mean of per-circuit estimates.

    The analogue of :func:`bootstrap_lower_bound` for estimates that are means of a per-shot
    score other than the heavy indicator (readout-mitigated HOPs): circuits are resampled with
    replacement and each chosen circuit's estimate is redrawn from
    ``Normal(value_i, shot_sd_i**2 / shots_i)``, the shot-level score's spread standing in for
    the binomial draw of Baldwin et al.
    """
    v = np.asarray(values, dtype=float)
    sd = np.asarray(shot_sds, dtype=float)
    s = np.asarray(shots, dtype=float)
    if not v.shape == sd.shape == s.shape:
        raise ValueError("values, shot_sds and shots differ in shape")
    if v.size == 0:
        raise ValueError("no circuits")
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0.5, 1), got {confidence}")
    generator = rng(seed, STREAM_BOOTSTRAP)
    n = v.size
    se = sd / np.sqrt(s)
    replicates = np.empty(resamples, dtype=float)
    for start in range(0, resamples, chunk):
        stop = min(start + chunk, resamples)
        idx = generator.integers(0, n, size=(stop - start, n))
        draws = v[idx] + se[idx] * generator.standard_normal(idx.shape)
        replicates[start:stop] = (draws * s[idx]).sum(axis=1) / s[idx].sum(axis=1)
    estimate = float((v * s).sum() / s.sum())
    return 2.0 * estimate - float(np.quantile(replicates, confidence))


def passes(lower_bound: float) -> bool:
    """Whether a lower bound on the mean HOP clears 2/3."""
    return lower_bound > HOP_THRESHOLD


def quantum_volume(passed_widths: Sequence[int]) -> int:
    """``2**m`` for the largest passing width ``m``; 1 when none passed.

    >>> quantum_volume([2, 3, 5]), quantum_volume([])
    (32, 1)
    """
    return 2 ** max(passed_widths) if passed_widths else 1
