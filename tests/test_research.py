"""Research access: stored runs come back as numpy arrays, identical to the run's result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantumlimits import load_qv_run
from quantumlimits.circuits import qv_circuit
from quantumlimits.execution.aer import ideal_probabilities
from quantumlimits.qv.heavy import heavy_mask
from quantumlimits.qv.protocol import run_qv
from quantumlimits.store import ResultsStore


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
def test_stored_run_loads_back_without_simulation(store_path: Path) -> None:
    with ResultsStore(store_path) as store:
        result = run_qv(backend="fake_torino", widths=[3], trials=6, shots=300, seed=9, store=store)
    run = load_qv_run(store_path, str(result.run_id)[:14])
    (width,) = result.widths
    assert run.result == result
    np.testing.assert_array_equal(run.heavy_counts(3), width.heavy_counts)
    np.testing.assert_allclose(run.hops(3), width.hops)
    np.testing.assert_allclose(run.ideal_hops(3), width.ideal_hops)
    # the stored heavy set is the one the ideal simulation gives
    (probabilities,) = ideal_probabilities([qv_circuit(width=3, seed=9, index=2)])
    np.testing.assert_array_equal(run.heavy_mask(3, 2), heavy_mask(probabilities))
    counts = run.counts(3, 2)
    assert counts.sum() == 300 and counts[run.heavy_mask(3, 2)].sum() == width.heavy_counts[2]
    with pytest.raises(KeyError, match="no width x depth 4x4"):
        run.hops(4)


def test_optimized_arm_as_arrays(tmp_path: Path) -> None:
    import warnings

    from quantumlimits.qv.optimize import Optimizations

    with ResultsStore(tmp_path / "r.sqlite") as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_qv(
            backend="fake_torino",
            widths=[2],
            trials=10,
            shots=200,
            seed=3,
            bootstrap_resamples=200,
            store=store,
            optimizations=Optimizations(readout=True, readout_shots=400),
        )
    run = load_qv_run(tmp_path / "r.sqlite", str(result.run_id))
    optimized = run.optimized_hops(2)
    assert optimized.shape == (10,)
    assert optimized.mean() == pytest.approx(result.widths[0].optimized["mean_hop"])
    assert not np.array_equal(optimized, run.hops(2))
    a = run.readout_assignment(2)
    assert a.shape == (2, 2, 2) and np.allclose(a.sum(axis=1), 1.0)
    cal = result.widths[0].optimized["readout_calibration"]
    assert a[0, 1, 0] == pytest.approx(cal["p1_given_0"][0])
    with pytest.raises(KeyError, match="no optimized arm"):
        run.optimized_hops(3)
