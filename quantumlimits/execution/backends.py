"""Backend names as users know them, resolved to Qiskit backends with calibration summaries.

* ``aer`` — the noiseless Aer simulator.
* ``fake_<device>`` — a calibration snapshot of a real IBM device from
  ``qiskit_ibm_runtime.fake_provider``, simulated with Aer and the device's noise model.
* ``ibm_<device>`` — an IBM Quantum cloud device, run through ``quantumlimits.execution.ibm``.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import json
import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quantumlimits.errors import UsageError

NOISELESS = "aer"
DEFAULT_BACKEND = "fake_torino"
TWO_QUBIT_GATES = ("cz", "ecr", "cx", "rzz")


@dataclass(frozen=True)
class BackendSummary:
    """A row of ``quantumlimits backends``: what a snapshot offers and how good it is."""

    name: str
    num_qubits: int
    two_qubit_gate: str | None
    median_two_qubit_error: float | None
    median_readout_error: float | None
    calibration_date: str | None


@functools.cache
def _snapshot_classes() -> dict[str, type]:
    """Fake backend classes by their Qiskit name, without instantiating any of them."""
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    classes: dict[str, type] = {}
    for attr in dir(fake_provider):
        cls = getattr(fake_provider, attr)
        if isinstance(cls, type) and issubclass(cls, FakeBackendV2) and cls is not FakeBackendV2:
            name = getattr(cls, "backend_name", None)
            if isinstance(name, str) and name.startswith("fake_"):
                classes[name] = cls
    return classes


@functools.cache
def snapshot_names() -> tuple[str, ...]:
    """Names of every calibration snapshot in the installed fake provider, sorted (read from
    the summary cache: no import of the fake provider once it is written)."""
    return tuple(s.name for s in snapshot_summaries())


def known_names() -> tuple[str, ...]:
    """Every backend name ``qv`` accepts offline (``.toml`` spec paths besides)."""
    from quantumlimits import devices

    return (NOISELESS, *snapshot_names(), *devices.spec_names())


def is_spec_name(name: str) -> bool:
    """Whether ``name`` names a device spec (``quantinuum_h1_1@2024-04-10``, ``honeywell_h0``,
    ``path/to/device.toml``; see :mod:`quantumlimits.devices`)."""
    from quantumlimits import devices

    return devices.is_spec_name(name)


def suggest(name: str, names: tuple[str, ...] | None = None) -> str:
    """A hint naming the closest of ``names`` (default: every known backend) to a mistyped
    ``name``."""
    names = names if names is not None else known_names()
    close = difflib.get_close_matches(name.lower(), names, n=3, cutoff=0.5)
    if not close and not name.startswith("fake_"):
        close = difflib.get_close_matches(f"fake_{name.lower()}", names, n=3, cutoff=0.5)
    if close:
        return "did you mean " + ", ".join(close) + "?"
    return "run 'quantumlimits backends' to list them"


@functools.cache
def load_snapshot(name: str) -> Any:
    """The fake backend (a BackendV2 with a calibrated Target) called ``name``, or the backend
    of the device spec ``name`` names (:mod:`quantumlimits.devices`).

    Raises :class:`UsageError` with the closest names for an unknown one.
    """
    if is_spec_name(name):
        from quantumlimits import devices

        return devices.load_backend(name)
    if name not in snapshot_names():
        raise UsageError(f"unknown backend {name!r}: {suggest(name)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _snapshot_classes()[name]()


def is_cloud_name(name: str) -> bool:
    """Whether ``name`` names an IBM Quantum cloud device (``ibm_<device>``).

    >>> is_cloud_name("ibm_torino"), is_cloud_name("fake_torino")
    (True, False)
    """
    return name.startswith("ibm_") and len(name) > 4


def check_backend_name(name: str) -> str:
    """Validate a backend name from the command line and return it.

    ``ibm_<device>`` names are accepted here; whether the account can use that device is only
    known once connected (``quantumlimits.execution.ibm``).
    """
    if name == NOISELESS or name in snapshot_names() or is_cloud_name(name):
        return name
    if is_spec_name(name):
        from quantumlimits import devices

        devices.load_spec(name)  # a malformed spec or an ambiguous machine fails here
        return name
    raise UsageError(f"unknown backend {name!r}: {suggest(name)}")


def calibration_date(backend: Any) -> str | None:
    """The snapshot's calibration date as ISO 8601 (a device spec's date), or None when it has
    none."""
    spec = getattr(backend, "spec", None)
    if spec is not None and hasattr(spec, "date"):
        return str(spec.date)
    try:
        props = backend.properties()
    except Exception:  # some snapshots carry no BackendProperties
        return None
    if props is None or getattr(props, "last_update_date", None) is None:
        return None
    return str(props.last_update_date.isoformat())


def two_qubit_gate(target: Any) -> str | None:
    """The native two-qubit gate of a target (cz, ecr or cx), or None."""
    for gate in TWO_QUBIT_GATES:
        if gate in target.operation_names:
            return gate
    return None


def edge_errors(target: Any) -> dict[tuple[int, int], float]:
    """Two-qubit gate error per undirected edge (the better direction when both exist)."""
    gate = two_qubit_gate(target)
    errors: dict[tuple[int, int], float] = {}
    if gate is None:
        return errors
    for qargs, props in target[gate].items():
        if qargs is None or len(qargs) != 2:
            continue
        err = props.error if props is not None and props.error is not None else 1.0
        edge = (min(qargs), max(qargs))
        errors[edge] = min(err, errors.get(edge, 1.0))
    return errors


def readout_errors(target: Any) -> np.ndarray:
    """Readout error per qubit (1.0 where the snapshot has none)."""
    out = np.ones(target.num_qubits)
    if "measure" not in target.operation_names:
        return out
    for qargs, props in target["measure"].items():
        if qargs is not None and props is not None and props.error is not None:
            out[qargs[0]] = props.error
    return out


def calibration_problems(target: Any) -> list[str]:
    """What makes a snapshot's calibration say nothing about its device (empty when sound).

    Some snapshots carry placeholder calibrations: fake_kyoto has every coupler at error 1.0. A
    few couplers at 1.0 are normal (broken couplers; layouts avoid them); most of them are not.

    >>> from quantumlimits.execution.backends import load_snapshot
    >>> calibration_problems(load_snapshot("fake_torino").target)
    []
    """
    problems = []
    errors = list(edge_errors(target).values())
    broken = sum(e >= 1.0 for e in errors)
    if errors and broken > len(errors) / 2:
        problems.append(
            f"{broken} of its {len(errors)} couplers have two-qubit error 1.0 (a placeholder "
            "calibration)"
        )
    readout = readout_errors(target)
    if readout.size and float(np.median(readout)) >= 0.5:
        problems.append(f"its median readout error is {float(np.median(readout)):.2f}")
    return problems


def summarize(name: str) -> BackendSummary:
    """Calibration summary of the snapshot ``name``, read from the snapshot's own JSON files.

    No backend or Target is built (that takes about half a second per snapshot); the figures
    are the ones :func:`edge_errors`, :func:`readout_errors` and :func:`calibration_date` give on
    the built snapshot (a test holds them equal).
    """
    if name not in _snapshot_classes():
        raise UsageError(f"unknown backend {name!r}: {suggest(name)}")
    return _summary_from_files(name, _snapshot_classes()[name])


def _summary_from_files(name: str, cls: Any) -> BackendSummary:
    folder = Path(cls.dirname)
    conf = json.loads((folder / cls.conf_filename).read_text())
    props_name = getattr(cls, "props_filename", None)
    props: dict[str, Any] = {}
    if props_name and (folder / props_name).exists():
        props = json.loads((folder / props_name).read_text())
    n = int(conf["n_qubits"])
    gates = props.get("gates", [])
    names = set(conf.get("basis_gates", [])) | {g["gate"] for g in gates}
    gate = next((g for g in TWO_QUBIT_GATES if g in names), None)
    edges: dict[tuple[int, int], float] = {}
    for g in gates:
        if g["gate"] != gate or len(g["qubits"]) != 2:
            continue
        err = _parameter(g["parameters"], "gate_error")
        edge = (min(g["qubits"]), max(g["qubits"]))
        edges[edge] = min(1.0 if err is None else err, edges.get(edge, 1.0))
    readout = np.ones(n)
    for q, parameters in enumerate(props.get("qubits", [])[:n]):
        err = _parameter(parameters, "readout_error")
        if err is not None:
            readout[q] = err
    date = props.get("last_update_date")
    return BackendSummary(
        name=name,
        num_qubits=n,
        two_qubit_gate=gate,
        median_two_qubit_error=float(np.median(list(edges.values()))) if edges else None,
        median_readout_error=float(np.median(readout)) if readout.size else None,
        calibration_date=datetime.datetime.fromisoformat(date).isoformat() if date else None,
    )


def _parameter(parameters: list[dict[str, Any]], name: str) -> float | None:
    return next((float(p["value"]) for p in parameters if p.get("name") == name), None)


SUMMARY_CACHE_FORMAT = 1


def cache_dir() -> Path:
    """``$QUANTUMLIMITS_CACHE_DIR``, else ``$XDG_CACHE_HOME/quantumlimits``, else
    ``~/.cache/quantumlimits``: files the package can rebuild at any time."""
    explicit = os.environ.get("QUANTUMLIMITS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quantumlimits"


@functools.cache
def snapshot_summaries() -> tuple[BackendSummary, ...]:
    """Summaries of every snapshot, sorted by name, as ``quantumlimits backends`` lists them
    (read once per process by :func:`load_summaries`)."""
    return load_summaries()


def load_summaries() -> tuple[BackendSummary, ...]:
    """The snapshots' summaries from the cache file, or built from the snapshots and written.

    Read from a cache file keyed by the versions of qiskit-ibm-runtime (which ships the
    snapshots) and of this package, so a listing costs no import of the fake provider. A cache
    that is missing, unreadable or malformed is rebuilt from the snapshots' files, never trusted;
    a cache that cannot be written (a read-only home) is skipped.
    """
    key = _cache_key("qiskit-ibm-runtime")
    path = cache_dir() / f"snapshots-{key}.json"
    cached = _read_summaries(path, key)
    if cached is not None:
        return tuple(cached)
    summaries = [summarize(name) for name in sorted(_snapshot_classes())]
    document = {
        "format": SUMMARY_CACHE_FORMAT,
        "key": key,
        "summaries": [dataclasses.asdict(s) for s in summaries],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(document))
        os.replace(tmp, path)
    except OSError:
        pass
    return tuple(summaries)


def _cache_key(*distributions: str) -> str:
    """This package's version and the installed versions of ``distributions``, joined."""
    from importlib import metadata

    from quantumlimits import __version__

    return "-".join([*(metadata.version(d) for d in distributions), __version__])


