from __future__ import annotations

import pytest
from qiskit.transpiler import generate_preset_pass_manager

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import sub_target
from quantumlimits.execution.backends import TargetKey, load_snapshot
from quantumlimits.execution.transpile import _pass_manager, transpile_circuits
from tests.probe import last_line


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


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_builtin_stage_plugins_give_the_pass_manager_qiskit_generates(level: int) -> None:
    """Skipping the discovery of third-party stage plugins changes no circuit, at every level,
    on a snapshot's target and on the noiseless basis."""
    target = sub_target(load_snapshot("fake_sherbrooke").target, [0, 1, 2, 3, 4])
    circuits = [measured(c) for c in qv_circuits(width=3, seed=4, count=6)]
    for key, layout, kwargs in (
        (TargetKey(target), (0, 2, 4), {"target": target, "initial_layout": [0, 2, 4]}),
        (None, None, {"basis_gates": ["cx", "rz", "sx", "x"]}),
    ):
        ours = _pass_manager(key, layout, level, 9).run(circuits)
        theirs = generate_preset_pass_manager(
            optimization_level=level, seed_transpiler=9, **kwargs
        ).run(circuits)
        assert ours == theirs


def test_transpiling_does_not_import_the_ibm_client_library() -> None:
    code = (
        "import sys\n"
        "from quantumlimits.circuits import measured, qv_circuits\n"
        "from quantumlimits.execution.transpile import transpile_circuits\n"
        "c = [measured(x) for x in qv_circuits(width=3, seed=1, count=2)]\n"
        "transpile_circuits(c, target=None, initial_layout=None, optimization_level=1, seed=1)\n"
        "print('qiskit_ibm_runtime' in sys.modules)\n"
    )
    assert last_line(code) == "False"
