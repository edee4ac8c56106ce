"""A cell's transpilation remembers its first circuits: the prediction, the layout candidates and
the measurement transpile the same circuits once, and get the circuits a fresh transpile gives."""

from __future__ import annotations

from quantumlimits.qv import build


def _fresh(placement: build.Placement, start: int, count: int) -> list:
    circuits = build.model_circuits(width=3, depth=3, seed=7, start=start, count=count)
    return build._transpile(circuits, placement, 3, 3, 7, 1, build.local_map)


def test_remembered_circuits_equal_fresh_ones_and_are_copies(monkeypatch) -> None:
    from quantumlimits.execution.backends import load_snapshot

    placement = build.Placement(
        device="fake_torino", target=load_snapshot("fake_torino").target, qubits=(0, 1, 2)
    )
    calls: list[int] = []
    real = build._transpile

    def counting(circuits, *args):
        calls.append(len(circuits))
        return real(circuits, *args)

    monkeypatch.setattr(build, "_transpile", counting)
    monkeypatch.setattr(build, "_memo", type(build._memo)())
    sample = build.isa_circuits(
        placement=placement, width=3, depth=3, seed=7, optimization_level=1, count=8
    )
    assert calls == [8]
    circuits = build.model_circuits(width=3, depth=3, seed=7, start=0, count=30)
    run = build.transpile(
        circuits, placement=placement, width=3, depth=3, seed=7, optimization_level=1, first=0
    )
    assert calls == [8, 22]  # the first 8 came from memory
    monkeypatch.setattr(build, "_transpile", real)
    assert run == _fresh(placement, 0, 30)
    assert sample == run[:8]
    run[0].x(0)  # the caller's circuits are its own
    again = build.isa_circuits(
        placement=placement, width=3, depth=3, seed=7, optimization_level=1, count=1
    )
    assert again == _fresh(placement, 0, 1)


def test_foreign_circuits_are_not_remembered(monkeypatch) -> None:
    placement = build.Placement(device="aer", target=None, qubits=(0, 1, 2))
    monkeypatch.setattr(build, "_memo", type(build._memo)())
    circuits = build.model_circuits(width=3, depth=3, seed=7, start=0, count=2)
    build.transpile(circuits, placement=placement, width=3, depth=3, seed=7, optimization_level=1)
    assert not build._memo
