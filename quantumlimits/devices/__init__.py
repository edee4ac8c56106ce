"""Devices described by published specifications (docs/devices.md).

Names a user passes as ``--backend``:

* ``<machine>@<date>`` — a shipped spec, e.g. ``quantinuum_h1_1@2024-04-10``;
* ``<machine>`` — the shipped spec of that machine when it has a single date
  (``honeywell_h0``); a machine with several dates asks for one;
* a path ending in ``.toml`` — a user's own spec.

>>> "quantinuum_h1_1@2024-04-10" in spec_names()
True
>>> load_spec("quantinuum_h1_1@2024-04-10").errors["two_qubit"].value
0.00093
"""

from __future__ import annotations

import difflib
import functools
from importlib import resources
from pathlib import Path

from quantumlimits.devices.spec import FORMAT, DeviceSpec, load_spec_file, parse_spec
from quantumlimits.devices.target import SpecBackend, build_target, insert_memory, spec_of
from quantumlimits.errors import UsageError

__all__ = [
    "FORMAT",
    "DeviceSpec",
    "SpecBackend",
    "build_target",
    "insert_memory",
    "is_spec_name",
    "load_backend",
    "load_spec",
    "load_spec_file",
    "parse_spec",
    "shipped_specs",
    "spec_names",
    "spec_of",
]


@functools.cache
def shipped_specs() -> dict[str, DeviceSpec]:
    """Every spec shipped with the package, by ``name@date``."""
    out: dict[str, DeviceSpec] = {}
    folder = resources.files("quantumlimits.devices") / "data"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            with resources.as_file(entry) as path:
                spec = load_spec_file(path)
            out[spec.label] = spec
    return out


def spec_names() -> tuple[str, ...]:
    """``name@date`` of every shipped spec, sorted, then the bare names of single-date machines."""
    labels = sorted(shipped_specs())
    machines: dict[str, list[str]] = {}
    for spec in shipped_specs().values():
        machines.setdefault(spec.name, []).append(spec.label)
    single = sorted(name for name, dates in machines.items() if len(dates) == 1)
    return (*labels, *single)


def _is_path(name: str) -> bool:
    return name.endswith(".toml")


def is_spec_name(name: str) -> bool:
    """Whether ``name`` names a device spec (shipped, bare machine name, or a ``.toml`` path)."""
    if _is_path(name):
        return True
    base = name.split("@", 1)[0]
    return any(spec.name == base for spec in shipped_specs().values())


def load_spec(name: str) -> DeviceSpec:
    """The spec ``name`` names (see the module docstring); one-line :class:`UsageError` else."""
    if _is_path(name):
        return load_spec_file(name)
    specs = shipped_specs()
    if name in specs:
        return specs[name]
    base, _, date = name.partition("@")
    dates = sorted(s.label for s in specs.values() if s.name == base)
    if not dates:
        close = difflib.get_close_matches(name, spec_names(), n=3, cutoff=0.5)
        hint = "did you mean " + ", ".join(close) + "?" if close else "run 'quantumlimits backends'"
        raise UsageError(f"unknown device spec {name!r}: {hint}")
    if not date and len(dates) == 1:
        return specs[dates[0]]
    what = f"has no spec dated {date}" if date else "has specs of several dates"
    raise UsageError(f"{base} {what}: name one of {', '.join(dates)}")


@functools.cache
def load_backend(name: str) -> SpecBackend:
    """The backend of the spec ``name`` (cached per name: its target is built once).

    Every command that loads a backend simulates or predicts with its noise, so a spec that
    lists a noise figure as missing is refused here, with one line naming the figure.
    """
    spec = load_spec(name)
    spec.require_noise()
    return SpecBackend(spec)


def default_data_dir() -> Path:
    """The folder holding the shipped specs."""
    return Path(str(resources.files("quantumlimits.devices") / "data"))
