"""A device spec as a Qiskit ``Target`` and backend: what transpilation and the engines read.

Every figure goes where the engines already look for an IBM snapshot's calibration, so the same
code paths serve both:

* gate errors as ``InstructionProperties.error`` (average gate infidelity): Aer's
  ``NoiseModel.from_backend``, the fused density engine and the stim runner turn each into the
  depolarizing channel with that average infidelity (Pauli-error probability ``3/2·r`` for one
  qubit, ``5/4·r`` for two); ``rz`` is a frame update without error;
* readout as the ``measure`` error (the mean of the two flips) with the asymmetric flips as
  ``prob_meas1_prep0`` / ``prob_meas0_prep1``, which Aer's readout errors and the stim runner
  read;
* memory error as the error of an ``id`` instruction, which :func:`insert_memory` places on
  every idle qubit of every layer of two-qubit gates after transpilation (its duration, when the
  spec gives durations, is the two-qubit gate's: one layer);
* durations, when the spec gives them, as instruction durations (seconds).

No qubit has T1/T2 (``QubitProperties()``): a spec's published errors already include what
decoherence costs during a gate, and idling is the memory error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import (
    CXGate,
    CZGate,
    ECRGate,
    IGate,
    Measure,
    RGate,
    RZGate,
    RZZGate,
    SXGate,
    XGate,
)
from qiskit.providers import BackendV2, Options, QubitProperties
from qiskit.transpiler import InstructionProperties, Target

from quantumlimits.devices.spec import DeviceSpec


class SpecTarget(Target):
    """A ``Target`` built from a :class:`DeviceSpec`; ``spec`` is that spec.

    :func:`quantumlimits.execution.aer.sub_target` keeps the class and the spec, so the
    restricted targets of a layout know their device too.
    """

    spec: DeviceSpec

    def __getstate__(self) -> dict[str, Any]:
        # Target's state leaves out attributes of subclasses: carry the spec (QPY, Dask, copies)
        return {**super().__getstate__(), "_quantumlimits_spec": self.spec}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        spec = state.pop("_quantumlimits_spec", None)
        super().__setstate__(state)
        if spec is not None:
            self.spec = spec


def _gate(name: str) -> Any:
    if name == "rz":
        return RZGate(Parameter("λ"))
    if name == "r":
        return RGate(Parameter("θ"), Parameter("φ"))
    if name == "rzz":
        return RZZGate(Parameter("θ"))
    return {"sx": SXGate, "x": XGate, "cz": CZGate, "cx": CXGate, "ecr": ECRGate}[name]()


def build_target(spec: DeviceSpec) -> SpecTarget:
    """The ``Target`` of ``spec`` (see the module docstring for where each figure goes).

    Figures the spec lists as missing are left unset (``error=None``); commands that simulate
    noise check :meth:`DeviceSpec.require_noise` first and refuse.
    """
    n = spec.qubits
    target = SpecTarget(
        description=f"{spec.machine} ({spec.label})",
        num_qubits=n,
        qubit_properties=[QubitProperties() for _ in range(n)],
    )
    target.spec = spec
    one = spec.errors.get("single_qubit")
    one_time = spec.durations.get("single_qubit")
    for name in spec.single_qubit_gates:
        virtual = name == "rz"
        props = {
            (q,): InstructionProperties(
                error=0.0 if virtual else (one.value if one else None),
                duration=0.0 if virtual else (one_time.value if one_time else None),
            )
            for q in range(n)
        }
        target.add_instruction(_gate(name), props)
    two = spec.errors.get("two_qubit")
    two_time = spec.durations.get("two_qubit")
    target.add_instruction(
        _gate(spec.two_qubit_gate),
        {
            pair: InstructionProperties(
                error=two.value if two else None, duration=two_time.value if two_time else None
            )
            for pair in spec.coupled_pairs()
        },
    )
    memory = spec.errors.get("memory")
    # an id stands for one layer of two-qubit gates spent idle: it lasts as long as one
    target.add_instruction(
        IGate(),
        {
            (q,): InstructionProperties(
                error=memory.value if memory else None,
                duration=two_time.value if two_time else None,
            )
            for q in range(n)
        },
    )
    p01, p10 = spec.errors.get("readout_0to1"), spec.errors.get("readout_1to0")
    measure_time = spec.durations.get("measure")
    measure: dict[tuple[int, ...] | None, InstructionProperties | None] = {}
    for q in range(n):
        props = InstructionProperties(
            error=0.5 * (p01.value + p10.value) if p01 and p10 else None,
            duration=measure_time.value if measure_time else None,
        )
        if p01 and p10:
            props.prob_meas1_prep0 = p01.value
            props.prob_meas0_prep1 = p10.value
        measure[(q,)] = props
    target.add_instruction(Measure(), measure)
    return target


def spec_of(target: Any) -> DeviceSpec | None:
    """The spec a target was built from, or None (an IBM snapshot, say)."""
    spec = getattr(target, "spec", None)
    return spec if isinstance(spec, DeviceSpec) else None


class SpecBackend(BackendV2):
    """A backend that holds a spec's target: it transpiles and describes, it does not run.

    Circuits for it run on the local engines (Aer, the fused density matrix, stim) with the
    noise its target carries, like an IBM snapshot's.
    """

    def __init__(self, spec: DeviceSpec) -> None:
        super().__init__(name=spec.label, description=spec.machine, backend_version=spec.date)
        self.spec = spec
        self._target = build_target(spec)

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self) -> None:
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1000)

    def run(self, run_input: Any, **options: Any) -> Any:
        raise NotImplementedError(
            f"{self.name} is a device spec: its circuits run on the local engines"
        )

    @property
    def default_rep_delay(self) -> float | None:
        """Seconds each shot adds besides its circuit (the spec's ``durations.shot_overhead``),
        None when the spec does not give it."""
        figure = self.spec.durations.get("shot_overhead")
        return figure.value if figure else None

    def properties(self) -> None:
        """No IBM calibration properties (the spec's date is :attr:`spec`.date)."""
        return None


def insert_memory(circuit: QuantumCircuit, *, layer_gate: str | None = None) -> QuantumCircuit:
    """``circuit`` with an ``id`` on each idle qubit of each layer of two-qubit gates.

    Layers are the as-soon-as-possible layers of the two-qubit gates (one-qubit gates take no
    layer of their own). A qubit the circuit touches is idle in a layer when no two-qubit gate of
    that layer acts on it, from the first layer to the last, including layers before its first
    two-qubit gate and after its last; the ``id`` goes in time order, before the qubit's next
    two-qubit gate or its measurement. ``layer_gate`` limits layers to one gate name (all
    multi-qubit gates by default). Barriers are kept and ignored.
    """
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    level = [0] * circuit.num_qubits
    placed: list[int] = []  # the layer of each instruction (-1: not a two-qubit gate)
    busy: list[set[int]] = []
    touched: set[int] = set()
    for inst in circuit.data:
        qs = [index[q] for q in inst.qubits]
        if inst.operation.name == "barrier":
            placed.append(-1)
            continue
        touched.update(qs)
        if len(qs) == 2 and (layer_gate is None or inst.operation.name == layer_gate):
            layer = max(level[qs[0]], level[qs[1]])
            level[qs[0]] = level[qs[1]] = layer + 1
            while len(busy) <= layer:
                busy.append(set())
            busy[layer].update(qs)
            placed.append(layer)
        else:
            placed.append(-1)
    if not busy:
        return circuit
    idle = {q: [k for k in range(len(busy)) if q not in busy[k]] for q in sorted(touched)}
    pending = {q: 0 for q in idle}  # how many of q's idle layers are placed
    out = circuit.copy_empty_like()

    def flush(q: int, below: int) -> None:
        layers = idle[q]
        while pending[q] < len(layers) and layers[pending[q]] < below:
            out.id(q)
            pending[q] += 1

    for inst, layer in zip(circuit.data, placed, strict=True):
        qs = [index[q] for q in inst.qubits]
        if layer >= 0:
            for q in qs:
                flush(q, layer)
        elif inst.operation.name == "measure":
            flush(qs[0], len(busy))
        out.append(inst)
    for q in idle:
        flush(q, len(busy))
    return out


def with_memory(circuits: Sequence[QuantumCircuit], target: Any) -> list[QuantumCircuit]:
    """Circuits with :func:`insert_memory` applied when ``target`` is a spec's with a memory
    error; otherwise the same circuits."""
    spec = spec_of(target)
    if spec is None or not spec.errors.get("memory") or not spec.errors["memory"].value:
        return list(circuits)
    return [insert_memory(c, layer_gate=spec.two_qubit_gate) for c in circuits]
