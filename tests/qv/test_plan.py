"""The planner: analytic Cross power, simulated bootstrap power, and the ``plan`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from quantumlimits.errors import UsageError
from quantumlimits.qv.plan import (
    HopModel,
    bootstrap_lower_bounds,
    bootstrap_power,
    cross_plan,
    cross_power,
    hop_model,
    plan,
)
from quantumlimits.qv.sequential import SequentialTest, simulate_decisions
from quantumlimits.qv.stats import (
    HOP_THRESHOLD,
    bootstrap_lower_bound,
    cross_lower_bound,
    cross_threshold,
)
from quantumlimits.seeding import rng


def test_model_spread_follows_the_width_and_the_fidelity():
    m = hop_model(hop=0.72, width=5)
    assert m.fidelity == pytest.approx((0.72 - 0.5) / (0.8565 - 0.5))
    assert m.spread == pytest.approx(m.fidelity * 0.0380)
    assert hop_model(hop=0.72, width=2).spread > hop_model(hop=0.72, width=8).spread
    assert m.measured_variance(100) == pytest.approx(
        m.spread**2 + (0.72 * 0.28 - m.spread**2) / 100
    )


def test_cross_at_half_power_needs_exactly_the_threshold_circuits():
    # At power 1/2 the normal approximation passes iff hop >= threshold(N).
    for n in (100, 200, 500):
        row = cross_plan(hop=cross_threshold(n) + 1e-12, width=5, power=0.5, shots=100)
        assert row.circuits == n


def test_cross_exact_number_and_minimality():
    row = cross_plan(hop=0.72, width=5, power=0.9, shots=1000)
    assert row.circuits == 308
    model = hop_model(hop=0.72, width=5)
    before, at = cross_power(model=model, shots=1000, circuits=np.array([307, 308]))
    assert before < 0.9 <= at
    assert row.total_shots == 308_000 and row.valid_circuits == 308


def test_cross_power_matches_a_simulation_of_the_cross_test():
    model = hop_model(hop=0.75, width=3)
    n, shots, datasets = 127, 100, 2000
    g = rng(5, 1)
    counts = g.binomial(shots, model.draw_hops(g, (datasets, n)))
    passed = np.array([cross_lower_bound(row / shots) > HOP_THRESHOLD for row in counts])
    expected = float(cross_power(model=model, shots=shots, circuits=n))
    tolerance = 4 * np.sqrt(expected * (1 - expected) / datasets) + 0.02  # MC + normal approx
    assert abs(passed.mean() - expected) < tolerance


def test_fast_bootstrap_matches_the_reference_bootstrap():
    model = hop_model(hop=0.7, width=3)
    g = rng(6, 2)
    counts = g.binomial(200, model.draw_hops(g, (4, 60)))
    fast = bootstrap_lower_bounds(heavy_counts=counts, shots=200, resamples=4000, generator=g)
    for row, value in zip(counts, fast, strict=True):
        reference = bootstrap_lower_bound(heavy_counts=row, shots=[200] * row.size, seed=3)
        assert value == pytest.approx(reference, abs=0.004)


def test_bootstrap_plan_reaches_the_power_with_far_fewer_circuits_than_cross():
    p = plan(hop=0.72, width=5, power=0.9, shots_options=[100], datasets=200, resamples=300)
    cross, boot, sequential = p.rows
    assert (cross.method, boot.method, sequential.method) == ("cross", "bootstrap", "sequential")
    # the sequential rule needs more than the bootstrap's fixed N here, far fewer than Cross
    assert boot.circuits < sequential.circuits < cross.circuits
    assert cross.circuits == 329
    assert boot.circuits is not None and 10 <= boot.circuits <= 40
    assert boot.power_at_circuits >= 0.9 and boot.valid_circuits == 100
    # An independent simulation (other seed) at the planned N reaches the power, up to MC error.
    model = hop_model(hop=0.72, width=5)
    check = bootstrap_power(
        model=model, shots=100, circuits=boot.circuits, datasets=400, resamples=300, seed=99
    )
    assert check >= 0.9 - 3 * np.sqrt(0.09 / 400)
    # ... and clearly fewer circuits fall short.
    short = bootstrap_power(
        model=model,
        shots=100,
        circuits=max(3, boot.circuits // 3),
        datasets=400,
        resamples=300,
        seed=98,
    )
    assert short < 0.9


def test_unreachable_below_the_threshold():
    p = plan(hop=0.66, width=4, shots_options=[100], datasets=20, resamples=100)
    assert all(r.circuits is None for r in p.rows)
    boot_curve = next(c for c in p.curves if c.method == "bootstrap")
    assert max(boot_curve.power) < 0.1


def test_same_seed_same_plan_and_json_round_trip():
    kwargs = {
        "hop": 0.75,
        "width": 4,
        "shots_options": [100, 400],
        "datasets": 40,
        "resamples": 200,
    }
    a, b = plan(**kwargs, seed=3), plan(**kwargs, seed=3)
    assert a == b
    doc = json.loads(json.dumps(a.to_dict()))
    assert doc["format"] == "quantumlimits.plan/1" and len(doc["rows"]) == 6


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hop": 1.2}, "--hop"),
        ({"hop": 0.0}, "--hop"),
        ({"hop": 0.72, "power": 1.0}, "--power"),
        ({"hop": 0.72, "width": 1}, "--width"),
        ({"hop": 0.8, "width": 2}, "ideal"),
        ({"hop": 0.72, "shots_options": [0]}, "shots"),
    ],
)
def test_bad_input_is_a_usage_error(kwargs, match):
    with pytest.raises(UsageError, match=match):
        plan(**kwargs)


def test_model_validates():
    with pytest.raises(ValueError):
        HopModel(hop=0.7, width=3, spread=0.6, fidelity=0.5)


def test_cli_plan_writes_json_and_figure(cli_main, tmp_path, capsys):
    argv = ["plan", "--hop", "0.75", "--width", "4", "--shots-options", "100", "1000"]
    argv += ["--datasets", "40", "--resamples", "200", "--out", str(tmp_path), "--json"]
    assert cli_main(argv) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["hop"] == 0.75 and doc["width"] == 4
    assert [(r["method"], r["shots"]) for r in doc["rows"]] == [
        (method, shots) for shots in (100, 1000) for method in ("cross", "bootstrap", "sequential")
    ]
    assert "QV plan" in err  # the table goes to stderr with --json
    assert json.loads((tmp_path / "plan.json").read_text()) == doc
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_plan_table_on_stdout(cli_main, capsys):
    argv = ["plan", "--hop", "0.8", "--width", "3", "--datasets", "20", "--resamples", "100"]
    assert cli_main(argv) == 0
    out, err = capsys.readouterr()
    assert "cross" in out and "bootstrap" in out and err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--hop", "1.5"],
        ["plan", "--hop", "-0.1"],
        ["plan", "--hop", "0.72", "--power", "0"],
        ["plan", "--hop", "0.72", "--power", "1.2"],
        ["plan", "--hop", "0.72", "--width", "1"],
    ],
)
def test_cli_bad_input_one_line_exit_2(cli_main, capsys, argv):
    assert cli_main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("quantumlimits: error: --")


def test_sequential_row_matches_a_direct_simulation():
    p = plan(hop=0.75, width=3, shots_options=[200], datasets=200, resamples=100, seed=4)
    row = next(r for r in p.rows if r.method == "sequential")
    curve = next(c for c in p.curves if c.method == "sequential")
    assert row.circuits is not None and row.power_at_circuits >= 0.9
    # the curve is P(passed within N): non-decreasing, and the row is its first crossing
    assert all(a <= b for a, b in zip(curve.power[:-1], curve.power[1:], strict=True))
    first = next(n for n, v in zip(curve.circuits, curve.power, strict=True) if v >= 0.9)
    assert row.circuits == first
    # an independent simulation of the sequential test itself agrees within Monte Carlo error
    model = hop_model(hop=0.75, width=3)
    test = SequentialTest(batch_size=10, min_circuits=10, max_circuits=row.circuits)
    g = rng(77, 1)
    x = g.binomial(200, model.draw_hops(g, (400, row.circuits))) / 200
    decisions, _ = simulate_decisions(x, test=test)
    assert (decisions == "pass").mean() >= 0.9 - 3 * np.sqrt(0.09 / 400)
