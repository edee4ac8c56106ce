"""A published quantum volume experiment becomes a stored QV run (``quantumlimits import``).

:func:`analyse` does every check and every computation before anything is recorded, so bad data
stop with one :class:`~quantumlimits.errors.UsageError` and nothing in the store:

1. each circuit is parsed (OpenQASM 2 or 3); its measurements say which qubit each classical bit
   reads (without measurements, bit ``i`` reads qubit ``i``); the width is the number of bits;
2. its ideal output distribution over those bits comes from the unmeasured circuit (qulacs, as
   for simulated runs); the heavy set is the outcomes above the median (:mod:`~.qv.heavy`);
3. the counts' bitstrings must have the width's length; they are read in the declared bit order
   (``little``: the rightmost character is bit 0, Qiskit's; ``big``: the leftmost is);
4. the heavy counts under both orders are compared (:class:`BitOrderCheck`) and, where the data
   set ships heavy outputs, they are compared with the computed heavy sets
   (:class:`HeavyDisagreement`);
5. each width's statistics come from :func:`quantumlimits.qv.analysis.analyse_width`, with the
   sequential test of :mod:`quantumlimits.qv.sequential` over the circuits in data-set order.

:func:`record` then stores the run like a simulated one (kind ``qv``, backend ``imported:NAME``),
so ``show --reanalyse``, ``history``, ``report`` and ``export`` work on it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from quantumlimits import provenance
from quantumlimits.dataset.files import BIT_ORDERS, Calibration, DataSet, Entry
from quantumlimits.errors import UsageError
from quantumlimits.qv import analysis, stats
from quantumlimits.qv.heavy import heavy_mask, ideal_hop, pack_mask
from quantumlimits.qv.optimize import Optimizations, ReadoutCalibration
from quantumlimits.qv.results import QVResult, WidthResult
from quantumlimits.qv.sequential import SequentialTest, sequential_verdict
from quantumlimits.seeding import derive_seed
from quantumlimits.store import ResultsStore, StoredCircuit, recording

#: Backend names of imported runs start with this.
BACKEND_PREFIX = "imported:"
#: The undeclared bit order is "far more plausible" when its mean HOP exceeds the declared one's
#: by this much and by this many standard errors of the paired difference.
BIT_ORDER_MARGIN = 0.05
BIT_ORDER_Z = 3.0
#: Circuits per look of the sequential test over an imported width (as in adaptive runs).
SEQUENTIAL_BATCH = 10
#: Widest circuit whose ideal distribution an import computes (2^30 amplitudes: 16 GiB).
MAX_WIDTH = 30
#: The run part holding the data set itself (names, OpenQASM, heavy outputs, metadata).
DATASET_PART = "dataset"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class ImportOptions:
    """What ``quantumlimits import`` is asked to do (validated here, messages name the flag)."""

    name: str
    bit_order: str = "little"
    source: str | None = None
    device: str | None = None
    date: str | None = None
    seed: int = 0
    method: str = "cross"
    bootstrap_resamples: int = 10_000
    #: Whose verdicts set the QV when readout calibration is shipped: "raw" or "optimized"
    #: (the mitigated arm); None: optimized, but raw under --method sequential.
    verdict_from: str | None = None

    def __post_init__(self) -> None:
        if self.verdict_from not in (None, "raw", "optimized"):
            raise UsageError(f"--verdict-from must be raw or optimized, got {self.verdict_from!r}")
        if self.verdict_from == "optimized" and self.method == "sequential":
            raise UsageError(
                "--method sequential decides from raw HOPs only: add --verdict-from raw or "
                "use --method cross or bootstrap"
            )
        if not _NAME.match(self.name or ""):
            raise UsageError(
                f"--name {self.name!r} must be letters, digits, '.', '_' or '-': "
                "pass a short name such as ibmq_montreal_2020"
            )
        if self.bit_order not in BIT_ORDERS:
            raise UsageError(f"--bit-order must be little or big, got {self.bit_order!r}")
        if self.method not in (*stats.METHODS, "sequential"):
            raise UsageError(
                f"--method must be cross, bootstrap or sequential, got {self.method!r}"
            )
        if self.seed < 0:
            raise UsageError(f"--seed must be a non-negative integer, got {self.seed}")
        if self.bootstrap_resamples < 100:
            raise UsageError(
                f"--bootstrap-resamples must be at least 100, got {self.bootstrap_resamples}"
            )

    @property
    def backend(self) -> str:
        """``imported:NAME``."""
        return BACKEND_PREFIX + self.name

    def verdict_source(self, calibrated: bool) -> str:
        """Whose verdicts set the QV: the mitigated arm only when there is one."""
        if not calibrated:
            return "raw"
        if self.verdict_from is not None:
            return self.verdict_from
        return "raw" if self.method == "sequential" else "optimized"

    def metadata(self) -> dict[str, Any]:
        """The data set's description as the run records it."""
        return {
            "name": self.name,
            "source": self.source,
            "device": self.device,
            "date": self.date,
            "bit_order": self.bit_order,
        }


