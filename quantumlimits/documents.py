"""The JSON documents every result type writes: strict JSON, a ``schema`` number, exact round trip.

A result class defines ``to_dict`` and ``from_dict`` and inherits the text form from
:class:`Document`; :func:`check_schema` gives every reader the same refusal of other versions.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

T = TypeVar("T", bound="Document")


def dumps(document: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text (NaN and infinities are refused, not written).

    >>> dumps({"a": 1}, indent=None)
    '{"a": 1}'
    """
    return json.dumps(document, indent=indent, allow_nan=False)


def check_schema(document: dict[str, Any], *, expected: int, kind: str) -> None:
    """Refuse a document of another schema version with a message that says what to do.

    >>> check_schema({"schema": 2}, expected=1, kind="qv.json")
    Traceback (most recent call last):
    ...
    ValueError: qv.json document has schema 2; this quantumlimits reads schema 1: upgrade \
quantumlimits, or read it with the version that wrote it
    """
    found = document.get("schema")
    if found != expected:
        raise ValueError(
            f"{kind} document has schema {found!r}; this quantumlimits reads schema {expected}: "
            "upgrade quantumlimits, or read it with the version that wrote it"
        )


class Document:
    """Mixin: ``to_json``/``from_json`` from a class's ``to_dict``/``from_dict``."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @classmethod
    def from_dict(cls: type[T], d: dict[str, Any]) -> T:  # pragma: no cover
        raise NotImplementedError

    def to_json(self, *, indent: int | None = 2) -> str:
        """The JSON document as text."""
        return dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        """Parse a JSON document."""
        return cls.from_dict(json.loads(text))


def run_record(d: dict[str, Any]) -> dict[str, Any]:
    """The fields every scan's document shares (qv.json, mirror.json), typed for ``cls(**...)``:
    ``backend``, ``calibration_date``, ``seed``, ``settings``, ``versions``, ``provenance``,
    ``timings``, ``run_id`` and ``schema``."""
    return {
        "backend": str(d["backend"]),
        "calibration_date": d.get("calibration_date"),
        "seed": int(d["seed"]),
        "settings": dict(d["settings"]),
        "versions": dict(d["versions"]),
        "provenance": dict(d["provenance"]),
        "timings": {k: float(v) for k, v in d["timings"].items()},
        "run_id": d.get("run_id"),
        "schema": int(d["schema"]),
    }
