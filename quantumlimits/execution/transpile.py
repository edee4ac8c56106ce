"""Transpilation to a device's instruction set (ISA) with Qiskit's preset pass managers."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager

from quantumlimits.execution.backends import TargetKey

#: Basis for the noiseless simulator: a common superconducting basis with all-to-all coupling.
NOISELESS_BASIS = ("cx", "rz", "sx", "x")


def transpile_circuits(
    circuits: Sequence[QuantumCircuit],
    *,
    target: Any | None,
    initial_layout: Sequence[int] | None,
    optimization_level: int,
    seed: int,
    approximate: bool = False,
) -> list[QuantumCircuit]:
    """ISA circuits for ``target`` (or for :data:`NOISELESS_BASIS` when ``target`` is None).

    With ``approximate`` on a device spec's target, synthesis approximates up to the spec's
    published gate errors (:func:`approximation_degree`; docs/devices.md). On a device spec's
    target with a memory error, each idle qubit of each layer of two-qubit gates gets an ``id``
    that carries it (:func:`quantumlimits.devices.target.insert_memory`).
    """
    key = TargetKey(target) if target is not None else None
    layout = tuple(initial_layout) if initial_layout is not None else None
    degree = approximation_degree(target, approximate=approximate)
    out = _pass_manager(key, layout, optimization_level, seed, degree).run(list(circuits))
    isa = list(out) if isinstance(out, list) else [out]
    if target is not None and hasattr(target, "spec"):
        from quantumlimits.devices.target import with_memory

        isa = with_memory(isa, target)
    return isa


def approximation_degree(target: Any | None, *, approximate: bool) -> float | None:
    """Qiskit's ``approximation_degree`` for transpiling onto ``target``.

    ``None`` (Qiskit: approximate up to the error rates of the target) when ``approximate`` is
    asked and ``target`` is a device spec's, whose errors are the published figures: at
    optimization levels 2 and 3, ``RemoveIdentityEquivalent`` then drops a gate whose average
    infidelity to the identity is below its published error, and the two-qubit peephole
    resynthesis weighs candidate decompositions by those errors. ``1.0`` (exact synthesis,
    Qiskit's default) otherwise: IBM snapshots and the noiseless basis always compile exactly.

    >>> approximation_degree(None, approximate=True)
    1.0
    """
    if approximate and target is not None and getattr(target, "spec", None) is not None:
        return None
    return 1.0


def two_qubit_count(circuit: QuantumCircuit) -> int:
    """Number of operations on two or more qubits (barriers excluded)."""
    return int(circuit.num_nonlocal_gates())


def circuit_depth(circuit: QuantumCircuit) -> int:
    """Depth of ``circuit``, barriers not counted (the DAG's depth, computed natively)."""
    from qiskit.converters import circuit_to_dag

    dag = circuit_to_dag(circuit, copy_operations=False)
    if dag.count_ops(recurse=False).get("barrier"):
        return int(circuit.depth())
    return int(dag.depth())


def active_qubits(circuit: QuantumCircuit) -> list[int]:
    """Indices of the qubits any non-barrier instruction touches, sorted."""
    used: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name == "barrier":
            continue
        for q in inst.qubits:
            used.add(circuit.find_bit(q).index)
    return sorted(used)


def embed(circuit: QuantumCircuit, qubits: Sequence[int], num_qubits: int) -> QuantumCircuit:
    """``circuit`` on local qubits placed on a ``num_qubits`` device: local ``i`` -> ``qubits[i]``.

    The inverse of :func:`compact`, for circuits transpiled on a sub-target of the device.
    """
    if len(qubits) < circuit.num_qubits:
        raise ValueError(f"{circuit.num_qubits} local qubits need as many physical qubits")
    out = QuantumCircuit(num_qubits, name=circuit.name)
    for register in circuit.cregs:
        out.add_register(register)
    out.metadata = dict(circuit.metadata or {})
    for inst in circuit.data:
        new_qubits = [out.qubits[qubits[circuit.find_bit(q).index]] for q in inst.qubits]
        out.append(inst.operation, new_qubits, list(inst.clbits), copy=False)
    return out


def compact(circuit: QuantumCircuit, qubits: Sequence[int]) -> QuantumCircuit:
    """``circuit`` restricted to the physical ``qubits`` (renumbered 0..k-1 in that order).

    Every instruction must act only on ``qubits``; barriers are narrowed to them. A simulator then
    sees k qubits instead of the device's full register.
    """
    position = {q: i for i, q in enumerate(qubits)}
    out = QuantumCircuit(len(qubits), circuit.num_clbits, name=circuit.name)
    out.metadata = dict(circuit.metadata or {})
    for inst in circuit.data:
        indices = [circuit.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "barrier":
            kept = [position[i] for i in indices if i in position]
            if kept:
                out.barrier(kept)
            continue
        try:
            new_qubits = [out.qubits[position[i]] for i in indices]
        except KeyError as exc:
            raise ValueError(f"instruction {inst.operation.name} acts outside {qubits}") from exc
        new_clbits = [out.clbits[circuit.find_bit(c).index] for c in inst.clbits]
        out.append(inst.operation, new_qubits, new_clbits, copy=False)
    return out


@functools.lru_cache(maxsize=64)
def _pass_manager(
    key: TargetKey | None,
    layout: tuple[int, ...] | None,
    optimization_level: int,
    seed: int,
    degree: float | None = 1.0,
) -> Any:
    """The preset pass manager for these settings, built once per target object (2 ms each; a
    width's chunks share it). Its runs keep no state: reused, it gives the same circuits."""
    with builtin_stage_plugins():
        if key is None:
            return generate_preset_pass_manager(
                optimization_level=optimization_level,
                basis_gates=list(NOISELESS_BASIS),
                seed_transpiler=seed,
            )
        return generate_preset_pass_manager(
            optimization_level=optimization_level,
            target=key.target,
            initial_layout=list(layout) if layout is not None else None,
            seed_transpiler=seed,
            approximation_degree=degree,
        )


#: The stage plugin groups of Qiskit's preset pass managers, by the manager attribute holding each.
_STAGE_GROUPS = {
    "init_plugins": "qiskit.transpiler.init",
    "layout_plugins": "qiskit.transpiler.layout",
    "routing_plugins": "qiskit.transpiler.routing",
    "translation_plugins": "qiskit.transpiler.translation",
    "optimization_plugins": "qiskit.transpiler.optimization",
    "scheduling_plugins": "qiskit.transpiler.scheduling",
}
_PLUGINS_LOCK = threading.Lock()


@functools.cache
def _builtin_stage_extensions(group: str) -> Any:
    """Qiskit's own plugins of one stage group, loaded once per process.

    Qiskit's preset pass managers build their stages through a plugin manager that imports
    every installed plugin of every stage, each time a pass manager is generated. The package
    only ever asks for Qiskit's built-in methods (``default`` and friends), and qiskit-ibm-runtime
    registers translation plugins whose import costs about a second (its whole client library).
    This keeps the built-in entry points (those Qiskit's own distribution declares), nothing else.
    """
    from importlib.metadata import distribution

    import stevedore
    from stevedore.extension import Extension

    extensions = []
    for point in distribution("qiskit").entry_points:
        if point.group != group:
            continue
        plugin = point.load()
        extensions.append(Extension(point.name, point, plugin, plugin()))
    return stevedore.ExtensionManager.make_test_instance(
        extensions, namespace=group, propagate_map_exceptions=True
    )


def _builtin_init(manager: Any) -> None:
    for attribute, group in _STAGE_GROUPS.items():
        setattr(manager, attribute, _builtin_stage_extensions(group))


@contextlib.contextmanager
def builtin_stage_plugins() -> Iterator[None]:
    """Within this block, Qiskit's preset pass managers see only Qiskit's own stage plugins.

    The pass managers generated are the ones Qiskit generates with its default methods (the
    stages come from the same plugin classes); only the discovery of third-party plugins, which
    this package never selects, is skipped. Falls back to Qiskit's own discovery if its plugin
    manager changes shape.
    """
    try:
        from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePluginManager
    except ImportError:  # pragma: no cover - a Qiskit without the plugin manager
        yield
        return
    with _PLUGINS_LOCK:
        original = PassManagerStagePluginManager.__init__
        PassManagerStagePluginManager.__init__ = _builtin_init
        try:
            yield
        finally:
            PassManagerStagePluginManager.__init__ = original