@functools.cache
def snapshot_target(name: str) -> Any:
    """The calibrated Target of the snapshot ``name``, as ``load_snapshot(name).target`` builds
    it, from a pickle in :func:`cache_dir` keyed by the versions of qiskit, qiskit-ibm-runtime
    and this package: a cached snapshot is not rebuilt from its JSON files (about 0.3 s for a
    133-qubit device; 5 ms unpickled). A pickle that is unreadable, of another version or
    not a Target of that snapshot is rebuilt from the snapshot; one that cannot be written is
    skipped. A device spec's Target is built from its spec (a small file), not cached.
    """
    if is_spec_name(name):
        return load_snapshot(name).target
    if name not in snapshot_names():
        raise UsageError(f"unknown backend {name!r}: {suggest(name)}")
    from qiskit.transpiler import Target

    path = cache_dir() / "targets" / f"{name}-{_cache_key('qiskit', 'qiskit-ibm-runtime')}.pickle"
    try:
        with open(path, "rb") as handle:
            target = pickle.load(handle)
        if isinstance(target, Target) and target.num_qubits == _summary(name).num_qubits:
            return target
    except Exception:  # missing, truncated or foreign: rebuilt below, never trusted
        pass
    target = load_snapshot(name).target
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(target, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass
    return target


def snapshot_calibration_date(name: str) -> str | None:
    """The snapshot's calibration date, as :func:`calibration_date` gives it on the built
    snapshot (read from the summary cache), or a device spec's date."""
    if is_spec_name(name):
        return calibration_date(load_snapshot(name))
    return _summary(name).calibration_date


def _summary(name: str) -> BackendSummary:
    return next(s for s in snapshot_summaries() if s.name == name)


def _read_summaries(path: Path, key: str) -> list[BackendSummary] | None:
    try:
        document = json.loads(path.read_text())
        if document["format"] != SUMMARY_CACHE_FORMAT or document["key"] != key:
            return None
        summaries = [BackendSummary(**row) for row in document["summaries"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for s in summaries:  # types as written, or rebuild
        if not (
            isinstance(s.name, str)
            and s.name.startswith("fake_")
            and isinstance(s.num_qubits, int)
            and isinstance(s.two_qubit_gate, (str, type(None)))
            and isinstance(s.median_two_qubit_error, (float, type(None)))
            and isinstance(s.median_readout_error, (float, type(None)))
            and isinstance(s.calibration_date, (str, type(None)))
        ):
            return None
    return summaries


class TargetKey:
    """Hashes a Target by identity, so what is derived from it is cached per snapshot object
    (``functools.lru_cache`` keys; the key keeps its target alive while cached)."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def __hash__(self) -> int:
        return id(self.target)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TargetKey) and other.target is self.target
