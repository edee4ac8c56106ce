"""Sequential quantum volume verdicts that stay valid when the data are looked at after every batch.

The fixed-sample test (a lower bound on the mean HOP over N circuits, compared with 2/3) is valid
once, at a sample size fixed in advance. Checking it again after every batch and stopping at the
first pass inflates the false-pass rate. This module instead keeps a *time-uniform confidence
sequence* for the mean per-circuit HOP: intervals ``[lower_t, upper_t]`` that contain the true mean
at every t simultaneously with probability >= 1 - 2 alpha, however and whenever one stops.

Method: the betting (capital-process) confidence sequence of Waudby-Smith & Ramdas (JRSS-B 86,
1-27, 2024; arXiv:2010.09686). For a candidate mean ``m`` a gambler starts with capital 1 and bets
``lambda_i >= 0`` on each new circuit's HOP ``x_i`` exceeding ``m``::

    K_t^+(m) = prod_{i<=t} (1 + lambda_i^+(m) (x_i - m)),
    K_t^-(m) = prod_{i<=t} (1 - lambda_i^-(m) (x_i - m)).

When the true mean is ``<= m`` and every bet is chosen from past data only, ``K^+(m)`` is a
non-negative supermartingale, and Ville's inequality gives ``P(sup_t K_t^+(m) >= 1/alpha) <=
alpha``. So ``m`` is rejected as a lower value (the width passes when m = 2/3 is rejected) at the
first t with ``K_t^+(m) >= 1/alpha``, with error <= alpha *uniformly over time*: stopping early,
continuing, or looking after every circuit are all allowed. The same holds for ``K^-`` and FAIL.

The bet ``lambda_i^+ = min(k_i, c / m)`` where ``k_i`` is the growth-rate-optimal (Kelly) bet
against the threshold 2/3 estimated from the circuits before ``i`` (the aGRAPA rule of the paper,
evaluated at the threshold, which is where a decision is made) and the truncation ``c / m`` with
``c = 3/4`` keeps every factor positive. Because ``k_i`` does not depend on ``m``, each factor
``1 + min(k, c/m)(x - m)`` decreases in ``m``, so the set of ``m`` not rejected is an interval
and its end points are found by bisection.

Error level: ``alpha = 1 - 0.97725`` for each side, the one-sided 2σ level of the original test.
PASS ⇔ ``lower > 2/3``; FAIL ⇔ ``upper < 2/3``. A run that reaches the circuit cap with 2/3
still inside the interval is INCONCLUSIVE (the width has not been shown to pass).

>>> test = SequentialTest(batch_size=10, max_circuits=200)
>>> v = sequential_verdict(hops_so_far=[0.85] * 40, test=test)
>>> v.decision, v.circuits_used
(<Decision.PASS: 'pass'>, 30)
>>> v.lower > 2 / 3
True
>>> sequential_verdict(hops_so_far=[0.7] * 10, test=test).decision
<Decision.CONTINUE: 'continue'>
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantumlimits.qv.stats import CONFIDENCE_TWO_SIGMA, HOP_THRESHOLD

#: Error level of each one-sided decision: 1 - Φ(2), the level of the fixed-sample 2σ test.
ALPHA_TWO_SIGMA = 1.0 - CONFIDENCE_TWO_SIGMA
#: Bets are truncated at ``TRUNCATION / m`` (Waudby-Smith & Ramdas use 1/2 or 3/4).
TRUNCATION = 0.75
_BISECTION_STEPS = 60


class Decision(str, enum.Enum):
    """What to do after a batch."""

    PASS = "pass"
    FAIL = "fail"
    CONTINUE = "continue"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class SequentialTest:
    """Configuration of a sequential QV verdict.

    ``batch_size`` circuits arrive per look; no verdict is given before ``min_circuits``, and the
    last look is at exactly ``max_circuits`` (INCONCLUSIVE if undecided there). ``alpha`` is the
    error level of each of PASS and FAIL; ``threshold`` the mean HOP to beat.
    """

    batch_size: int = 10
    max_circuits: int = 500
    min_circuits: int = 10
    alpha: float = ALPHA_TWO_SIGMA
    threshold: float = HOP_THRESHOLD
    truncation: float = TRUNCATION

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.min_circuits < 1:
            raise ValueError(f"min_circuits must be >= 1, got {self.min_circuits}")
        if self.max_circuits < self.min_circuits:
            raise ValueError(
                f"max_circuits ({self.max_circuits}) must be >= min_circuits ({self.min_circuits})"
            )
        if not 0.0 < self.alpha < 0.5:
            raise ValueError(f"alpha must lie in (0, 0.5), got {self.alpha}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {self.threshold}")
        if not 0.0 < self.truncation < 1.0:
            raise ValueError(f"truncation must lie in (0, 1), got {self.truncation}")

    @property
    def log_barrier(self) -> float:
        """``log(1 / alpha)``: the log-capital at which a candidate mean is rejected."""
        return math.log(1.0 / self.alpha)


@dataclass(frozen=True)
class Verdict:
    """The sequential verdict after the circuits seen so far.

    ``lower`` and ``upper`` are the running intersection of the confidence sequence: the mean HOP
    lies in ``[lower, upper]`` at every look simultaneously with probability >= 1 - 2 alpha. The
    bets aim at the threshold, so the bound on the side away from 2/3 stays loose (often 1.0 above
    a pass): they certify the decision, they are not an estimate. ``mean`` is the plain mean HOP
    of the circuits used (NaN before any look).
    """

    decision: Decision
    lower: float
    upper: float
    circuits_used: int
    mean: float = math.nan

    def __post_init__(self) -> None:
        if not 0.0 <= self.lower <= self.upper <= 1.0:
            raise ValueError(f"bounds must satisfy 0 <= lower <= upper <= 1, got {self}")
        if self.circuits_used < 0:
            raise ValueError(f"circuits_used must be >= 0, got {self.circuits_used}")

    @property
    def done(self) -> bool:
        """Whether to stop drawing circuits."""
        return self.decision is not Decision.CONTINUE

    @property
    def passed(self) -> bool:
        """Whether the width passed."""
        return self.decision is Decision.PASS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``mean`` is None before any look).

        >>> Verdict(Decision.PASS, 0.7, 1.0, 40, 0.8).to_dict()["decision"]
        'pass'
        """
        return {
            "decision": self.decision.value,
            "lower": self.lower,
            "upper": self.upper,
            "circuits_used": self.circuits_used,
            "mean": None if math.isnan(self.mean) else self.mean,
        }


