from __future__ import annotations

import pytest
from qiskit.quantum_info import Operator

from quantumlimits.circuits import measured, qv_circuit, qv_circuits, to_standard_gates


def test_circuit_depends_on_seed_width_index_only() -> None:
    batch = qv_circuits(width=4, seed=9, count=5)
    assert qv_circuit(width=4, seed=9, index=3) == batch[3]
    assert qv_circuits(width=4, seed=9, count=2, start=3)[0] == batch[3]
    assert batch[0] != batch[1]
    assert qv_circuit(width=4, seed=10, index=3) != batch[3]


def test_square_and_rectangular_shapes() -> None:
    square = qv_circuit(width=5, seed=1, index=0)
    assert square.num_qubits == 5 and square.metadata["depth"] == 5
    # each layer pairs floor(w/2) qubits with one SU(4) block
    assert square.size() == 5 * (5 // 2)
    rect = qv_circuit(width=4, depth=7, seed=1, index=0)
    assert rect.num_qubits == 4 and rect.size() == 7 * 2
    assert rect.metadata == {"width": 4, "depth": 7, "seed": 1, "index": 0}


def test_standard_gate_form_is_the_same_unitary() -> None:
    c = qv_circuit(width=3, seed=4, index=2)
    assert Operator(to_standard_gates(c)).equiv(Operator(c))
    assert set(to_standard_gates(c).count_ops()) <= {"u", "cx"}


def test_measured_adds_one_bit_per_qubit() -> None:
    m = measured(qv_circuit(width=3, seed=1, index=0))
    assert m.num_clbits == 3 and m.count_ops()["measure"] == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 1, "seed": 0, "index": 0}, "width >= 2"),
        ({"width": 3, "seed": 0, "index": -1}, "index"),
        ({"width": 3, "seed": 0, "index": 0, "depth": 0}, "depth"),
        ({"width": 3, "seed": -1, "index": 0}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        qv_circuit(**kwargs)