# -- circuits ---------------------------------------------------------------------------------

# Quantinuum's hqslib1 gates, so its published OpenQASM 2 reads without its include file.
_HQS_INCLUDE = re.compile(r'^\s*include\s+"hqslib1(_dev)?\.inc"\s*;\s*$', re.MULTILINE)


def _qasm2_instructions() -> tuple[Any, ...]:
    from qiskit import qasm2
    from qiskit.circuit.library import RGate, RZGate, RZZGate

    hqs = (
        qasm2.CustomInstruction("hqs_u1q", 2, 1, RGate, builtin=True),
        qasm2.CustomInstruction("hqs_rz", 1, 1, RZGate, builtin=True),
        qasm2.CustomInstruction("hqs_rzz", 1, 2, RZZGate, builtin=True),
        qasm2.CustomInstruction("hqs_zz", 0, 2, lambda: RZZGate(math.pi / 2), builtin=True),
    )
    return (*qasm2.LEGACY_CUSTOM_INSTRUCTIONS, *hqs)


# OpenQASM 2 identifiers may not start with a capital letter: hqslib1's names are renamed.
_HQS_GATES = re.compile(r"^(\s*)(U1q|Rz|RZZ|ZZ)\b", re.MULTILINE)


def _hqs_text(text: str) -> str:
    """``text`` without its hqslib1 include and with hqslib1's gates under parseable names."""
    if not _HQS_INCLUDE.search(text):
        return text
    renamed = _HQS_GATES.sub(lambda m: m.group(1) + "hqs_" + m.group(2).lower(), text)
    return _HQS_INCLUDE.sub("", renamed)


def parse_circuit(entry: Entry) -> QuantumCircuit:
    """The circuit of ``entry`` (OpenQASM 3 when its header says so, else OpenQASM 2 with the
    legacy ``u``/``u3``... gates and Quantinuum's hqslib1 gates known)."""
    text = entry.qasm
    try:
        if re.search(r"^\s*OPENQASM\s+3", text, re.MULTILINE):
            from qiskit import qasm3

            return qasm3.loads(text)
        from qiskit import qasm2

        return qasm2.loads(
            _hqs_text(text),
            custom_instructions=_qasm2_instructions(),
            strict=False,
        )
    except Exception as exc:  # the parsers raise many types; every one means "unparsable"
        detail = " ".join(str(exc).split())[:200]
        raise UsageError(
            f"circuit {entry.name!r} is not OpenQASM 2 or 3 this package can parse ({detail}); "
            "fix or re-export the circuit"
        ) from None


@dataclass(frozen=True)
class Readout:
    """How a circuit's outcomes read its qubits: ``qubits[i]`` is the qubit bit ``i`` measures."""

    circuit: QuantumCircuit  # the unitary part (measurements and barriers removed)
    qubits: tuple[int, ...]

    @property
    def width(self) -> int:
        """Bits per outcome."""
        return len(self.qubits)