def kelly_bets(hop_values: NDArray[np.floating], *, threshold: float) -> NDArray[np.floating]:
    """Predictable bets on the mean exceeding ``threshold`` (aGRAPA), one per circuit.

    Bet ``i`` uses circuits ``0..i-1`` only: the shrunk running mean and variance (one pseudo
    observation of mean 1/2 and variance 1/4) give ``max(0, d / (v + d**2))``, ``d = mean -
    threshold``, the bet that maximises the expected log growth of the capital. Works along the
    last axis, so many simulated experiments go at once.

    >>> kelly_bets(np.array([0.9, 0.9, 0.9]), threshold=2 / 3).round(3).tolist()
    [0.0, 0.201, 0.776]
    """
    x = np.asarray(hop_values, dtype=float)
    t = x.shape[-1]
    counts = np.arange(1, t + 1, dtype=float)  # pseudo observation + previous circuits
    prev_sum = np.concatenate([np.zeros((*x.shape[:-1], 1)), np.cumsum(x, axis=-1)[..., :-1]], -1)
    prev_sq = np.concatenate(
        [np.zeros((*x.shape[:-1], 1)), np.cumsum(x * x, axis=-1)[..., :-1]], -1
    )
    mean = (0.5 + prev_sum) / counts
    # variance of the pseudo-sample {1/2 with weight giving variance 1/4} ∪ previous circuits
    second = (0.25 + 0.25 + prev_sq) / counts
    var = np.maximum(second - mean * mean, 1e-4)
    d = mean - threshold
    return np.maximum(0.0, d / (var + d * d))


