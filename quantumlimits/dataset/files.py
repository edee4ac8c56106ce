"""The file formats of a quantum volume data set (docs/import.md): read them, write them.

A data set is a list of :class:`Entry` records: a circuit's name, its OpenQASM text, the counts
the device returned (bitstring -> shots, exactly as written in the files) and, when the data set
ships them, its own heavy outputs. Three layouts are read:

* **a folder** of ``*.qasm`` files (one circuit each, named by file stem) with counts in
  ``--counts`` (a folder of ``<stem>.json`` / ``<stem>.txt`` files, or one file) or, without it,
  the folder's ``counts.json`` or ``counts/``; heavy outputs in ``--heavy`` or the folder's
  ``heavy_outputs.json``;
* **a JSON file of records** (what ``quantumlimits export`` writes)::

      {"format": "quantumlimits-qv-dataset", "version": 1, "name": ..., "bit_order": "little",
       "circuits": [{"name": "c0", "qasm": "OPENQASM 2.0; ...", "counts": {"01": 512, ...},
                     "heavy_outputs": ["01", ...]}, ...]}

* **a JSON file of parallel lists** (Quantinuum's layout): circuits under ``qv_circs`` (measured)
  or ``qv_circs_nomeas`` or ``circuits``, counts under ``raw_results`` or ``counts`` (or in
  ``--counts``), heavy outputs under ``heavy_outputs``; or a bare JSON list of QASM strings.

Counts of one circuit are a mapping ``{bitstring: count}`` or a list of per-shot bitstrings; a
counts file is JSON or a Python literal (read with :func:`ast.literal_eval`, never executed).
Files of several counts are an object keyed by circuit name or a list in circuit order.

Everything a reader refuses raises :class:`~quantumlimits.errors.UsageError` naming the file and
the fix. Checks that need the circuit (bitstring length) are the importer's.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantumlimits.errors import UsageError

FORMAT = "quantumlimits-qv-dataset"
VERSION = 1
BIT_ORDERS = ("little", "big")
#: Keys of metadata a JSON data set may carry at its top level.
METADATA_KEYS = ("name", "source", "device", "date", "bit_order")
#: The readout-calibration counts: a folder's file, a JSON data set's key.
CALIBRATION_FILE = "calibration.json"
CALIBRATION_KEY = "readout_calibration"
_CIRCUIT_KEYS = ("qv_circs", "qv_circs_nomeas", "circuits")
_COUNTS_KEYS = ("raw_results", "counts")
_COUNTS_SUFFIXES = (".json", ".txt", ".py", ".counts")
_BITSTRING = re.compile(r"^[01]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")


@dataclass(frozen=True)
class Entry:
    """One circuit of a data set as written in its files.

    ``counts`` keys are bitstrings with spaces removed (``"0101"``), or Qiskit's ``0x`` hex
    integers; values are validated shot counts (ints >= 0, at least one shot in total).
    """

    name: str
    qasm: str
    counts: dict[str, int]
    heavy_outputs: tuple[str, ...] | None = None

    @property
    def shots(self) -> int:
        """Total shots."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Calibration:
    """Readout-calibration counts shipped with a data set: the counts of one circuit that
    prepared every qubit in ``|0>`` and one that prepared every qubit in ``|1>`` (bit ``j`` of
    an outcome reads qubit ``j`` of the data set's circuits), keys as in :class:`Entry`."""

    zeros: dict[str, int]
    ones: dict[str, int]
    where: str = ""  # the file it came from, for messages


@dataclass(frozen=True)
class DataSet:
    """A data set's entries in order, the metadata its file carried (may be empty) and its
    readout-calibration counts (None when it ships none)."""

    entries: tuple[Entry, ...]
    metadata: dict[str, Any]
    calibration: Calibration | None = None


def natural_key(name: str) -> list[Any]:
    """Sort key in which ``c2`` comes before ``c10``.

    >>> sorted(["c10", "c2", "c1"], key=natural_key)
    ['c1', 'c2', 'c10']
    """
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]


# -- reading ----------------------------------------------------------------------------------


