"""A stored QV run written back as a data set (``quantumlimits export``).

An imported run gives back its own circuits (the OpenQASM text as imported), names, heavy outputs,
metadata and readout-calibration counts, with each circuit's counts as ``{bitstring: count}`` in
the bit order it was imported with; importing that file again stores the same circuits, counts,
heavy sets and HOPs.
A run the package simulated gives its model circuits (rebuilt from the run's seed, written as
OpenQASM 3 with the SU(4) blocks as ``U`` and ``cx`` gates) and its counts in Qiskit's order.
"""

from __future__ import annotations

from typing import Any

from quantumlimits.dataset.files import Calibration, DataSet, Entry
from quantumlimits.dataset.importer import BACKEND_PREFIX, DATASET_PART
from quantumlimits.errors import UsageError
from quantumlimits.store import ResultsStore, StoredCircuit


def bitstring(outcome: int, *, width: int, bit_order: str) -> str:
    """An outcome integer (bit ``i`` = classical bit ``i``) as written in ``bit_order``.

    >>> bitstring(3, width=3, bit_order="little"), bitstring(3, width=3, bit_order="big")
    ('011', '110')
    """
    text = format(int(outcome), f"0{width}b")
    return text if bit_order == "little" else text[::-1]


def _counts(c: StoredCircuit, bit_order: str) -> dict[str, int]:
    pairs = {
        bitstring(int(o), width=c.width, bit_order=bit_order): int(n)
        for o, n in zip(c.outcomes, c.counts, strict=True)
    }
    return {k: pairs[k] for k in sorted(pairs)}


def exported(store: ResultsStore, run_id: str, *, bit_order: str | None = None) -> DataSet:
    """The data set of a stored QV run (module docstring)."""
    row = store.row(run_id)
    if row.kind != "qv":
        raise UsageError(
            f"run {row.run_id} is a {row.kind} run: export writes QV runs only "
            "('quantumlimits history --kind qv' lists them)"
        )
    if row.status != "complete":
        raise UsageError(f"run {row.run_id} is {row.status}: export a complete run")
    stored = {(c.width, c.depth, c.index): c for c in store.qv_circuits(row.run_id)}
    if not stored:
        raise UsageError(f"run {row.run_id} stored no circuits: nothing to export")
    part = store.parts(row.run_id).get(DATASET_PART)
    if part is not None:
        return _imported(part, stored, bit_order)
    return _simulated(store, row.run_id, stored, bit_order or "little")


def _imported(
    part: dict[str, Any], stored: dict[tuple[int, int, int], StoredCircuit], bit_order: str | None
) -> DataSet:
    metadata = {k: v for k, v in part["metadata"].items() if v is not None}
    order = bit_order or metadata.get("bit_order", "little")
    metadata["bit_order"] = order
    entries = []
    for c in part["circuits"]:
        s = stored[(c["width"], c["width"], c["index"])]
        heavy = c.get("heavy_outputs")
        if heavy is not None and order != part["metadata"]["bit_order"]:
            heavy = [h[::-1] if not h.startswith("0x") else h for h in heavy]
        entries.append(
            Entry(
                name=c["name"],
                qasm=c["qasm"],
                counts=_counts(s, order),
                heavy_outputs=None if heavy is None else tuple(heavy),
            )
        )
    return DataSet(
        entries=tuple(entries),
        metadata=metadata,
        calibration=_calibration(part.get("readout_calibration"), order),
    )


def _calibration(stored: dict[str, Any] | None, bit_order: str) -> Calibration | None:
    """The stored readout-calibration counts as bitstrings in ``bit_order``, sorted."""
    if stored is None:
        return None
    bits = int(stored["bits"])

    def counts(pairs: list[list[int]]) -> dict[str, int]:
        found = {bitstring(o, width=bits, bit_order=bit_order): int(n) for o, n in pairs}
        return {k: found[k] for k in sorted(found)}

    return Calibration(zeros=counts(stored["zeros"]), ones=counts(stored["ones"]))


def _simulated(
    store: ResultsStore,
    run_id: str,
    stored: dict[tuple[int, int, int], StoredCircuit],
    bit_order: str,
) -> DataSet:
    from qiskit import qasm3

    from quantumlimits.circuits import qv_circuit, to_standard_gates
    from quantumlimits.qv.results import QVResult

    result = QVResult.from_dict(store.document(run_id))
    if result.backend.startswith(BACKEND_PREFIX):
        raise UsageError(f"run {run_id} is an import without its data set: it cannot be exported")
    odd = sorted({(w, d) for (w, d, _) in stored if w != d})
    if odd:
        raise UsageError(
            f"run {run_id} has rectangular cells (width {odd[0][0]} depth {odd[0][1]}): the data "
            "set format holds square QV circuits only"
        )
    entries = []
    for (w, _, i), s in sorted(stored.items()):
        circuit = to_standard_gates(qv_circuit(width=w, seed=result.seed, index=i))
        entries.append(
            Entry(name=f"w{w}_i{i}", qasm=qasm3.dumps(circuit), counts=_counts(s, bit_order))
        )
    metadata = {
        "name": result.backend.replace(":", "_"),
        "source": f"quantumlimits run {run_id}",
        "device": result.backend,
        "bit_order": bit_order,
    }
    if result.calibration_date:
        metadata["date"] = result.calibration_date
    return DataSet(entries=tuple(entries), metadata=metadata)
