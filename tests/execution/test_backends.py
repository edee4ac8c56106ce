from __future__ import annotations

import pytest

from quantumlimits.errors import UsageError
from quantumlimits.execution import backends
from quantumlimits.execution.layout import best_layout, check_layout


def test_snapshots_are_listed_with_calibration() -> None:
    names = backends.snapshot_names()
    assert "fake_torino" in names and "fake_sherbrooke" in names and len(names) > 40
    summary = backends.summarize("fake_torino")
    assert summary.num_qubits == 133 and summary.two_qubit_gate == "cz"
    assert summary.calibration_date is not None and summary.calibration_date.startswith(
        "2025-02-26"
    )
    assert 0 < (summary.median_two_qubit_error or 0) < 0.05


def test_unknown_names_get_suggestions() -> None:
    with pytest.raises(UsageError, match="did you mean fake_torino"):
        backends.check_backend_name("fake_torin")
    with pytest.raises(UsageError, match="fake_torino"):
        backends.check_backend_name("torino")
    assert backends.check_backend_name("ibm_torino") == "ibm_torino"  # a cloud device
    with pytest.raises(UsageError, match="unknown backend"):
        backends.check_backend_name("ibm_")


def test_best_layout_is_connected_and_beats_the_default() -> None:
    target = backends.load_snapshot("fake_torino").target
    edges = backends.edge_errors(target)
    layout = best_layout(target, 5)
    qubits = set(layout.qubits)
    assert len(qubits) == 5
    # connected: growing from the first qubit over in-set couplers reaches all of them
    seen, frontier = {layout.qubits[0]}, [layout.qubits[0]]
    while frontier:
        q = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == q and y in qubits and y not in seen:
                    seen.add(y)
                    frontier.append(y)
    assert seen == qubits
    assert layout.score <= check_layout(target, (0, 1, 2, 3, 4)).score


def test_layout_errors_are_usage_errors() -> None:
    target = backends.load_snapshot("fake_torino").target
    with pytest.raises(UsageError, match="outside"):
        check_layout(target, (0, 500))
    with pytest.raises(UsageError, match="twice"):
        check_layout(target, (1, 1))
    with pytest.raises(UsageError, match="wider than"):
        best_layout(target, 200)


def test_disconnected_qubits_are_refused() -> None:
    target = backends.load_snapshot("fake_torino").target
    with pytest.raises(UsageError, match="not connected"):
        check_layout(target, (0, 60))