def _log_capital_paths(
    x: NDArray[np.floating], bets: NDArray[np.floating], m: float, c: float, *, up: bool
) -> NDArray[np.floating]:
    """Running log-capital against mean ``m`` (``up``: betting the mean is above ``m``)."""
    if up:
        lam = np.minimum(bets, c / m)
        steps = np.log1p(lam * (x - m))
    else:
        lam = np.minimum(bets, c / (1.0 - m))
        steps = np.log1p(-lam * (x - m))
    return np.cumsum(steps, axis=-1)


def _ever_rejects(
    x: NDArray[np.floating], bets: NDArray[np.floating], m: float, test: SequentialTest, *, up: bool
) -> bool:
    if (up and m <= 0.0) or (not up and m >= 1.0):
        return False
    path = _log_capital_paths(x, bets, m, test.truncation, up=up)
    return bool(path.size and path.max() >= test.log_barrier)


def _bound(
    x: NDArray[np.floating], bets: NDArray[np.floating], test: SequentialTest, *, up: bool
) -> float:
    """End point of the running-intersection confidence sequence, by bisection in ``m``.

    ``up``: the lower bound (largest m that some look rejected as too small); else the upper.
    Rejection is monotone in ``m`` (see the module docstring), so bisection is exact up to 2**-60.
    """
    if up:
        lo, hi = 0.0, 1.0  # invariant: lo rejected (or 0), hi not rejected
        if _ever_rejects(x, bets, hi, test, up=True):
            return 1.0
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            if _ever_rejects(x, bets, mid, test, up=True):
                lo = mid
            else:
                hi = mid
        return lo
    lo, hi = 0.0, 1.0  # invariant: hi rejected (or 1), lo not rejected
    if _ever_rejects(x, bets, lo, test, up=False):
        return 0.0
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if _ever_rejects(x, bets, mid, test, up=False):
            hi = mid
        else:
            lo = mid
    return hi


