"""QV tasks travel to Dask workers pickled; their circuits go as QPY and come back equal."""

from __future__ import annotations

import pickle

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.transpile import transpile_circuits
from quantumlimits.qv import tasks
from quantumlimits.qv.build import job_key


def test_a_pickled_noisy_task_is_equal_and_gives_the_same_counts() -> None:
    target = load_snapshot("fake_torino").target
    qubits = best_layout(target, 3).qubits
    isa = transpile_circuits(
        [measured(c) for c in qv_circuits(width=3, depth=3, seed=2, count=4)],
        target=sub_target(target, qubits),
        initial_layout=range(3),
        optimization_level=1,
        seed=2,
    )
    (task,) = tasks.noisy_tasks(
        backend="fake_torino",
        circuits=isa,
        shots=100,
        seed=5,
        key=job_key(3, 3),
        physical_qubits=qubits,
    )
    payload = pickle.dumps(task)
    assert tasks.qpy_bytes(isa) in payload  # the circuits travel as QPY, not pickled objects
    back = pickle.loads(payload)
    assert back == task
    assert tasks.run_noisy_task(back).counts == tasks.run_noisy_task(task).counts


def test_transpile_tasks_and_their_circuits_travel_as_qpy() -> None:
    circuits = tuple(measured(c) for c in qv_circuits(width=3, depth=3, seed=4, count=3))
    layout = best_layout(load_snapshot("fake_torino").target, 3).qubits
    task = tasks.TranspileTask(
        circuits=circuits,
        backend="fake_torino",
        physical_qubits=tuple(layout),
        optimization_level=1,
        seed=9,
    )
    sent = pickle.dumps(task)
    assert tasks.qpy_bytes(circuits) in sent
    assert pickle.loads(sent) == task
    isa = tasks.run_transpile_task(pickle.loads(sent))
    returned = pickle.dumps(isa)
    assert tasks.qpy_bytes(isa) in returned
    assert list(pickle.loads(returned)) == list(isa) == list(tasks.run_transpile_task(task))
