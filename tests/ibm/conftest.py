"""Fixtures for the offline IBM tests: a fake 'cloud' and executors over faulty transports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ibm_faults import LIMITS, PLANTED, Cloud, Faults, FaultyTransport

from quantumlimits.execution.ibm import IBMExecutor, RetryPolicy
from quantumlimits.store import ResultsStore


@pytest.fixture
def local_ibm(monkeypatch: pytest.MonkeyPatch) -> None:
    """ibm_* names run on fake_manila in local testing mode, with the planted token set."""
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    monkeypatch.setenv("QUANTUMLIMITS_IBM_LOCAL", "fake_manila")


@pytest.fixture
def cloud() -> Cloud:
    return Cloud()


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    with ResultsStore(tmp_path / "ibm.sqlite") as s:
        yield s


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_executor(
    cloud: Cloud, sleeps: list[float]
) -> Callable[..., tuple[IBMExecutor, FaultyTransport]]:
    def make(faults: Faults | None = None, **kw: Any) -> tuple[IBMExecutor, FaultyTransport]:
        transport = FaultyTransport(cloud, faults, token=PLANTED)
        kw.setdefault("limits", LIMITS)
        kw.setdefault("retry", RetryPolicy(attempts=4, base_seconds=1, factor=2, cap_seconds=3))
        ex = IBMExecutor(
            "ibm_manila",
            transport=transport,
            poll_seconds=0.02,
            max_poll_seconds=0.05,
            sleep=sleeps.append,
            secrets=[PLANTED],
            **kw,
        )
        return ex, transport

    return make
