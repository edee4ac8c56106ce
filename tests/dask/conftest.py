"""Dask fixtures: LocalClusters on 127.0.0.1 only, worker processes, always shut down.

Clusters are module-scoped where tests only read them; a test that kills a worker starts its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("distributed")

from quantumlimits.execution.dask import DaskSession, connect

#: Seconds any start-up or shut-down may take before the fixture fails instead of hanging.
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def one_worker() -> Iterator[DaskSession]:
    # 2 GiB: small enough that a width this machine could simulate is refused on the worker.
    with connect("local:1", timeout=TIMEOUT, memory_limit="2GiB") as session:
        yield session


@pytest.fixture(scope="module")
def two_workers() -> Iterator[DaskSession]:
    with connect("local:2", timeout=TIMEOUT) as session:
        yield session


@pytest.fixture
def expendable_workers() -> Iterator[DaskSession]:
    """Two workers of its own, for a test that kills one."""
    with connect("local:2", timeout=TIMEOUT) as session:
        yield session
