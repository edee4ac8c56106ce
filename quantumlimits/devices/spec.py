"""Device specifications from published numbers: the ``quantumlimits.device-spec/1`` format.

A spec is a TOML file (docs/devices.md) naming a device, the date its numbers describe, where
every number comes from, and the numbers: qubit count, connectivity, native gates, gate errors,
asymmetric readout error, memory error per layer, and (optionally) durations. A figure the source
does not give is listed under ``missing``; a command that needs it refuses with one line.

Parsing is pure: :func:`parse_spec` takes the TOML document as a dict and returns a frozen
:class:`DeviceSpec`, or raises :class:`~quantumlimits.errors.UsageError` naming the field and
the fix.

>>> spec = parse_spec({
...     "format": "quantumlimits.device-spec/1", "name": "toy", "machine": "Toy",
...     "date": "2024-01-02",
...     "qubits": 3, "connectivity": "all-to-all",
...     "sources": {"paper": "A. Author, a paper (2024), Table 1"},
...     "gates": {"single_qubit": ["rz", "r"], "two_qubit": "rzz"},
...     "errors": {
...         "single_qubit": {"value": 1e-4, "source": "paper"},
...         "two_qubit": {"value": 2e-3, "source": "paper"},
...         "readout_0to1": {"value": 1e-3, "source": "paper"},
...         "readout_1to0": {"value": 3e-3, "source": "paper"},
...         "memory": {"value": 1e-4, "source": "paper"},
...     },
...     "missing": ["durations"],
... })
>>> spec.label, spec.number("two_qubit"), spec.readout_error
('toy@2024-01-02', 0.002, 0.002)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantumlimits.errors import UsageError

FORMAT = "quantumlimits.device-spec/1"

#: Native gates a spec may name, by their Qiskit names. ``r`` is Qiskit's ``RGate(θ, φ)``, the
#: rotation Quantinuum calls ``U1q``; ``rz`` is a frame update (error-free unless a spec gives
#: an error for it); ``rzz`` is the arbitrary-angle ZZ interaction.
SINGLE_QUBIT_GATES = ("rz", "r", "sx", "x")
TWO_QUBIT_GATES = ("rzz", "cz", "cx", "ecr")

#: Error figures, each ``{value, source}``: average gate infidelity for gates (as randomized
#: benchmarking reports it), flip probabilities for readout, infidelity per idle layer for memory.
ERROR_FIELDS = ("single_qubit", "two_qubit", "readout_0to1", "readout_1to0", "memory")
#: Durations in seconds, each ``{value, source}``.
DURATION_FIELDS = ("single_qubit", "two_qubit", "measure", "shot_overhead")
_TOP_KEYS = frozenset(
    {"format", "name", "machine", "date", "qubits", "connectivity", "edges", "sources", "gates",
     "errors", "durations", "missing", "notes"}
)  # fmt: skip
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Figure:
    """One published number and the key of its source in the spec's ``[sources]``."""

    value: float
    source: str
    note: str = ""


@dataclass(frozen=True)
class DeviceSpec:
    """A device described by published numbers (see the module docstring and docs/devices.md).

    ``errors`` and ``durations`` hold the figures the spec gives; ``missing`` names those its
    sources do not give (``errors.memory``, ``durations``, ...). ``edges`` is None for all-to-all
    connectivity.
    """

    name: str
    machine: str
    date: str
    qubits: int
    edges: tuple[tuple[int, int], ...] | None
    single_qubit_gates: tuple[str, ...]
    two_qubit_gate: str
    errors: Mapping[str, Figure]
    durations: Mapping[str, Figure]
    sources: Mapping[str, str]
    missing: tuple[str, ...] = ()
    notes: str = ""
    path: str | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """``name@date``, the name that picks this spec among its machine's dates."""
        return f"{self.name}@{self.date}"

    @property
    def all_to_all(self) -> bool:
        """Whether every pair of qubits is coupled."""
        return self.edges is None

    def coupled_pairs(self) -> list[tuple[int, int]]:
        """Every ordered pair of qubits a two-qubit gate may act on."""
        if self.edges is None:
            return [(a, b) for a in range(self.qubits) for b in range(self.qubits) if a != b]
        return sorted({(a, b) for a, b in self.edges} | {(b, a) for a, b in self.edges})

    def number(self, name: str, *, needed_for: str = "this command") -> float:
        """The error figure ``name`` (a key of :data:`ERROR_FIELDS`).

        Raises :class:`UsageError` when the spec lists it as missing.
        """
        if name in self.errors:
            return self.errors[name].value
        raise UsageError(
            f"{self.label} does not give errors.{name} (its sources do not publish it, so it is "
            f"listed under 'missing'), which {needed_for} needs: copy the spec, add "
            f"errors.{name} = {{ value = ..., source = ... }} from a published source, and pass "
            "--backend path/to/copy.toml"
        )

    def duration(self, name: str, *, needed_for: str = "this command") -> float:
        """The duration ``name`` in seconds (a key of :data:`DURATION_FIELDS`), or a one-line
        refusal naming the missing figure."""
        if name in self.durations:
            return self.durations[name].value
        raise UsageError(
            f"{self.label} does not give durations.{name}, which {needed_for} needs: copy the "
            f"spec, add durations.{name} = {{ value = seconds, "
            "source = ... } from a published source, and pass --backend path/to/copy.toml"
        )

    def require_noise(self) -> None:
        """Refuse (one line) unless every figure the noise model reads is given."""
        absent = [f"errors.{name}" for name in ERROR_FIELDS if name not in self.errors]
        if absent:
            raise UsageError(
                f"{self.label} does not give {', '.join(absent)} (its sources do not publish "
                "them, so they are listed under 'missing'), which its noise model needs: copy "
                "the spec, add each as { value = ..., source = ... } from a published source, "
                "and pass --backend path/to/copy.toml"
            )

    @property
    def readout_error(self) -> float:
        """Mean readout error, the single figure a Qiskit ``Target`` carries for ``measure``."""
        return 0.5 * (self.number("readout_0to1") + self.number("readout_1to0"))

    def citation(self) -> str:
        """The spec's sources, one string (for listings and records)."""
        return "; ".join(f"{key}: {text}" for key, text in self.sources.items())