def _check_hops(hops_so_far: ArrayLike) -> NDArray[np.floating]:
    x = np.asarray(hops_so_far, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"hops_so_far must be 1-d, got shape {x.shape}")
    if x.size and (not np.all(np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0):
        raise ValueError("every per-circuit HOP must lie in [0, 1]")
    return x


def _looks(n: int, test: SequentialTest) -> list[int]:
    """Circuit counts at which a verdict is taken with ``n`` circuits seen.

    Every batch boundary from ``min_circuits`` on, and ``max_circuits`` itself once reached.

    >>> _looks(45, SequentialTest(batch_size=10, min_circuits=20, max_circuits=35))
    [20, 30, 35]
    """
    top = min(n, test.max_circuits)
    looks = [t for t in range(test.batch_size, top + 1, test.batch_size) if t >= test.min_circuits]
    if n >= test.max_circuits and (not looks or looks[-1] != test.max_circuits):
        looks.append(test.max_circuits)
    return looks


def sequential_verdict(*, hops_so_far: ArrayLike, test: SequentialTest) -> Verdict:
    """The verdict after the per-circuit HOPs seen so far, in the order they arrived.

    Call it after every batch with *all* HOPs so far (it is stateless and recomputes from the
    start). Decisions are taken at batch boundaries (every ``batch_size`` circuits, from
    ``min_circuits`` on); the verdict reports the first look at which PASS or FAIL was reached,
    so extra circuits past a decision never change it. The order matters: each bet may only use
    earlier circuits.
    """
    x = _check_hops(hops_so_far)
    looks = _looks(x.size, test)
    if not looks:
        return Verdict(Decision.CONTINUE, 0.0, 1.0, int(x.size))
    m0 = test.threshold
    bets = kelly_bets(x, threshold=m0)
    up_path = _log_capital_paths(x, bets, m0, test.truncation, up=True)
    down_path = _log_capital_paths(
        x, kelly_bets(1.0 - x, threshold=1.0 - m0), m0, test.truncation, up=False
    )
    for t in looks:
        # Ville's inequality covers every circuit time, so a crossing inside the batch counts.
        passed = up_path[:t].max() >= test.log_barrier
        failed = down_path[:t].max() >= test.log_barrier
        if passed or failed:
            return _verdict_at(x[:t], test, Decision.PASS if passed else Decision.FAIL)
    t = looks[-1]
    decision = Decision.INCONCLUSIVE if t >= test.max_circuits else Decision.CONTINUE
    return _verdict_at(x[:t], test, decision)


def _verdict_at(x: NDArray[np.floating], test: SequentialTest, decision: Decision) -> Verdict:
    up_bets = kelly_bets(x, threshold=test.threshold)
    down_bets = kelly_bets(1.0 - x, threshold=1.0 - test.threshold)
    lower = _bound(x, up_bets, test, up=True)
    upper = _bound(x, down_bets, test, up=False)
    # Both sides are valid at once only with probability 1 - 2 alpha; an empty interval means the
    # data contradict each other at that level, and the point where they cross is reported.
    if lower > upper:
        lower = upper = 0.5 * (lower + upper)
    return Verdict(decision, lower, upper, int(x.size), float(x.mean()))


def run_sequential(
    *, batches: Iterable[Sequence[float] | ArrayLike], test: SequentialTest
) -> Verdict:
    """Consume batches of per-circuit HOPs until a verdict is reached or the cap is hit.

    ``batches`` may be a lazy generator that runs circuits only when asked, so no circuit past the
    decision is executed.

    >>> test = SequentialTest(batch_size=10, max_circuits=100)
    >>> run_sequential(batches=([0.5] * 10 for _ in range(100)), test=test).decision
    <Decision.FAIL: 'fail'>
    """
    seen: list[float] = []
    verdict = Verdict(Decision.CONTINUE, 0.0, 1.0, 0)
    for batch in batches:
        seen.extend(float(v) for v in np.asarray(batch, dtype=float).ravel())
        if len(seen) > test.max_circuits:
            del seen[test.max_circuits :]
        verdict = sequential_verdict(hops_so_far=seen, test=test)
        if verdict.done:  # includes reaching max_circuits
            return verdict
    return verdict


def simulate_decisions(
    hop_values: NDArray[np.floating], *, test: SequentialTest
) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """Decisions and circuits used for many experiments at once (rows of ``hop_values``).

    The vectorised equivalent of :func:`sequential_verdict` over each row's first
    ``max_circuits`` circuits, for simulation studies and the planner. Returns the decision value
    (``"pass"``, ``"fail"`` or ``"inconclusive"``) and the circuits used, per row.
    """
    x = np.asarray(hop_values, dtype=float)[..., : test.max_circuits]
    if x.ndim != 2:
        raise ValueError(f"hop_values must be 2-d (experiments x circuits), got {x.shape}")
    m0 = test.threshold
    up = _log_capital_paths(x, kelly_bets(x, threshold=m0), m0, test.truncation, up=True)
    down = _log_capital_paths(
        x, kelly_bets(1.0 - x, threshold=1.0 - m0), m0, test.truncation, up=False
    )
    up_hit = np.maximum.accumulate(up, axis=-1) >= test.log_barrier
    down_hit = np.maximum.accumulate(down, axis=-1) >= test.log_barrier
    looks = np.array(_looks(x.shape[-1], test), dtype=np.int64)
    if looks.size == 0:
        raise ValueError("no look fits in the circuits given: pass more circuits")
    at_up = up_hit[:, looks - 1]
    at_down = down_hit[:, looks - 1]
    decided = at_up | at_down
    first = np.where(decided.any(axis=1), decided.argmax(axis=1), looks.size - 1)
    rows = np.arange(x.shape[0])
    used = looks[first]
    decision = np.full(x.shape[0], Decision.INCONCLUSIVE.value, dtype="<U12")
    decision[at_up[rows, first]] = Decision.PASS.value
    decision[at_down[rows, first] & ~at_up[rows, first]] = Decision.FAIL.value
    return decision, used
