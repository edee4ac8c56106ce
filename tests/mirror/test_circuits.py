"""Mirror circuit builders: the known bitstring is the ideal output, and seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from quantumlimits.circuits import qv_circuit
from quantumlimits.execution.stabilizer import run_stabilizer
from quantumlimits.mirror.circuits import VARIANTS, mirror_circuit, mirror_circuits, qv_pairs


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("width", "depth"), [(2, 2), (3, 3), (4, 1), (5, 5), (6, 3)])
def test_ideal_output_is_the_target_with_probability_one(
    variant: str, width: int, depth: int
) -> None:
    for index in range(3):
        m = mirror_circuit(width=width, depth=depth, seed=11, index=index, variant=variant)
        probabilities = Statevector(m.circuit).probabilities()
        assert probabilities[m.target] == pytest.approx(1.0, abs=1e-9)


def test_wide_clifford_mirror_returns_its_target_on_the_stabilizer_method() -> None:
    from quantumlimits.circuits import measured

    m = mirror_circuit(width=60, depth=4, seed=2, index=0, variant="clifford")
    run = run_stabilizer([measured(m.circuit)], target=None, shots=20, seed=1)
    assert run.counts[0] == {m.target: 20}


def test_targets_are_random_bitstrings() -> None:
    # The Pauli frames make the ideal output uniformly random, not |0...0>.
    targets = {m.target for m in mirror_circuits(width=6, seed=3, count=20, variant="su4")}
    assert len(targets) > 10


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_seed_same_circuit_other_seed_other_circuit(variant: str) -> None:
    a = mirror_circuit(width=4, seed=5, index=2, variant=variant)
    b = mirror_circuit(width=4, seed=5, index=2, variant=variant)
    c = mirror_circuit(width=4, seed=6, index=2, variant=variant)
    assert a.circuit == b.circuit and a.target == b.target
    assert a.circuit != c.circuit
    # A circuit does not depend on how many others were drawn before it.
    assert mirror_circuits(width=4, seed=5, count=3, variant=variant)[2].circuit == a.circuit


def test_su4_forward_half_is_the_qv_model_circuit() -> None:
    m = mirror_circuit(width=4, seed=9, index=1, variant="su4")
    qv = qv_circuit(width=4, seed=9, index=1)
    forward = [inst for inst in m.circuit.data[: len(qv.data)]]
    for mine, theirs in zip(forward, qv.data, strict=True):
        assert np.allclose(mine.operation.to_matrix(), theirs.operation.to_matrix())


def test_clifford_variant_uses_the_qv_pairings_and_is_clifford() -> None:
    from qiskit.quantum_info import Clifford

    m = mirror_circuit(width=5, depth=3, seed=4, index=0, variant="clifford")
    Clifford(m.circuit.remove_final_measurements(inplace=False))  # raises when not Clifford
    assert [len(layer) for layer in qv_pairs(width=5, depth=3, seed=4, index=0)] == [2, 2, 2]


def test_metadata_and_bad_arguments() -> None:
    m = mirror_circuit(width=3, seed=1, index=0)
    assert m.circuit.metadata["target"] == m.target_bits
    assert m.depth == 3 and m.variant == "su4"
    with pytest.raises(ValueError, match="width >= 2"):
        mirror_circuit(width=1, seed=1, index=0)
    with pytest.raises(ValueError, match="variant"):
        mirror_circuit(width=3, seed=1, index=0, variant="t-gates")