def _fail(where: str, problem: str, fix: str) -> UsageError:
    return UsageError(f"device spec {where}: {problem}: {fix}")


def _figure(doc: Mapping[str, Any], table: str, key: str, where: str) -> Figure:
    entry = doc[key]
    name = f"{table}.{key}"
    if not isinstance(entry, Mapping) or "value" not in entry or "source" not in entry:
        raise _fail(
            where,
            f"{name} must be a table {{ value = ..., source = ... }}, got {entry!r}",
            f'write {name} = {{ value = 0.001, source = "<key of [sources]>" }}',
        )
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, f"{name}.value must be a number, got {value!r}", "give the number")
    source = entry["source"]
    if not isinstance(source, str):
        raise _fail(where, f"{name}.source must be a string", "name a key of [sources]")
    extra = set(entry) - {"value", "source", "note"}
    if extra:
        raise _fail(where, f"{name} has unknown keys {sorted(extra)}", "keep value, source, note")
    return Figure(float(value), source, str(entry.get("note", "")))


def parse_spec(doc: Mapping[str, Any], *, where: str = "<spec>") -> DeviceSpec:
    """A :class:`DeviceSpec` from a parsed TOML document; ``where`` names it in messages."""
    fmt = doc.get("format")
    if fmt != FORMAT:
        raise _fail(where, f"format is {fmt!r}", f'the first line must be format = "{FORMAT}"')
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise _fail(
            where,
            f"unknown keys {sorted(unknown)}",
            f"use only {sorted(_TOP_KEYS)} (docs/devices.md)",
        )
    missing_raw = doc.get("missing", [])
    if not isinstance(missing_raw, list) or not all(isinstance(m, str) for m in missing_raw):
        raise _fail(where, "missing must be a list of field names", 'write missing = ["durations"]')
    missing = tuple(missing_raw)
    for key in ("name", "machine", "date", "qubits", "sources", "gates"):
        if key not in doc:
            raise _fail(where, f"{key} is absent", f"add {key} (docs/devices.md lists every field)")
    name = doc["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(
            where,
            f"name {name!r} is not a backend name",
            "use lower case letters, digits and underscores, e.g. quantinuum_h1_1",
        )
    date = doc["date"]
    if isinstance(date, dt.date):
        date = date.isoformat()
    try:
        dt.date.fromisoformat(str(date))
    except ValueError:
        raise _fail(
            where, f"date {date!r} is not a date", "write the date the numbers describe, YYYY-MM-DD"
        ) from None
    qubits = doc["qubits"]
    if isinstance(qubits, bool) or not isinstance(qubits, int) or qubits < 1:
        raise _fail(where, f"qubits must be a positive integer, got {qubits!r}", "give the count")
    edges = _edges(doc, qubits, where)
    sources = doc["sources"]
    if not isinstance(sources, Mapping) or not sources:
        raise _fail(
            where,
            "[sources] must name at least one source",
            'add [sources] with paper = "Authors, title, arXiv id, table or page"',
        )
    if not all(isinstance(v, str) and v.strip() for v in sources.values()):
        raise _fail(where, "every source must be a non-empty string", "cite each source")
    single, two = _gates(doc["gates"], where)
    errors = _figures(doc, "errors", ERROR_FIELDS, missing, sources, where, required=True)
    durations = _figures(doc, "durations", DURATION_FIELDS, missing, sources, where, required=False)
    for key, fig in errors.items():
        upper = 0.5 if key.startswith("readout") else 0.75 if key != "two_qubit" else 0.9375
        if not 0.0 <= fig.value < upper:
            raise _fail(
                where,
                f"errors.{key} = {fig.value} is outside [0, {upper})",
                "give the error as a probability (0.001, not 0.1 %)",
            )
    for key, fig in durations.items():
        if fig.value <= 0:
            raise _fail(where, f"durations.{key} = {fig.value} must be positive", "give seconds")
    return DeviceSpec(
        name=name,
        machine=str(doc["machine"]),
        date=str(date),
        qubits=qubits,
        edges=edges,
        single_qubit_gates=single,
        two_qubit_gate=two,
        errors=errors,
        durations=durations,
        sources=dict(sources),
        missing=missing,
        notes=str(doc.get("notes", "")),
        path=where if where.endswith(".toml") else None,
    )