def read_dataset(
    path: Path,
    *,
    counts: Path | None = None,
    heavy: Path | None = None,
    calibration: Path | None = None,
) -> DataSet:
    """Read the data set at ``path`` (a folder or a JSON file; module docstring), with its
    readout calibration from ``calibration``, else the folder's ``calibration.json`` or the JSON
    file's ``readout_calibration``."""
    path = Path(path)
    try:
        if not path.exists():
            raise UsageError(f"no data set at {path}: pass a folder of .qasm files or a JSON file")
        if path.is_dir():
            found = _read_folder(path, counts, heavy)
            if calibration is None and (path / CALIBRATION_FILE).exists():
                calibration = path / CALIBRATION_FILE
        else:
            found = _read_json_file(path, counts, heavy)
        if calibration is not None:
            if found.calibration is not None:
                raise UsageError(
                    f"data set {path} carries its own readout_calibration: drop --calibration"
                )
            if not calibration.is_file():
                raise UsageError(
                    f"no calibration file at {calibration}: pass --calibration with a JSON file"
                )
            where = str(calibration)
            cal = read_calibration(_load_text(calibration, "calibration file"), where)
            found = DataSet(found.entries, found.metadata, cal)
        return found
    except OSError as exc:  # a name too long, a folder we may not list...
        raise UsageError(
            f"cannot read the data set: {exc.strerror or exc} ({exc.filename}); pass readable paths"
        ) from None