def readout(circuit: QuantumCircuit, name: str) -> Readout:
    """Split ``circuit`` into its unitary part and the qubit each classical bit measures.

    Measurements must come last on their qubits; every classical bit must be measured once.
    """
    qindex = {q: i for i, q in enumerate(circuit.qubits)}
    cindex = {c: i for i, c in enumerate(circuit.clbits)}
    unitary = QuantumCircuit(circuit.num_qubits)
    measured: dict[int, int] = {}
    done: set[int] = set()
    for instruction in circuit.data:
        op = instruction.operation
        qubits = [qindex[q] for q in instruction.qubits]
        if op.name == "barrier":
            continue
        if op.name == "measure":
            clbit = cindex[instruction.clbits[0]]
            if clbit in measured:
                raise UsageError(
                    f"circuit {name!r} measures into bit {clbit} twice: a QV circuit measures "
                    "each bit once, at the end"
                )
            measured[clbit] = qubits[0]
            done.add(qubits[0])
            continue
        if instruction.clbits or getattr(op, "condition", None) is not None:
            raise UsageError(
                f"circuit {name!r} has a classically controlled {op.name!r}: a QV model circuit "
                "has none; import the model circuits"
            )
        if done.intersection(qubits):
            raise UsageError(
                f"circuit {name!r} acts on a qubit after measuring it: measurements must come "
                "last; import the model circuits"
            )
        unitary.append(op, qubits)
    if not measured:
        return Readout(unitary, tuple(range(circuit.num_qubits)))
    missing = [c for c in range(circuit.num_clbits) if c not in measured]
    if missing:
        raise UsageError(
            f"circuit {name!r} never measures bit {missing[0]}: outcomes must be the measured "
            "bits only; drop the unused classical bits"
        )
    read = tuple(measured[c] for c in range(circuit.num_clbits))
    if len(set(read)) != len(read):
        raise UsageError(f"circuit {name!r} measures one qubit into two bits: fix the circuit")
    return Readout(unitary, read)


def outcome_probabilities(
    probabilities: np.ndarray, num_qubits: int, qubits: Sequence[int]
) -> np.ndarray:
    """Distribution over outcomes whose bit ``i`` is qubit ``qubits[i]`` (other qubits summed
    out), from a statevector's probabilities in Qiskit's order.

    >>> p = np.array([0.1, 0.2, 0.3, 0.4])  # index = q0 + 2 q1
    >>> outcome_probabilities(p, 2, [1, 0]).tolist()  # bit 0 reads q1
    [0.1, 0.3, 0.2, 0.4]
    >>> outcome_probabilities(p, 2, [1]).tolist()
    [0.30000000000000004, 0.7]
    """
    n = num_qubits
    if list(qubits) == list(range(n)):
        return np.asarray(probabilities, dtype=float)
    tensor = np.asarray(probabilities, dtype=float).reshape([2] * n)  # axis a is qubit n-1-a
    keep = [n - 1 - q for q in reversed(qubits)]
    rest = tuple(a for a in range(n) if a not in keep)
    if rest:
        tensor = tensor.sum(axis=rest, keepdims=True)
    order = [a for a in range(n) if a in rest] + keep
    return np.transpose(tensor, order).reshape(-1)


# -- counts -----------------------------------------------------------------------------------


def outcome_value(key: str, *, width: int, bit_order: str, name: str) -> tuple[int, int]:
    """An outcome key's integer (bit ``i`` = classical bit ``i``) in the declared order, and in
    the other order. ``0x`` hex keys are Qiskit's integers whatever the declared order.

    >>> outcome_value("011", width=3, bit_order="little", name="c")
    (3, 6)
    >>> outcome_value("011", width=3, bit_order="big", name="c")
    (6, 3)
    """
    if key.startswith("0x"):
        value = int(key, 16)
        if value >> width:
            raise UsageError(
                f"circuit {name!r}: outcome {key} does not fit in {width} bits; "
                "the counts belong to a wider circuit"
            )
        text = format(value, f"0{width}b")
        return value, int(text[::-1], 2)
    if len(key) != width:
        raise UsageError(
            f"circuit {name!r} has {width} measured bits but outcome {key!r} has {len(key)}: "
            "the counts do not belong to this circuit (or bits are missing)"
        )
    little, big = int(key, 2), int(key[::-1], 2)
    return (little, big) if bit_order == "little" else (big, little)


