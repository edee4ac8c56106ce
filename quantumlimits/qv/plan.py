"""Planning a quantum volume run: how many circuits (and shots) pass a width with a given power.

Given the device's true mean heavy-output probability ``hop`` at a width, the planner finds the
number of circuits N with which the width passes with probability ``power``, for each shots
option, under the two lower bounds of :mod:`quantumlimits.qv.stats`.

**Data model.** Circuit i has a true HOP ``p_i``; its measured HOP is ``Binomial(S, p_i) / S``.
The ``p_i`` vary from circuit to circuit: under the global-depolarizing picture used by
:mod:`quantumlimits.qv.predict`, ``p_i = 1/2 + F (ideal_i - 1/2)`` with the same fidelity F for
every circuit, so the spread is ``sd(p) = F * sd(ideal HOP at the width)`` with
``F = (hop - 1/2) / (mean ideal HOP - 1/2)``; the ideal spread by width is in
:mod:`quantumlimits.qv.ideal` (0.096 at width 2 down to 0.006 at width 10). The ``p_i`` are drawn
from the Beta distribution with that mean and standard deviation. The variance of one measured
HOP is then ``v1 = sd(p)**2 + (hop (1 - hop) - sd(p)**2) / S``.

**Cross bound (analytic).** The test passes iff the sample mean exceeds
``t_N = cross_threshold(N)`` (the bound ``mean - 2 sqrt(mean (1 - mean) / N)`` is increasing in
the mean above 1/2). By the central limit theorem the sample mean is close to
``Normal(hop, v1 / N)``, so ``power(N) = Φ((hop - t_N) sqrt(N / v1))``. The binomial standard
error in the bound is much wider than the real one, which is why Cross needs many circuits; shots
barely matter.

**Bootstrap (simulated).** For each N, ``datasets`` data sets are drawn from the model above and
each gets Baldwin et al.'s bootstrap lower bound with ``resamples`` resamples; the power is the
fraction that passes. One shortcut keeps it fast: within a replicate, the resampled circuits'
binomial redraws are summed, and that sum of ``N * S`` Bernoulli trials is drawn from its normal
limit (mean and variance exact); the resampling of circuits stays exact. The test suite checks the
result against :func:`quantumlimits.qv.stats.bootstrap_lower_bound`. The smallest N reaching the
power is found by search: start at a normal-approximation guess, double or halve until the target
is bracketed, then bisect geometrically until the bracket is within 5 %; the answer is the
smallest simulated N whose simulated power reached the target (Monte Carlo error of a power near
0.9 with 300 data sets: about ±0.017).

**Sequential (simulated).** The betting rule of :mod:`quantumlimits.qv.sequential` run on the
same model data, batches of 10: the N by which it has passed with probability ``power``.

Every method is also subject to the protocol's minimum of 100 circuits for a conventional QV
claim: ``PlanRow.valid_circuits``.

>>> row = cross_plan(hop=0.72, width=5, power=0.9, shots=1000)
>>> row.circuits, row.valid_circuits
(308, 308)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from quantumlimits.errors import UsageError
from quantumlimits.qv.ideal import ideal_hop_mean, ideal_hop_sd
from quantumlimits.qv.sequential import SequentialTest, simulate_decisions
from quantumlimits.qv.stats import (
    CONFIDENCE_TWO_SIGMA,
    HOP_THRESHOLD,
    MIN_CIRCUITS,
    Z_TWO_SIGMA,
    cross_threshold,
)
from quantumlimits.seeding import rng

#: Seed stream of the planner's simulations (kept apart from seeding's STREAM_* tags).
STREAM_PLAN = 1001
#: The planner looks no further than this many circuits.
MAX_PLAN_CIRCUITS = 100_000
#: The bootstrap is not planned below this many circuits (the spread needs estimating).
MIN_PLAN_CIRCUITS = 10
#: The sequential rule is simulated up to this cap (memory: data sets x cap floats, chunked).
MAX_SEQUENTIAL_CIRCUITS = 8192
#: The methods a plan row can name.
METHODS = ("cross", "bootstrap", "sequential")
DEFAULT_SHOTS_OPTIONS = (100, 1000)
_CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class HopModel:
    """The per-circuit HOP model at one width: mean, circuit-to-circuit spread, fidelity F."""

    hop: float
    width: int
    spread: float
    fidelity: float

    def __post_init__(self) -> None:
        if not 0.0 < self.hop < 1.0:
            raise ValueError(f"hop must lie in (0, 1), got {self.hop}")
        if not 0.0 <= self.spread < math.sqrt(self.hop * (1.0 - self.hop)):
            raise ValueError(f"spread {self.spread} impossible for mean {self.hop}")

    def measured_variance(self, shots: int) -> float:
        """Variance of one circuit's measured HOP with ``shots`` shots."""
        s2 = self.spread**2
        return s2 + (self.hop * (1.0 - self.hop) - s2) / shots

    def draw_hops(self, generator: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        """True per-circuit HOPs: Beta with mean ``hop`` and standard deviation ``spread``."""
        if self.spread == 0.0:
            return np.full(size, self.hop)
        k = self.hop * (1.0 - self.hop) / self.spread**2 - 1.0
        return generator.beta(self.hop * k, (1.0 - self.hop) * k, size=size)


_NORMAL = statistics.NormalDist()
_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _normal_cdf(x: Any) -> np.ndarray:
    """The standard normal CDF, elementwise (scipy.special.ndtr's values, without importing
    scipy.special: about a quarter of a second of every ``qv`` start)."""
    return np.asarray(0.5 * _ERFC(-np.asarray(x, dtype=float) / math.sqrt(2.0)), dtype=float)


def hop_model(*, hop: float, width: int) -> HopModel:
    """The per-circuit model for a device with mean HOP ``hop`` at ``width`` (module docstring).

    >>> m = hop_model(hop=0.72, width=5)
    >>> round(m.fidelity, 4), round(m.spread, 4)
    (0.6171, 0.0235)
    """
    check_inputs(hop=hop, width=width, power=0.5)
    ideal = ideal_hop_mean(width)
    fidelity = (hop - 0.5) / (ideal - 0.5)
    if hop > ideal:
        raise UsageError(
            f"--hop {hop} is above the ideal (noiseless) mean HOP {ideal} of width {width}: "
            "no device reaches it; pass a smaller --hop"
        )
    return HopModel(
        hop=hop, width=width, spread=abs(fidelity) * ideal_hop_sd(width), fidelity=fidelity
    )


def check_inputs(*, hop: float, width: int, power: float) -> None:
    """Raise :class:`UsageError` naming the bad value and the fix."""
    if not (math.isfinite(hop) and 0.0 < hop < 1.0):
        raise UsageError(
            f"--hop must lie strictly between 0 and 1, got {hop}: pass e.g. --hop 0.72"
        )
    if not (math.isfinite(power) and 0.0 < power < 1.0):
        raise UsageError(
            f"--power must lie strictly between 0 and 1, got {power}: pass e.g. --power 0.9"
        )
    if width < 2:
        raise UsageError(f"--width must be >= 2 (quantum volume needs two qubits), got {width}")


def _check_shots(shots: int) -> None:
    if shots < 1:
        raise UsageError(f"shots must be >= 1, got {shots}: pass e.g. --shots-options 100 1000")


@dataclass(frozen=True)
class PlanRow:
    """Circuits needed by one method at one shots option (None: not reachable)."""

    method: str
    shots: int
    circuits: int | None
    valid_circuits: int | None
    total_shots: int | None
    power_at_circuits: float | None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")
        if self.shots < 1:
            raise ValueError(f"shots must be >= 1, got {self.shots}")
        if self.circuits is not None and self.circuits < 1:
            raise ValueError(f"circuits must be >= 1, got {self.circuits}")


@dataclass(frozen=True)
class PowerCurve:
    """Power against number of circuits for one method and shots option."""

    method: str
    shots: int
    circuits: tuple[int, ...]
    power: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.circuits) != len(self.power):
            raise ValueError("circuits and power differ in length")
        if any(not 0.0 <= p <= 1.0 for p in self.power):
            raise ValueError("power values must lie in [0, 1]")