def _load_text(path: Path, what: str) -> Any:
    """A JSON document, or failing that a Python literal, read from ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise UsageError(
            f"{what} {path} is neither JSON nor a Python literal: write it as JSON "
            '({"0101": 512, ...} or a list of per-shot bitstrings)'
        ) from None


def _read_folder(folder: Path, counts: Path | None, heavy: Path | None) -> DataSet:
    files = sorted(folder.glob("*.qasm"), key=lambda p: natural_key(p.stem))
    if not files:
        raise UsageError(f"{folder} holds no .qasm files: put one OpenQASM circuit per file there")
    names = [p.stem for p in files]
    qasm = {}
    for p in files:
        try:
            qasm[p.stem] = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read circuit {p}: {exc}") from None
    if counts is None:
        found = [folder / "counts.json", folder / "counts"]
        present = [p for p in found if p.exists()]
        if len(present) != 1:
            raise UsageError(
                f"{'no' if not present else 'two sets of'} counts for the circuits in {folder}: "
                "pass --counts (a file or a folder), or keep one of counts.json and counts/ there"
            )
        counts = present[0]
    by_name = _counts_for(names, counts)
    if heavy is None and (folder / "heavy_outputs.json").exists():
        heavy = folder / "heavy_outputs.json"
    heavy_by_name = _heavy_for(names, heavy) if heavy is not None else {}
    entries = tuple(
        Entry(name=n, qasm=qasm[n], counts=by_name[n], heavy_outputs=heavy_by_name.get(n))
        for n in names
    )
    return DataSet(entries=entries, metadata={})


def _read_json_file(path: Path, counts: Path | None, heavy: Path | None) -> DataSet:
    document = _load_text(path, "data set")
    if isinstance(document, list):
        document = {"circuits": document}
    if not isinstance(document, dict):
        raise UsageError(
            f"data set {path} is neither a JSON object nor a list: see docs/import.md for "
            "the layouts read"
        )
    if document.get("format", FORMAT) != FORMAT:
        raise UsageError(f"data set {path} has format {document['format']!r}, not {FORMAT!r}")
    version = document.get("version", VERSION)
    if version != VERSION:
        raise UsageError(
            f"data set {path} is version {version!r}; this quantumlimits reads version {VERSION}"
        )
    metadata = {k: document[k] for k in METADATA_KEYS if document.get(k) is not None}
    for k, v in metadata.items():
        if not isinstance(v, str):
            raise UsageError(f"data set {path}: {k!r} must be a string, got {v!r}")
    key = next((k for k in _CIRCUIT_KEYS if k in document), None)
    if key is None:
        raise UsageError(
            f"data set {path} has no circuits: expected a key among {list(_CIRCUIT_KEYS)}"
        )
    circuits = document[key]
    if not isinstance(circuits, list) or not circuits:
        raise UsageError(f"data set {path}: {key!r} must be a non-empty list")
    if all(isinstance(c, dict) for c in circuits):
        if counts is not None or heavy is not None:
            raise UsageError(
                f"data set {path} carries each circuit's counts: drop --counts and --heavy"
            )
        return DataSet(
            entries=_records(path, circuits),
            metadata=metadata,
            calibration=_embedded(path, document),
        )
    if not all(isinstance(c, str) for c in circuits):
        raise UsageError(
            f"data set {path}: {key!r} must list OpenQASM strings or circuit records, not a mix"
        )
    names = document.get("names") or [f"{i:04d}" for i in range(len(circuits))]
    if (
        not isinstance(names, list)
        or len(names) != len(circuits)
        or len(set(map(str, names))) != len(names)
    ):
        raise UsageError(f"data set {path}: 'names' must give one distinct name per circuit")
    names = [str(n) for n in names]
    if counts is not None:
        by_name = _counts_for(names, counts)
    else:
        ckey = next((k for k in _COUNTS_KEYS if k in document), None)
        if ckey is None:
            raise UsageError(
                f"data set {path} has no counts: pass --counts, or add 'counts' to the file"
            )
        by_name = _match(names, document[ckey], f"{path} ({ckey!r})", _parse_counts)
    heavy_by_name: dict[str, tuple[str, ...]] = {}
    if heavy is not None:
        heavy_by_name = _heavy_for(names, heavy)
    elif document.get("heavy_outputs") is not None:
        heavy_by_name = _match(
            names, document["heavy_outputs"], f"{path} ('heavy_outputs')", _parse_heavy
        )
    entries = tuple(
        Entry(name=n, qasm=q, counts=by_name[n], heavy_outputs=heavy_by_name.get(n))
        for n, q in zip(names, circuits, strict=True)
    )
    return DataSet(entries=entries, metadata=metadata, calibration=_embedded(path, document))


def _embedded(path: Path, document: dict[str, Any]) -> Calibration | None:
    raw = document.get(CALIBRATION_KEY)
    return None if raw is None else read_calibration(raw, f"{path} ({CALIBRATION_KEY!r})")


#: qiskit-ignis names its calibration circuits ``<circlabel>cal_<basis state>``.
_IGNIS = re.compile(r"cal_([01]+)$")


def read_calibration(raw: Any, where: str) -> Calibration:
    """Readout-calibration counts: ``{"zeros": COUNTS, "ones": COUNTS}``, or the counts of
    qiskit-ignis' calibration circuits keyed by circuit name (``{"cal_000": COUNTS, "cal_111":
    COUNTS, ...}``, any ``circlabel`` prefix; only the all-0 and all-1 states are used).

    >>> c = read_calibration({"mcal_00": {"00": 9, "01": 1}, "mcal_11": ["11"] * 10}, "f")
    >>> c.zeros, c.ones
    ({'00': 9, '01': 1}, {'11': 10})
    """
    if isinstance(raw, Mapping) and "zeros" not in raw and "ones" not in raw:
        states = {m.group(1): k for k in raw if (m := _IGNIS.search(str(k)))}
        zeros = [k for s, k in states.items() if set(s) == {"0"}]
        ones = [k for s, k in states.items() if set(s) == {"1"}]
        if len(zeros) == 1 and len(ones) == 1:
            raw = {"zeros": raw[zeros[0]], "ones": raw[ones[0]]}
    if not isinstance(raw, Mapping) or set(raw) != {"zeros", "ones"}:
        raise UsageError(
            f"{where}: readout calibration must be an object with exactly 'zeros' and 'ones' "
            "(the counts of the all-|0> and all-|1> circuits); see docs/import.md"
        )
    return Calibration(
        zeros=_parse_counts(raw["zeros"], f"{where} ['zeros']"),
        ones=_parse_counts(raw["ones"], f"{where} ['ones']"),
        where=where,
    )


def _records(path: Path, records: Sequence[dict[str, Any]]) -> tuple[Entry, ...]:
    out = []
    seen: set[str] = set()
    for i, r in enumerate(records):
        name = str(r.get("name", f"{i:04d}"))
        where = f"{path} (circuit {name!r})"
        if name in seen:
            raise UsageError(f"{where}: the name appears twice; give each circuit its own name")
        seen.add(name)
        if not isinstance(r.get("qasm"), str):
            raise UsageError(f"{where} has no 'qasm' string: add the circuit's OpenQASM text")
        if "counts" not in r:
            raise UsageError(f"{where} has no 'counts': add the counts the device returned")
        heavy = r.get("heavy_outputs")
        out.append(
            Entry(
                name=name,
                qasm=r["qasm"],
                counts=_parse_counts(r["counts"], where),
                heavy_outputs=None if heavy is None else _parse_heavy(heavy, where),
            )
        )
    return tuple(out)


def _counts_for(names: Sequence[str], source: Path) -> dict[str, dict[str, int]]:
    """Counts per circuit name from a counts file or folder."""
    if not source.exists():
        raise UsageError(f"no counts at {source}: pass --counts with a file or a folder")
    if source.is_dir():
        files = [p for p in source.iterdir() if p.is_file() and p.suffix in _COUNTS_SUFFIXES]
        stems = {p.stem: p for p in files}
        if len(stems) != len(files):
            raise UsageError(f"{source} holds two counts files of one stem: keep one per circuit")
        orphans = sorted(set(stems) - set(names), key=natural_key)
        if orphans:
            raise UsageError(
                f"counts file {stems[orphans[0]]} has no circuit (no {orphans[0]}.qasm): "
                "remove it or add its circuit"
            )
        missing = [n for n in names if n not in stems]
        if missing:
            raise UsageError(
                f"circuit {missing[0]!r} has no counts file in {source}: add {missing[0]}.json"
            )
        return {n: _parse_counts(_load_text(stems[n], "counts file"), str(stems[n])) for n in names}
    return _match(names, _load_text(source, "counts file"), str(source), _parse_counts)


def _heavy_for(names: Sequence[str], source: Path) -> dict[str, tuple[str, ...]]:
    if not source.is_file():
        raise UsageError(f"no heavy outputs file at {source}: pass --heavy with a JSON file")
    return _match(names, _load_text(source, "heavy outputs file"), str(source), _parse_heavy)


def _match(names: Sequence[str], values: Any, where: str, parse: Any) -> dict[str, Any]:
    """``values`` (an object keyed by circuit name, or a list in circuit order) by name."""
    if isinstance(values, dict):
        orphans = sorted(set(map(str, values)) - set(names), key=natural_key)
        if orphans:
            raise UsageError(
                f"{where}: entry {orphans[0]!r} has no circuit of that name; "
                "key entries by circuit name (file stem) or list them in circuit order"
            )
        missing = [n for n in names if n not in values]
        if missing:
            raise UsageError(f"{where}: circuit {missing[0]!r} has no entry; add one")
        return {n: parse(values[n], f"{where} [{n!r}]") for n in names}
    if isinstance(values, list):
        if len(values) != len(names):
            raise UsageError(
                f"{where} lists {len(values)} entries for {len(names)} circuits: "
                "give one per circuit, in circuit order"
            )
        return {
            n: parse(v, f"{where} [{i}]")
            for i, (n, v) in enumerate(zip(names, values, strict=True))
        }
    raise UsageError(f"{where} must be an object keyed by circuit name or a list, not {values!r}")


def _key(raw: Any, where: str) -> str:
    if not isinstance(raw, str):
        raise UsageError(f"{where}: outcome {raw!r} is not a bitstring; write outcomes as '0101'")
    key = raw.replace(" ", "")
    if not (_BITSTRING.match(key) or _HEX.match(key)):
        raise UsageError(
            f"{where}: outcome {raw!r} is not a bitstring of 0s and 1s (or 0x hex); fix the file"
        )
    return key


def _parse_counts(raw: Any, where: str) -> dict[str, int]:
    """One circuit's counts: ``{bitstring: count}`` or a list of per-shot bitstrings."""
    if isinstance(raw, list):
        out: dict[str, int] = dict(Counter(_key(s, where) for s in raw))
    elif isinstance(raw, Mapping):
        out = {}
        for k, v in raw.items():
            key = _key(k, where)
            if isinstance(v, bool) or not isinstance(v, int):
                raise UsageError(
                    f"{where}: the count of {k!r} is {v!r}, not a whole number; "
                    "counts are shots, write them as integers"
                )
            if v < 0:
                raise UsageError(f"{where}: the count of {k!r} is negative ({v}); fix the file")
            if key in out:
                raise UsageError(f"{where}: outcome {k!r} appears twice; merge its counts")
            out[key] = v
    else:
        raise UsageError(
            f"{where}: counts must be an object {{bitstring: count}} or a list of per-shot "
            f"bitstrings, not {type(raw).__name__}"
        )
    if sum(out.values()) == 0:
        raise UsageError(f"{where}: zero shots; a circuit needs at least one counted shot")
    return out


def _parse_heavy(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise UsageError(f"{where}: heavy outputs must be a list of bitstrings")
    return tuple(_key(s, where) for s in raw)


# -- writing ----------------------------------------------------------------------------------


def dataset_document(dataset: DataSet) -> dict[str, Any]:
    """The JSON records layout of ``dataset`` (what ``quantumlimits export`` writes)."""
    circuits = []
    for e in dataset.entries:
        record: dict[str, Any] = {"name": e.name, "qasm": e.qasm, "counts": dict(e.counts)}
        if e.heavy_outputs is not None:
            record["heavy_outputs"] = list(e.heavy_outputs)
        circuits.append(record)
    meta = {k: dataset.metadata[k] for k in METADATA_KEYS if dataset.metadata.get(k) is not None}
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION, **meta}
    if dataset.calibration is not None:
        document[CALIBRATION_KEY] = {
            "zeros": dict(dataset.calibration.zeros),
            "ones": dict(dataset.calibration.ones),
        }
    return {**document, "circuits": circuits}


def dataset_text(dataset: DataSet) -> str:
    """:func:`dataset_document` as JSON text (one line per circuit field is not promised)."""
    return json.dumps(dataset_document(dataset), indent=1) + "\n"
