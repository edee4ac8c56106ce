"""Sequential verdicts: validity under repeated looks and early decisions, by seeded simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from quantumlimits.qv.sequential import (
    ALPHA_TWO_SIGMA,
    Decision,
    SequentialTest,
    Verdict,
    kelly_bets,
    run_sequential,
    sequential_verdict,
    simulate_decisions,
)
from quantumlimits.qv.stats import HOP_THRESHOLD, cross_lower_bound
from quantumlimits.seeding import rng

SHOTS = 100


def synthetic_hops(
    *, mean: float, sd: float, experiments: int, circuits: int, seed: int
) -> np.ndarray:
    """Per-circuit measured HOPs: Beta(mean, sd) ideal-ish HOPs, then Binomial(shots) / shots."""
    g = rng(seed, 99)
    k = mean * (1.0 - mean) / sd**2 - 1.0
    p = g.beta(mean * k, (1.0 - mean) * k, size=(experiments, circuits))
    return g.binomial(SHOTS, p) / SHOTS


def test_alpha_is_the_two_sigma_level():
    assert pytest.approx(0.02275, abs=1e-5) == ALPHA_TWO_SIGMA


@pytest.mark.parametrize("sd", [0.05, 0.1])
def test_false_pass_rate_at_threshold_is_at_most_alpha(sd):
    experiments = 3000
    test = SequentialTest(batch_size=10, max_circuits=300)
    x = synthetic_hops(mean=HOP_THRESHOLD, sd=sd, experiments=experiments, circuits=300, seed=1)
    decisions, _ = simulate_decisions(x, test=test)
    passes = int((decisions == "pass").sum())
    fails = int((decisions == "fail").sum())
    # If the true rate were alpha, exceeding this count would happen with probability < 1e-4.
    limit = sps.binom.ppf(1 - 1e-4, experiments, ALPHA_TWO_SIGMA)
    assert passes <= limit
    assert fails <= limit


def test_naive_recheck_of_a_fixed_sample_bound_does_inflate_false_passes():
    # The simulation can detect a procedure that is not valid under optional stopping: a normal
    # bound with the sample sd, re-checked after every batch of 10, passes far above alpha.
    experiments = 2000
    x = synthetic_hops(mean=HOP_THRESHOLD, sd=0.07, experiments=experiments, circuits=300, seed=2)
    looks = np.arange(10, 301, 10)
    n = looks.astype(float)
    csum = np.cumsum(x, axis=1)[:, looks - 1]
    csq = np.cumsum(x * x, axis=1)[:, looks - 1]
    mean = csum / n
    sd = np.sqrt((csq - n * mean**2) / (n - 1))
    ever = ((mean - 2.0 * sd / np.sqrt(n)) > HOP_THRESHOLD).any(axis=1)
    limit = sps.binom.ppf(1 - 1e-4, experiments, ALPHA_TWO_SIGMA)
    assert ever.sum() > limit


def test_decides_with_far_fewer_circuits_than_the_fixed_design_at_hop_075():
    test = SequentialTest(batch_size=10, max_circuits=300)
    x = synthetic_hops(mean=0.75, sd=0.07, experiments=1000, circuits=300, seed=3)
    decisions, used = simulate_decisions(x, test=test)
    assert (decisions == "pass").mean() > 0.99
    assert np.median(used) <= 70  # the fixed design uses 100 (or 200) circuits
    assert np.percentile(used, 90) <= 100
    # The fixed 100-circuit Cross test at the same HOP passes only about half the time.
    fixed = np.array([cross_lower_bound(row[:100]) > HOP_THRESHOLD for row in x])
    assert 0.2 < fixed.mean() < 0.8


def test_fails_early_when_clearly_below():
    test = SequentialTest(batch_size=10, max_circuits=300)
    x = synthetic_hops(mean=0.6, sd=0.07, experiments=500, circuits=300, seed=4)
    decisions, used = simulate_decisions(x, test=test)
    assert (decisions == "fail").mean() > 0.99
    assert np.median(used) <= 60


def test_vectorised_simulation_matches_the_verdict_function():
    test = SequentialTest(batch_size=10, max_circuits=120, min_circuits=20)
    x = synthetic_hops(mean=0.7, sd=0.08, experiments=25, circuits=120, seed=5)
    decisions, used = simulate_decisions(x, test=test)
    for row, d, u in zip(x, decisions, used, strict=True):
        v = sequential_verdict(hops_so_far=row, test=test)
        assert (v.decision.value, v.circuits_used) == (d, u)


def test_bounds_agree_with_the_decision():
    test = SequentialTest(batch_size=10, max_circuits=200)
    x = synthetic_hops(mean=0.75, sd=0.07, experiments=10, circuits=200, seed=6)
    for row in x:
        v = sequential_verdict(hops_so_far=row, test=test)
        assert v.decision is Decision.PASS
        assert HOP_THRESHOLD <= v.lower <= v.mean <= v.upper
    low = sequential_verdict(hops_so_far=np.full(60, 0.5), test=test)
    assert low.decision is Decision.FAIL and low.upper < HOP_THRESHOLD


def test_exact_numbers_for_constant_data():
    test = SequentialTest(batch_size=10, max_circuits=200)
    v = sequential_verdict(hops_so_far=[0.85] * 40, test=test)
    assert (v.decision, v.circuits_used, v.mean) == (Decision.PASS, 30, pytest.approx(0.85))
    # Reproduce the log-capital at 2/3 after 30 circuits by hand.
    x = np.full(30, 0.85)
    lam = np.minimum(kelly_bets(x, threshold=2 / 3), 0.75 / (2 / 3))
    log_k = np.log1p(lam * (x - 2 / 3)).cumsum()
    assert log_k[19] < math.log(1 / ALPHA_TWO_SIGMA) <= log_k[29]


def test_continue_before_min_and_between_looks():
    test = SequentialTest(batch_size=10, max_circuits=100, min_circuits=20)
    assert sequential_verdict(hops_so_far=[1.0] * 19, test=test).decision is Decision.CONTINUE
    assert sequential_verdict(hops_so_far=[], test=test).decision is Decision.CONTINUE


def test_cap_gives_inconclusive():
    test = SequentialTest(batch_size=10, max_circuits=50)
    x = synthetic_hops(mean=HOP_THRESHOLD, sd=0.05, experiments=1, circuits=50, seed=7)[0]
    v = sequential_verdict(hops_so_far=x, test=test)
    assert v.decision is Decision.INCONCLUSIVE and v.circuits_used == 50
    assert v.lower < HOP_THRESHOLD < v.upper and not v.passed and v.done


def test_run_sequential_stops_pulling_batches_after_a_decision():
    pulled = []

    def batches():
        for i in range(100):
            pulled.append(i)
            yield [0.9] * 10

    v = run_sequential(batches=batches(), test=SequentialTest(batch_size=10, max_circuits=500))
    assert v.passed and len(pulled) == v.circuits_used // 10


def test_run_sequential_truncates_at_the_cap():
    v = run_sequential(
        batches=([0.67] * 7 for _ in range(50)), test=SequentialTest(batch_size=7, max_circuits=30)
    )
    assert v.decision is Decision.INCONCLUSIVE and v.circuits_used == 30


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 0},
        {"min_circuits": 0},
        {"max_circuits": 5, "min_circuits": 10},
        {"alpha": 0.0},
        {"alpha": 0.6},
        {"threshold": 1.0},
        {"truncation": 1.0},
    ],
)
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        SequentialTest(**kwargs)


def test_bad_hops_and_bad_verdicts_raise():
    test = SequentialTest()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sequential_verdict(hops_so_far=[0.5, 1.2], test=test)
    with pytest.raises(ValueError):
        Verdict(Decision.PASS, 0.8, 0.7, 10)


@pytest.mark.parametrize(
    ("name", "mean"),
    [("bernoulli", HOP_THRESHOLD), ("bernoulli", 0.65), ("two-point", HOP_THRESHOLD)],
)
def test_false_pass_rate_on_adversarial_data(name, mean):
    # Validity needs only bounded values and the mean: the widest-variance data ({0, 1}) and a
    # lopsided two-point law must not pass more often than alpha either.
    experiments = 3000
    g = rng(8, 1)
    if name == "bernoulli":
        x = (g.random((experiments, 300)) < mean).astype(float)
    else:  # 0.95 with probability q, 0.2 otherwise, mean = 2/3
        q = (mean - 0.2) / 0.75
        x = np.where(g.random((experiments, 300)) < q, 0.95, 0.2)
    decisions, _ = simulate_decisions(x, test=SequentialTest(batch_size=5, max_circuits=300))
    limit = sps.binom.ppf(1 - 1e-4, experiments, ALPHA_TWO_SIGMA)
    assert (decisions == "pass").sum() <= limit


def test_verdict_to_dict():
    v = sequential_verdict(hops_so_far=[0.85] * 40, test=SequentialTest())
    doc = v.to_dict()
    assert doc["decision"] == "pass" and doc["circuits_used"] == 30
    assert sequential_verdict(hops_so_far=[], test=SequentialTest()).to_dict()["mean"] is None


@pytest.mark.parametrize("ratio", [0.21, 5.0])
def test_monte_carlo_error_inside_the_observed_hops_keeps_the_false_pass_rate(ratio):
    # The trajectory engine draws each circuit's shots from a Monte-Carlo estimate of its noisy
    # distribution: unbiased, in [0, 1], its heavy probability's variance about `ratio` times
    # the shot variance h (1 - h) / shots (0.21 is what its stopping rule allows; 5 is far
    # beyond). Modelled here as the mean of T Bernoulli(h) trajectories, T = shots / ratio. The
    # betting test assumes no binomial model, only observations in [0, 1] with the mean HOP as
    # conditional mean, so it stays valid at 2/3 with the Monte-Carlo error in the data.
    experiments, circuits, sd = 3000, 300, 0.07
    g = rng(7, 99)
    k = HOP_THRESHOLD * (1.0 - HOP_THRESHOLD) / sd**2 - 1.0
    h = g.beta(HOP_THRESHOLD * k, (1.0 - HOP_THRESHOLD) * k, size=(experiments, circuits))
    trajectories = max(1, round(SHOTS / ratio))
    estimate = g.binomial(trajectories, h) / trajectories
    x = g.binomial(SHOTS, estimate) / SHOTS
    decisions, _ = simulate_decisions(x, test=SequentialTest(batch_size=10, max_circuits=300))
    limit = sps.binom.ppf(1 - 1e-4, experiments, ALPHA_TWO_SIGMA)
    assert int((decisions == "pass").sum()) <= limit
    assert int((decisions == "fail").sum()) <= limit
