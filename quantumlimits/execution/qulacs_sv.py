"""Ideal probabilities with qulacs' double-precision statevector (the CPU ideal stage's engine).

Every instruction with a matrix becomes one dense matrix gate on its qubits in Qiskit's order
(qulacs, like Qiskit, takes the first qubit of a gate as its least significant bit); barriers are
skipped. A circuit with anything else (measurements, resets, Aer save instructions, control
flow, unbound parameters, gates without a matrix) is not converted: :func:`probabilities` returns
None and the caller simulates it with Aer.

qulacs runs each gate with OpenMP threads (one thread below about 13 qubits). It fixes their
number when it first makes a state in a process: ``$QULACS_NUM_THREADS`` if set, else OpenMP's
default (``$OMP_NUM_THREADS``, which Dask workers set to 1, else one per core); later changes are
ignored. So an explicit :func:`~quantumlimits.execution.aer.set_aer_threads` budget is handed to
qulacs before that first state, and once the budget has changed qulacs declines (Aer, which
takes the budget per call, runs the circuit).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.circuit.exceptions import CircuitError

#: Aer thread budget (``aer.AER_THREADS``) in effect when qulacs first ran here, None before.
_THREADS_AT_FIRST_USE: int | None = None


def qulacs_circuit(circuit: QuantumCircuit) -> Any | None:
    """``circuit`` as a qulacs circuit of dense matrix gates, or None if some instruction has none.

    >>> from qiskit import QuantumCircuit
    >>> c = QuantumCircuit(2)
    >>> _ = c.h(0), c.barrier(), c.cx(0, 1)
    >>> qulacs_circuit(c).get_gate_count()
    2
    >>> _ = c.measure_all()
    >>> qulacs_circuit(c) is None
    True
    """
    import qulacs

    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    out = qulacs.QuantumCircuit(circuit.num_qubits)
    for instruction in circuit.data:
        op = instruction.operation
        if op.name == "barrier":
            continue
        if instruction.clbits or not isinstance(op, Gate) or op.is_parameterized():
            return None
        try:
            matrix = op.to_matrix()
        except CircuitError:  # a gate known only by its definition
            return None
        out.add_dense_matrix_gate([index[q] for q in instruction.qubits], matrix)
    return out


def _claim_threads(budget: int) -> bool:
    """Whether qulacs runs on the thread budget ``budget`` (0: OpenMP's default) in this process.

    The first call fixes qulacs' threads: ``QULACS_NUM_THREADS`` is set to an explicit budget
    (unless the environment already sets it) only while a one-qubit state is made, which is when
    qulacs reads it; child processes do not inherit it.
    """
    global _THREADS_AT_FIRST_USE
    if _THREADS_AT_FIRST_USE is None:
        import qulacs

        saved = os.environ.get("QULACS_NUM_THREADS")
        if budget and saved is None:
            os.environ["QULACS_NUM_THREADS"] = str(budget)
        try:
            qulacs.QuantumState(1)
        finally:
            if saved is None:
                os.environ.pop("QULACS_NUM_THREADS", None)
        _THREADS_AT_FIRST_USE = budget
    return budget == _THREADS_AT_FIRST_USE


def probabilities(circuit: QuantumCircuit, *, threads: int = 0) -> np.ndarray | None:
    """float64 outcome probabilities of ``circuit`` from |0...0>, or None when qulacs cannot run it.

    ``threads`` is the Aer thread budget (``aer.AER_THREADS``, 0 for the default). Peak memory
    is two complex128 vectors (qulacs' state and the copy ``get_vector`` returns), then one
    complex128 and one float64 vector: 32 bytes per amplitude.
    """
    gates = qulacs_circuit(circuit)
    if gates is None or not _claim_threads(threads):
        return None
    import qulacs

    state = qulacs.QuantumState(circuit.num_qubits)
    gates.update_quantum_state(state)
    amplitudes = state.get_vector()
    del state
    parts = amplitudes.view(np.float64)  # re, im, re, im, ...
    np.square(parts, out=parts)
    return np.add(parts[0::2], parts[1::2])