@dataclass(frozen=True)
class ImportedCircuit:
    """One circuit of an imported data set, checked and analysed."""

    entry: Entry
    width: int
    index: int  # position among the circuits of its width, in data-set order
    mask: np.ndarray
    ideal_hop: float
    outcomes: np.ndarray  # sorted outcome integers in the declared order
    counts: np.ndarray
    heavy_count: int
    heavy_count_other_order: int
    two_qubit_gates: int
    depth: int
    #: The circuit qubit each outcome bit reads (bit ``i`` reads ``readout_qubits[i]``).
    readout_qubits: tuple[int, ...] = ()

    @property
    def shots(self) -> int:
        """Total shots."""
        return int(self.counts.sum())

    def stored(self) -> StoredCircuit:
        """The store's row."""
        return StoredCircuit(
            width=self.width,
            depth=self.width,
            index=self.index,
            shots=self.shots,
            heavy_count=self.heavy_count,
            ideal_hop=self.ideal_hop,
            heavy_mask=pack_mask(self.mask),
            outcomes=self.outcomes,
            counts=self.counts,
        )


@dataclass(frozen=True)
class BitOrderCheck:
    """Mean HOP under the declared and the other bit order, paired over every circuit."""

    declared: str
    declared_hop: float
    other_hop: float
    z: float  # the paired difference (other - declared) in standard errors

    @property
    def other(self) -> str:
        """The undeclared order."""
        return "big" if self.declared == "little" else "little"

    @property
    def suspicious(self) -> bool:
        """Whether the undeclared order is far more plausible (module constants)."""
        gap = self.other_hop - self.declared_hop
        return gap > BIT_ORDER_MARGIN and self.z > BIT_ORDER_Z

    def describe(self) -> str:
        """One line."""
        return (
            f"--bit-order {self.declared} gives mean HOP {self.declared_hop:.3f} but "
            f"{self.other} gives {self.other_hop:.3f} ({self.z:.1f} standard errors higher): "
            f"the counts look {self.other}-endian; if so, import again with --bit-order "
            f"{self.other}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        z = self.z if math.isfinite(self.z) else None
        return {
            "declared": self.declared,
            "declared_hop": self.declared_hop,
            "other_hop": self.other_hop,
            "z": z,
            "suspicious": self.suspicious,
        }


@dataclass(frozen=True)
class HeavyDisagreement:
    """A circuit whose shipped heavy outputs differ from the computed heavy set."""

    name: str
    shipped_not_heavy: int  # outcomes the data set calls heavy that are not
    heavy_not_shipped: int  # heavy outcomes the data set leaves out

    def describe(self) -> str:
        """One line."""
        return (
            f"circuit {self.name}: {self.shipped_not_heavy} shipped heavy outputs are not heavy, "
            f"{self.heavy_not_shipped} heavy outputs are not shipped"
        )


@dataclass(frozen=True)
class ImportedCalibration:
    """A data set's readout-calibration counts, read in its bit order and checked.

    Outcome bit ``j`` reads qubit ``j`` of the circuits; ``bits`` is one more than the highest
    qubit a circuit measures (calibrated qubits above it are summed out).
    """

    bits: int
    zeros: dict[int, int]
    ones: dict[int, int]
    calibration: ReadoutCalibration

    @property
    def shots(self) -> int:
        """Shots of each calibration state."""
        return self.calibration.shots

    def to_dict(self) -> dict[str, Any]:
        """What the run part ``dataset`` keeps (outcome integers, bit ``j`` = qubit ``j``)."""
        return {
            "bits": self.bits,
            "zeros": [[k, v] for k, v in sorted(self.zeros.items())],
            "ones": [[k, v] for k, v in sorted(self.ones.items())],
        }


def read_calibration(
    cal: Calibration, circuits: Sequence[ImportedCircuit], bit_order: str
) -> ImportedCalibration:
    """Check ``cal`` against the circuits and estimate each qubit's assignment errors."""
    where = cal.where or "readout calibration"
    lengths = {len(k) for k in (*cal.zeros, *cal.ones) if not k.startswith("0x")}
    if len(lengths) > 1:
        raise UsageError(
            f"{where}: calibration outcomes have {len(lengths)} different lengths "
            f"({sorted(lengths)}); write every outcome over all calibrated qubits"
        )
    need = max(max(c.readout_qubits) + 1 for c in circuits)
    bits = lengths.pop() if lengths else need
    if bits < need:
        worst = max(circuits, key=lambda c: max(c.readout_qubits))
        raise UsageError(
            f"{where} calibrates {bits} qubits but circuit {worst.entry.name!r} measures qubit "
            f"{max(worst.readout_qubits)}: calibrate every measured qubit"
        )
    states = []
    for label, counts in (("zeros", cal.zeros), ("ones", cal.ones)):
        read: dict[int, int] = {}
        for key, n in counts.items():
            try:
                value = outcome_value(key, width=bits, bit_order=bit_order, name=label)[0]
            except UsageError:
                raise UsageError(
                    f"{where} [{label!r}]: outcome {key!r} does not fit the {bits} calibrated "
                    "qubits; fix the calibration counts"
                ) from None
            value &= (1 << need) - 1  # qubits no circuit measures are summed out
            read[value] = read.get(value, 0) + n
        states.append({k: v for k, v in read.items() if v})
    try:
        estimated = ReadoutCalibration.from_counts(range(need), [states[0]], [states[1]])
    except ValueError as exc:
        raise UsageError(
            f"{where}: {exc}; fix the calibration counts or import without them"
        ) from None
    return ImportedCalibration(need, states[0], states[1], estimated)


@dataclass(frozen=True)
class ImportAnalysis:
    """Everything an import computed, before anything is recorded."""

    options: ImportOptions
    circuits: tuple[ImportedCircuit, ...]
    result: QVResult
    bit_order: BitOrderCheck
    disagreements: tuple[HeavyDisagreement, ...]
    shipped_heavy: int  # circuits whose heavy outputs the data set ships
    dataset: DataSet
    warnings: tuple[str, ...] = field(default=())
    calibration: ImportedCalibration | None = None

    def dataset_part(self) -> dict[str, Any]:
        """What the run stores of the data set itself, so ``export`` writes it back."""
        return {
            "metadata": self.options.metadata(),
            "circuits": [
                {
                    "name": c.entry.name,
                    "qasm": c.entry.qasm,
                    "width": c.width,
                    "index": c.index,
                    "heavy_outputs": (
                        None if c.entry.heavy_outputs is None else list(c.entry.heavy_outputs)
                    ),
                }
                for c in self.circuits
            ],
            "bit_order_check": self.bit_order.to_dict(),
            "heavy_disagreements": [d.__dict__ for d in self.disagreements],
            "readout_calibration": (
                None if self.calibration is None else self.calibration.to_dict()
            ),
        }


def _ideal(readout_: Readout) -> np.ndarray:
    from quantumlimits.execution.aer import ideal_probabilities

    (probabilities,) = list(ideal_probabilities([readout_.circuit]))
    return outcome_probabilities(probabilities, readout_.circuit.num_qubits, readout_.qubits)


def _arrays(pairs: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    items = sorted((k, v) for k, v in pairs.items() if v)
    outcomes = np.fromiter((k for k, _ in items), dtype=np.int64, count=len(items))
    values = np.fromiter((v for _, v in items), dtype=np.int64, count=len(items))
    return outcomes, values


def _check_size(num_qubits: int, name: str) -> None:
    """Refuse a circuit whose ideal simulation would not fit in this machine's memory."""
    from quantumlimits.qv.protocol import MEMORY_FRACTION, statevector_bytes

    memory = provenance.machine().get("memory_bytes")
    need = statevector_bytes(num_qubits)
    too_big = isinstance(memory, int | float) and need > MEMORY_FRACTION * memory
    if num_qubits > MAX_WIDTH or too_big:
        raise UsageError(
            f"circuit {name!r} has {num_qubits} qubits: its ideal distribution needs about "
            f"{need / 2**30:.1f} GiB, more than an import computes here; import the narrower "
            "circuits only"
        )


def _circuit(entry: Entry, index_in_width: dict[int, int], bit_order: str) -> ImportedCircuit:
    from quantumlimits.execution.transpile import circuit_depth, two_qubit_count

    circuit = parse_circuit(entry)
    r = readout(circuit, entry.name)
    if r.width < 2:
        raise UsageError(
            f"circuit {entry.name!r} has {r.width} measured bit(s): a QV model circuit has "
            "width 2 or more"
        )
    _check_size(circuit.num_qubits, entry.name)
    declared: dict[int, int] = {}
    other: dict[int, int] = {}
    for key, n in entry.counts.items():
        mine, theirs = outcome_value(key, width=r.width, bit_order=bit_order, name=entry.name)
        declared[mine] = declared.get(mine, 0) + n
        other[theirs] = other.get(theirs, 0) + n
    probabilities = _ideal(r)
    mask = heavy_mask(probabilities)
    outcomes, values = _arrays(declared)
    other_outcomes, other_values = _arrays(other)
    index = index_in_width.get(r.width, 0)
    index_in_width[r.width] = index + 1
    return ImportedCircuit(
        entry=entry,
        width=r.width,
        index=index,
        mask=mask,
        ideal_hop=ideal_hop(probabilities, mask),
        outcomes=outcomes,
        counts=values,
        heavy_count=int(values[mask[outcomes]].sum()),
        heavy_count_other_order=int(other_values[mask[other_outcomes]].sum()),
        two_qubit_gates=two_qubit_count(r.circuit),
        depth=circuit_depth(r.circuit),
        readout_qubits=r.qubits,
    )


def check_bit_order(circuits: Sequence[ImportedCircuit], declared: str) -> BitOrderCheck:
    """Mean HOP under both orders and the paired difference's standard score."""
    mine = np.array([c.heavy_count / c.shots for c in circuits])
    theirs = np.array([c.heavy_count_other_order / c.shots for c in circuits])
    diff = theirs - mine
    sd = float(diff.std(ddof=1)) if diff.size > 1 else 0.0
    mean = float(diff.mean())
    if sd > 0:
        z = mean / (sd / math.sqrt(diff.size))
    else:
        z = math.inf if mean > 0 else (-math.inf if mean < 0 else 0.0)
    return BitOrderCheck(declared, float(mine.mean()), float(theirs.mean()), z)


def heavy_disagreements(
    circuits: Sequence[ImportedCircuit], bit_order: str
) -> list[HeavyDisagreement]:
    """Every circuit whose shipped heavy outputs are not exactly the computed heavy set."""
    out = []
    for c in circuits:
        if c.entry.heavy_outputs is None:
            continue
        shipped = {
            outcome_value(k, width=c.width, bit_order=bit_order, name=c.entry.name)[0]
            for k in c.entry.heavy_outputs
        }
        heavy = set(np.flatnonzero(c.mask).tolist())
        if shipped != heavy:
            out.append(HeavyDisagreement(c.entry.name, len(shipped - heavy), len(heavy - shipped)))
    return out


def width_result(
    circuits: Sequence[ImportedCircuit],
    *,
    options: ImportOptions,
    seconds: float,
    calibration: ImportedCalibration | None = None,
) -> WidthResult:
    """One width's statistics (qv.analysis, and the sequential test in data-set order), with
    the readout-mitigated arm of ``qv --mitigate-readout`` when ``calibration`` is given."""
    width = circuits[0].width
    heavy = [c.heavy_count for c in circuits]
    shots = [c.shots for c in circuits]
    statistics = analysis.analyse_width(
        width=width,
        depth=width,
        heavy_counts=heavy,
        shots=shots,
        seed=options.seed,
        bootstrap_resamples=options.bootstrap_resamples,
    )
    n = len(circuits)
    test = SequentialTest(
        batch_size=SEQUENTIAL_BATCH, min_circuits=min(stats.MIN_CIRCUITS, n), max_circuits=n
    )
    verdict = sequential_verdict(hops_so_far=statistics["hops"], test=test)
    optimized = None
    if calibration is not None:
        optimized = analysis.optimized_statistics(
            mitigation(calibration),
            width=width,
            heavy_masks=[pack_mask(c.mask) for c in circuits],
            raw_counts=[
                dict(zip(c.outcomes.tolist(), c.counts.tolist(), strict=True)) for c in circuits
            ],
            extra_counts=[calibration.zeros, calibration.ones],
            isa=[],
            physical_qubits=range(calibration.bits),
            seed=derive_seed(options.seed, width, width, 1),
            bootstrap_resamples=options.bootstrap_resamples,
            clbit_qubits=[c.readout_qubits for c in circuits],
        )
    return WidthResult(
        width=width,
        depth=width,
        circuits=n,
        shots=max(shots),
        heavy_counts=tuple(heavy),
        ideal_hops=tuple(c.ideal_hop for c in circuits),
        two_qubit_gates=tuple(c.two_qubit_gates for c in circuits),
        depths=tuple(c.depth for c in circuits),
        physical_qubits=None,
        simulated_qubits=None,
        layout_score=None,
        method="imported",
        timings={"ideal": round(seconds, 6)},
        sequential=verdict.to_dict(),
        optimized=optimized,
        **statistics,
    )


def mitigation(calibration: ImportedCalibration) -> Optimizations:
    """The optimization an imported run with readout calibration applies (as recorded)."""
    return Optimizations(readout=True, readout_shots=calibration.shots)


def analyse(dataset: DataSet, options: ImportOptions) -> ImportAnalysis:
    """Check and analyse ``dataset`` (module docstring); nothing is recorded."""
    prov = provenance.provenance()
    index_in_width: dict[int, int] = {}
    circuits = []
    started = time.perf_counter()
    for entry in dataset.entries:
        circuits.append(_circuit(entry, index_in_width, options.bit_order))
    ideal_seconds = time.perf_counter() - started
    calibration = (
        None
        if dataset.calibration is None
        else read_calibration(dataset.calibration, circuits, options.bit_order)
    )
    source = options.verdict_source(calibration is not None)
    by_width: dict[int, list[ImportedCircuit]] = {}
    for c in circuits:
        by_width.setdefault(c.width, []).append(c)
    t = time.perf_counter()
    share = ideal_seconds / max(1, len(circuits))
    widths = [
        width_result(group, options=options, seconds=share * len(group), calibration=calibration)
        for _, group in sorted(by_width.items())
    ]
    analyse_seconds = time.perf_counter() - t
    result = QVResult(
        quantum_volume=analysis.quantum_volume(widths, options.method, source),
        decided_by=options.method,
        valid=all(w.valid for w in widths),
        backend=options.backend,
        calibration_date=options.date,
        seed=options.seed,
        settings={
            "method": options.method,
            "bootstrap_resamples": options.bootstrap_resamples,
            "shots": max(c.shots for c in circuits),
            "trials": max(w.circuits for w in widths),
            "imported": options.metadata(),
            **(
                {"optimizations": mitigation(calibration).to_dict() | {"verdict_from": source}}
                if calibration is not None
                else {}
            ),
        },
        widths=tuple(widths),
        versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
        provenance=prov,
        timings={"ideal": round(ideal_seconds, 6), "analyse": round(analyse_seconds, 6)},
        verdict_from=source,
    )
    check = check_bit_order(circuits, options.bit_order)
    notes = []
    if check.suspicious:
        notes.append(check.describe())
    return ImportAnalysis(
        options=options,
        circuits=tuple(circuits),
        result=result,
        bit_order=check,
        disagreements=tuple(heavy_disagreements(circuits, options.bit_order)),
        shipped_heavy=sum(c.entry.heavy_outputs is not None for c in circuits),
        dataset=dataset,
        warnings=tuple(notes),
        calibration=calibration,
    )


def record(analysed: ImportAnalysis, store: ResultsStore | None) -> QVResult:
    """Store an analysed import as a run (kind ``qv``); without a store, the result alone."""
    result = analysed.result
    created = str(result.provenance["created"])
    with recording(
        store,
        kind="qv",
        backend=result.backend,
        seed=result.seed,
        inputs=result.settings,
        created=created,
    ) as run:
        result = QVResult(**{**result.__dict__, "run_id": run.run_id})
        if store is not None and run.run_id is not None:
            by_width: dict[int, list[StoredCircuit]] = {}
            for c in analysed.circuits:
                by_width.setdefault(c.width, []).append(c.stored())
            for stored in by_width.values():
                store.add_qv_circuits(run.run_id, stored)
        run.add_part(DATASET_PART, analysed.dataset_part())
        for w in result.widths:
            run.add_part(f"w{w.width}", w.to_dict())
        run.finish(document=result.to_dict(), summary=analysis.summary_line(result))
    return result
