"""Benchmark options shared by every suite in bench/.

``--quick`` shrinks each benchmark to a smoke size that CI can afford; figures for
docs/performance.md come from full runs (``make bench``).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        default=False,
        help="smoke-size benchmarks (few circuits, few rounds): checks they run, not their speed",
    )


@pytest.fixture
def quick(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--quick"))
