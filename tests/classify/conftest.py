"""Fixtures for the classifier tests.

The command-line dispatcher imports every subcommand module; on a branch where another subcommand
(qv, backends, circuits, history) is not written yet, a stub that registers nothing stands in so
the ``classify`` subcommand can be tested in-process. Where the real module exists it is used.
"""

from __future__ import annotations

import importlib
import sys
import types

import quantumlimits.cli


def _stub_missing_subcommands() -> None:
    for name in ("qv", "backends", "circuits", "history"):
        full = f"quantumlimits.cli.{name}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
            stub = types.ModuleType(full)
            stub.add_parser = lambda subparsers: None  # type: ignore[attr-defined]
            sys.modules[full] = stub
            setattr(quantumlimits.cli, name, stub)


_stub_missing_subcommands()
