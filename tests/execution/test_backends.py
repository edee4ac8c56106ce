from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


@pytest.mark.parametrize(
    "name", ["fake_torino", "fake_sherbrooke", "fake_melbourne", "fake_kyoto", "fake_armonk"]
)
def test_summaries_from_files_equal_the_built_snapshots(name: str) -> None:
    """The listing reads the snapshot's JSON files; the figures are the built Target's."""
    built = backends.load_snapshot(name)
    edges = backends.edge_errors(built.target)
    readout = backends.readout_errors(built.target)
    expected = backends.BackendSummary(
        name=name,
        num_qubits=built.target.num_qubits,
        two_qubit_gate=backends.two_qubit_gate(built.target),
        median_two_qubit_error=float(np.median(list(edges.values()))) if edges else None,
        median_readout_error=float(np.median(readout)),
        calibration_date=backends.calibration_date(built),
    )
    assert backends.summarize(name) == expected


def test_the_summary_cache_is_rebuilt_when_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUANTUMLIMITS_CACHE_DIR", str(tmp_path / "cache"))
    first = backends.load_summaries()
    assert [s.name for s in first] == list(backends.snapshot_names())
    (cached,) = (tmp_path / "cache").iterdir()
    written = cached.read_text()
    assert backends.load_summaries() == first  # read back as written
    for damage in ("", "{not json", '{"format": 1}', written.replace('"fake_', '"x_')):
        cached.write_text(damage)
        assert backends.load_summaries() == first
        assert cached.read_text() == written  # rebuilt
    row = json.loads(written)
    row["summaries"][0]["num_qubits"] = "many"
    cached.write_text(json.dumps(row))
    assert backends.load_summaries() == first
    assert cached.read_text() == written


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("QUANTUMLIMITS_CACHE_DIR", str(blocker / "cache"))  # under a file
    assert len(backends.load_summaries()) == len(backends.snapshot_names())
    backends.snapshot_target.cache_clear()
    assert backends.snapshot_target("fake_manila").num_qubits == 5
    backends.snapshot_target.cache_clear()


def test_the_target_cache_gives_the_snapshots_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cold (built, then pickled), warm (unpickled) and damaged (rebuilt) caches give a Target
    with the snapshot's calibration: the same noise channels and the same transpiled circuits."""
    from qiskit import transpile

    from quantumlimits.execution.aer import sub_target
    from quantumlimits.execution.density import DeviceChannels
    from quantumlimits.qv.build import model_circuits

    monkeypatch.setenv("QUANTUMLIMITS_CACHE_DIR", str(tmp_path / "cache"))
    built = backends.load_snapshot("fake_sherbrooke").target
    qubits = (0, 1, 2)
    circuits = model_circuits(width=3, depth=3, seed=2, count=4)

    def fingerprint(target: object) -> tuple[object, ...]:
        channels = DeviceChannels.from_target(sub_target(target, qubits))
        isa = transpile(circuits, target=target, initial_layout=list(qubits), seed_transpiler=1)
        return (
            sorted((k, v.round(14).tobytes()) for k, v in channels.errors.items()),
            sorted(channels.readout.items(), key=lambda kv: kv[0]).__repr__(),
            [str(c) for c in isa],
        )

    expected = fingerprint(built)
    for state in ("cold", "warm", "damaged"):
        if state == "damaged":
            (pickled,) = (tmp_path / "cache" / "targets").iterdir()
            pickled.write_bytes(pickled.read_bytes()[:100])
        backends.snapshot_target.cache_clear()
        target = backends.snapshot_target("fake_sherbrooke")
        assert fingerprint(target) == expected, state
        assert (target is not built) == (state == "warm"), state  # else built and pickled
    backends.snapshot_target.cache_clear()
