from __future__ import annotations

from qiskit.transpiler import generate_preset_pass_manager

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.transpile import transpile_circuits


def test_reused_pass_manager_gives_the_circuits_of_a_fresh_one() -> None:
    target = load_snapshot("fake_torino").target
    local = sub_target(target, [0, 1, 2, 3])
    circuits = [measured(c) for c in qv_circuits(width=4, seed=2, count=20)]

    def ours(part: list) -> list:
        return transpile_circuits(
            part, target=local, initial_layout=range(4), optimization_level=1, seed=5
        )

    in_chunks = ours(circuits[:10]) + ours(circuits[10:]) + ours(circuits[:10])
    fresh = generate_preset_pass_manager(
        optimization_level=1, target=local, initial_layout=[0, 1, 2, 3], seed_transpiler=5
    ).run(circuits)
    assert in_chunks == fresh + fresh[:10]
