"""Fixtures for the QV tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest


@pytest.fixture
def cli_main() -> Callable[[Sequence[str] | None], int]:
    """``quantumlimits.cli.main``, called in-process."""
    from quantumlimits.cli import main

    return main