def _edges(doc: Mapping[str, Any], qubits: int, where: str) -> tuple[tuple[int, int], ...] | None:
    connectivity = doc.get("connectivity")
    if connectivity == "all-to-all":
        if "edges" in doc:
            raise _fail(where, "edges given with all-to-all connectivity", "drop one of them")
        return None
    if connectivity != "edges":
        raise _fail(
            where,
            f"connectivity is {connectivity!r}",
            'write connectivity = "all-to-all", or "edges" with edges = [[0, 1], [1, 2], ...]',
        )
    raw = doc.get("edges")
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "edges is absent or empty", "list the coupled pairs: [[0, 1], ...]")
    out = []
    for e in raw:
        if (
            not isinstance(e, list)
            or len(e) != 2
            or not all(isinstance(q, int) and 0 <= q < qubits for q in e)
            or e[0] == e[1]
        ):
            raise _fail(
                where, f"edge {e!r} is not a pair of distinct qubits below {qubits}", "fix it"
            )
        out.append((int(e[0]), int(e[1])))
    return tuple(out)


def _gates(gates: Any, where: str) -> tuple[tuple[str, ...], str]:
    if not isinstance(gates, Mapping):
        raise _fail(where, "[gates] must be a table", 'write [gates] with two_qubit = "rzz"')
    single = gates.get("single_qubit")
    if (
        not isinstance(single, list)
        or not single
        or any(g not in SINGLE_QUBIT_GATES for g in single)
    ):
        raise _fail(
            where,
            f"gates.single_qubit = {single!r}",
            f"list the native one-qubit gates among {SINGLE_QUBIT_GATES}",
        )
    if "rz" not in single:
        raise _fail(where, "gates.single_qubit lacks rz", "add rz (every supported basis has it)")
    two = gates.get("two_qubit")
    if two not in TWO_QUBIT_GATES:
        raise _fail(
            where,
            f"gates.two_qubit = {two!r}",
            f"name the native two-qubit gate: {TWO_QUBIT_GATES}",
        )
    return tuple(single), str(two)


def _figures(
    doc: Mapping[str, Any],
    table: str,
    fields: tuple[str, ...],
    missing: tuple[str, ...],
    sources: Mapping[str, str],
    where: str,
    *,
    required: bool,
) -> dict[str, Figure]:
    raw = doc.get(table, {})
    if not isinstance(raw, Mapping):
        raise _fail(where, f"[{table}] must be a table", "see docs/devices.md")
    unknown = set(raw) - set(fields)
    if unknown:
        raise _fail(where, f"[{table}] has unknown keys {sorted(unknown)}", f"use {list(fields)}")
    out = {}
    for key in fields:
        dotted = f"{table}.{key}"
        listed = dotted in missing or table in missing
        if key in raw:
            if listed:
                raise _fail(where, f"{dotted} is given and listed as missing", "drop one of them")
            fig = _figure(raw, table, key, where)
            if fig.source not in sources:
                raise _fail(
                    where,
                    f"{dotted} cites source {fig.source!r}, which [sources] does not define",
                    f'add {fig.source} = "..." under [sources] or cite one of {sorted(sources)}',
                )
            out[key] = fig
        elif not listed and (required or table in doc):
            raise _fail(
                where,
                f"{dotted} is absent",
                f'give it with its source, or list "{dotted}" under missing = [...] when the '
                "sources do not publish it",
            )
        elif not listed and not required:
            raise _fail(
                where,
                f"[{table}] is absent",
                f'give it, or write missing = ["{table}"] when the sources do not publish it',
            )
    return out


def load_spec_file(path: str | Path) -> DeviceSpec:
    """Read and validate a spec file; every problem is one :class:`UsageError` line."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read device spec {str(p)!r}: {exc.strerror or exc}: check the path"
        ) from None
    try:
        doc = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"device spec {p}: not valid TOML ({exc}): fix the syntax (https://toml.io)"
        ) from None
    return parse_spec(doc, where=str(p))
