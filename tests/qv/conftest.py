"""Fixtures for the QV tests."""

from __future__ import annotations

import importlib
import sys
import types

import pytest

#: Sibling subcommand modules that cli.build_parser imports; they live on other branches.
CLI_SIBLINGS = ("qv", "backends", "circuits", "history")


@pytest.fixture
def cli_main(monkeypatch):
    """``quantumlimits.cli.main``, with empty stand-ins for subcommand modules not on this branch.

    The dispatcher imports every subcommand module; until the branches are merged some are
    missing here. A stand-in registers nothing, so the subcommand under test runs unchanged.
    """
    import quantumlimits.cli as cli

    for name in CLI_SIBLINGS:
        full = f"quantumlimits.cli.{name}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError:
            stub = types.ModuleType(full)
            stub.add_parser = lambda subparsers: None  # type: ignore[attr-defined]
            monkeypatch.setitem(sys.modules, full, stub)
            monkeypatch.setattr(cli, name, stub, raising=False)
    return cli.main