@dataclass(frozen=True)
class Plan:
    """A full plan: the model used, one row per method and shots option, and power curves."""

    hop: float
    width: int
    power: float
    spread: float
    fidelity: float
    seed: int
    datasets: int
    resamples: int
    rows: tuple[PlanRow, ...]
    curves: tuple[PowerCurve, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``format`` names the layout and its version)."""
        out = asdict(self)
        out["curves"] = [
            {**c, "circuits": list(c["circuits"]), "power": list(c["power"])} for c in out["curves"]
        ]
        out["rows"] = list(out["rows"])
        return {"format": "quantumlimits.plan/1", **out}


def cross_power(*, model: HopModel, shots: int, circuits: np.ndarray | int) -> np.ndarray:
    """Normal-approximation power of the Cross test with ``circuits`` circuits.

    >>> m = hop_model(hop=0.75, width=5)
    >>> float(cross_power(model=m, shots=1000, circuits=100).round(3))  # threshold 0.7529
    0.164
    """
    n = np.asarray(circuits, dtype=float)
    thresholds = np.vectorize(cross_threshold, otypes=[float])(n.astype(int))
    return np.asarray(
        _normal_cdf((model.hop - thresholds) * np.sqrt(n / model.measured_variance(shots)))
    )


def cross_plan(*, hop: float, width: int, power: float, shots: int) -> PlanRow:
    """Smallest N with Cross-test power >= ``power`` (analytic, see the module docstring)."""
    check_inputs(hop=hop, width=width, power=power)
    _check_shots(shots)
    model = hop_model(hop=hop, width=width)
    return _cross_row(model=model, power=power, shots=shots)


def _cross_row(*, model: HopModel, power: float, shots: int) -> PlanRow:
    n = np.arange(1, MAX_PLAN_CIRCUITS + 1)
    k = Z_TWO_SIGMA**2 / n
    b = 2.0 * HOP_THRESHOLD + k
    thresholds = (b + np.sqrt(b * b - 4.0 * (1.0 + k) * HOP_THRESHOLD**2)) / (2.0 * (1.0 + k))
    z = (model.hop - thresholds) * np.sqrt(n / model.measured_variance(shots))
    # power Φ(z) >= power  <=>  z >= Φ⁻¹(power): no CDF over the hundred thousand candidates
    (ok,) = np.nonzero(z >= _NORMAL.inv_cdf(power))
    if ok.size == 0:
        return PlanRow("cross", shots, None, None, None, None)
    circuits = int(n[ok[0]])
    return PlanRow(
        "cross",
        shots,
        circuits,
        max(circuits, MIN_CIRCUITS),
        circuits * shots,
        _NORMAL.cdf(float(z[ok[0]])),
    )


def bootstrap_lower_bounds(
    *,
    heavy_counts: np.ndarray,
    shots: int,
    resamples: int,
    generator: np.random.Generator,
    confidence: float = CONFIDENCE_TWO_SIGMA,
) -> np.ndarray:
    """Baldwin bootstrap lower bounds for many data sets at once (rows of ``heavy_counts``).

    Circuits are resampled exactly; the sum of a replicate's binomial redraws is drawn from its
    normal limit (see the module docstring). Equal shots per circuit.
    """
    counts = np.asarray(heavy_counts, dtype=float)
    d, n = counts.shape
    p = counts / shots
    q = p * (1.0 - p)
    out = np.empty(d)
    rows = max(1, _CHUNK_ELEMENTS // (resamples * n))
    for start in range(0, d, rows):
        stop = min(d, start + rows)
        idx = generator.integers(0, n, size=(stop - start, resamples, n))
        pick = np.take_along_axis(p[start:stop, None, :], idx, axis=2)
        var = np.take_along_axis(q[start:stop, None, :], idx, axis=2).sum(axis=2) / shots
        z = generator.standard_normal(size=(stop - start, resamples))
        replicates = (pick.sum(axis=2) + np.sqrt(var) * z) / n
        estimate = p[start:stop].mean(axis=1)
        out[start:stop] = 2.0 * estimate - np.quantile(replicates, confidence, axis=1)
    return out


def bootstrap_power(
    *,
    model: HopModel,
    shots: int,
    circuits: int,
    datasets: int,
    resamples: int,
    seed: int,
) -> float:
    """Simulated probability that the bootstrap bound passes with ``circuits`` circuits."""
    generator = rng(seed, STREAM_PLAN, shots, circuits)
    hops_true = model.draw_hops(generator, (datasets, circuits))
    counts = generator.binomial(shots, hops_true)
    bounds = bootstrap_lower_bounds(
        heavy_counts=counts, shots=shots, resamples=resamples, generator=generator
    )
    return float(np.mean(bounds > HOP_THRESHOLD))


def _bootstrap_guess(model: HopModel, power: float, shots: int) -> float:
    """Normal-approximation N: mean - 2 sd_boot > 2/3 with probability ``power``."""
    q = model.hop * (1.0 - model.hop) - model.spread**2
    v_boot = model.spread**2 + 2.0 * q / shots  # resampled spread plus the binomial redraw
    gap = model.hop - HOP_THRESHOLD
    root = (
        Z_TWO_SIGMA * math.sqrt(v_boot)
        + _NORMAL.inv_cdf(power) * math.sqrt(model.measured_variance(shots))
    ) / gap
    return max(root, 0.0) ** 2


def _bootstrap_row(
    *, model: HopModel, power: float, shots: int, datasets: int, resamples: int, seed: int
) -> tuple[PlanRow, PowerCurve]:
    """Search N by simulation: bracket the target power, then bisect (geometrically) to 5 %."""
    points: dict[int, float] = {}

    def simulate(n: int) -> float:
        if n not in points:
            points[n] = bootstrap_power(
                model=model,
                shots=shots,
                circuits=n,
                datasets=datasets,
                resamples=resamples,
                seed=seed,
            )
        return points[n]

    guess = _bootstrap_guess(model, power, shots)
    circuits: int | None = None
    if model.hop > HOP_THRESHOLD and guess <= MAX_PLAN_CIRCUITS:
        hi = max(MIN_PLAN_CIRCUITS, math.ceil(guess))
        while simulate(hi) < power and hi < MAX_PLAN_CIRCUITS:
            hi = min(MAX_PLAN_CIRCUITS, 2 * hi)
        if points[hi] >= power:
            lo = hi
            while lo > MIN_PLAN_CIRCUITS:
                candidate = max(MIN_PLAN_CIRCUITS, lo // 2)
                if simulate(candidate) >= power:
                    hi = lo = candidate
                else:
                    lo = candidate
                    break
            # now power(lo) < target <= power(hi), or lo == hi == MIN_PLAN_CIRCUITS
            while hi - lo > max(1, 0.05 * lo):
                mid = min(hi - 1, max(lo + 1, round(math.sqrt(lo * hi))))
                if simulate(mid) >= power:
                    hi = mid
                else:
                    lo = mid
            circuits = hi
    # a few more points so that the curve spans the interesting range for the plot
    top = 4 * circuits if circuits is not None else MIN_CIRCUITS
    for n in np.unique(np.geomspace(MIN_PLAN_CIRCUITS, max(top, 40), 6).round().astype(int)):
        if max(points.values(), default=0.0) >= 0.999 and n > max(points):
            break  # the curve has flattened at 1: simulating further only costs time
        simulate(int(n))
    ns = sorted(points)
    curve = PowerCurve("bootstrap", shots, tuple(ns), tuple(points[n] for n in ns))
    if circuits is None:
        return PlanRow("bootstrap", shots, None, None, None, None), curve
    return (
        PlanRow(
            "bootstrap",
            shots,
            circuits,
            max(circuits, MIN_CIRCUITS),
            circuits * shots,
            points[circuits],
        ),
        curve,
    )


def sequential_pass_times(
    *, model: HopModel, shots: int, test: SequentialTest, datasets: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated sequential runs: per data set, whether it passed and the circuits it used."""
    generator = rng(seed, STREAM_PLAN, shots, test.max_circuits, 1)
    passed = np.empty(datasets, dtype=bool)
    used = np.empty(datasets, dtype=np.int64)
    rows = max(1, _CHUNK_ELEMENTS // (4 * test.max_circuits))
    for start in range(0, datasets, rows):
        stop = min(datasets, start + rows)
        hops_true = model.draw_hops(generator, (stop - start, test.max_circuits))
        x = generator.binomial(shots, hops_true) / shots
        decision, n = simulate_decisions(x, test=test)
        passed[start:stop] = decision == "pass"
        used[start:stop] = n
    return passed, used


def _sequential_row(
    *, model: HopModel, power: float, shots: int, datasets: int, seed: int, batch_size: int
) -> tuple[PlanRow, PowerCurve]:
    """Smallest N with P(sequential PASS within N circuits) >= ``power``, by simulation."""
    cap = 256
    while True:
        test = SequentialTest(batch_size=batch_size, min_circuits=batch_size, max_circuits=cap)
        passed = np.zeros(datasets, dtype=bool)
        used = np.full(datasets, cap)
        if model.hop > HOP_THRESHOLD:
            passed, used = sequential_pass_times(
                model=model, shots=shots, test=test, datasets=datasets, seed=seed
            )
        if passed.mean() >= power or cap >= MAX_SEQUENTIAL_CIRCUITS or model.hop <= HOP_THRESHOLD:
            break
        cap = min(MAX_SEQUENTIAL_CIRCUITS, 4 * cap)
    looks = np.unique(np.concatenate([used, [batch_size, cap]]))
    by_look = np.array([np.mean(passed & (used <= n)) for n in looks])
    curve = PowerCurve(
        "sequential", shots, tuple(int(n) for n in looks), tuple(map(float, by_look))
    )
    (ok,) = np.nonzero(by_look >= power)
    if ok.size == 0:
        return PlanRow("sequential", shots, None, None, None, None), curve
    circuits = int(looks[ok[0]])
    return (
        PlanRow(
            "sequential",
            shots,
            circuits,
            max(circuits, MIN_CIRCUITS),
            circuits * shots,
            float(by_look[ok[0]]),
        ),
        curve,
    )


def plan(
    *,
    hop: float,
    width: int = 5,
    power: float = 0.9,
    shots_options: Sequence[int] = DEFAULT_SHOTS_OPTIONS,
    datasets: int = 300,
    resamples: int = 500,
    seed: int = 0,
    sequential_batch: int = 10,
) -> Plan:
    """Circuits needed to pass ``width`` with probability ``power`` when the mean HOP is ``hop``.

    Per shots option: a Cross row (analytic), a bootstrap row (simulated with ``datasets`` data
    sets of ``resamples`` resamples each) and a sequential row (:mod:`quantumlimits.qv.sequential`
    with batches of ``sequential_batch``: the N by which it has passed with probability
    ``power``), all simulations seeded by ``seed``.
    """
    check_inputs(hop=hop, width=width, power=power)
    if not shots_options:
        raise UsageError("no shots options: pass e.g. --shots-options 100 1000")
    for s in shots_options:
        _check_shots(s)
    if datasets < 20:
        raise UsageError(f"datasets must be >= 20 for a usable power estimate, got {datasets}")
    if resamples < 100:
        raise UsageError(f"resamples must be >= 100 for a 97.7 % quantile, got {resamples}")
    if sequential_batch < 1:
        raise UsageError(f"sequential batch size must be >= 1, got {sequential_batch}")
    model = hop_model(hop=hop, width=width)
    rows: list[PlanRow] = []
    curves: list[PowerCurve] = []
    for shots in shots_options:
        cross = _cross_row(model=model, power=power, shots=shots)
        boot, boot_curve = _bootstrap_row(
            model=model, power=power, shots=shots, datasets=datasets, resamples=resamples, seed=seed
        )
        sequential, sequential_curve = _sequential_row(
            model=model,
            power=power,
            shots=shots,
            datasets=datasets,
            seed=seed,
            batch_size=sequential_batch,
        )
        rows += [cross, boot, sequential]
        top = max([MIN_CIRCUITS, *(r.circuits for r in (cross, boot, sequential) if r.circuits)])
        ns = np.unique(np.geomspace(MIN_PLAN_CIRCUITS, 2 * top, 120).round().astype(int))
        curves.append(
            PowerCurve(
                "cross",
                shots,
                tuple(int(n) for n in ns),
                tuple(float(v) for v in cross_power(model=model, shots=shots, circuits=ns)),
            )
        )
        curves += [boot_curve, sequential_curve]
    return Plan(
        hop=hop,
        width=width,
        power=power,
        spread=model.spread,
        fidelity=model.fidelity,
        seed=seed,
        datasets=datasets,
        resamples=resamples,
        rows=tuple(rows),
        curves=tuple(curves),
    )
