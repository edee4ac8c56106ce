"""The Dask session as a mapper, and what connect() accepts and refuses."""

from __future__ import annotations

import math
import socket
import sys

import pytest

from quantumlimits.errors import MissingExtraError, UsageError
from quantumlimits.execution import dask as qdask
from quantumlimits.execution.dask import DaskSession, DaskSpec, connect, parse_spec, resolve_spec


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("local", DaskSpec()),
        ("LOCAL:3", DaskSpec(workers=3)),
        (" tcp://10.1.2.3:8786 ", DaskSpec(address="tcp://10.1.2.3:8786")),
        ("tls://sched.example:8786", DaskSpec(address="tls://sched.example:8786")),
    ],
)
def test_parse_spec(text: str, spec: DaskSpec) -> None:
    assert parse_spec(text) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("local:0", "at least 1"),
        ("local:two", "not a number of workers"),
        ("tcp://host", "host and a port"),
        ("http://host:8786", "not understood"),
        ("cluster", "not understood"),
    ],
)
def test_bad_spec_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_spec(text)


def test_flag_overrides_environment() -> None:
    env = {qdask.ENV_VAR: "tcp://10.0.0.1:8786"}
    assert resolve_spec(None, env=env) == DaskSpec(address="tcp://10.0.0.1:8786")
    assert resolve_spec("local:2", env=env) == DaskSpec(workers=2)
    assert resolve_spec("off", env=env) is None
    assert resolve_spec(None, env={qdask.ENV_VAR: " "}) is None


def test_missing_extra_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import distributed` raise ImportError, as when it is absent.
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'quantumlimits\[dask\]'"):
        connect("local:1")


def test_unreachable_scheduler_is_a_usage_error() -> None:
    with socket.socket() as s:  # a loopback port nobody listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UsageError, match="cannot reach a Dask scheduler"):
        connect(f"tcp://127.0.0.1:{port}", timeout=2)


def test_results_come_back_in_item_order(two_workers: DaskSession) -> None:
    values = [float(v) for v in (81, 0, 49, 4, 1, 100, 9)]
    assert list(two_workers.map(math.sqrt, values)) == [math.sqrt(v) for v in values]
    assert list(two_workers.map(math.sqrt, [])) == []


def test_a_task_error_is_raised_to_the_caller(two_workers: DaskSession) -> None:
    with pytest.raises(ValueError, match="math domain error"):
        list(two_workers.map(math.sqrt, [4.0, -1.0, 9.0]))


def test_cluster_is_described(two_workers: DaskSession) -> None:
    c = two_workers.describe()
    assert c["kind"] == "local" and c["workers"] == 2 and c["threads"] == 2
    assert c["scheduler"].startswith("tcp://127.0.0.1:")
    assert c["omp_num_threads"] == ["1"], "Aer's OpenMP pool must be one thread per worker"
    assert c["worker_saturation"] == 1.0, "one task per worker thread at a time"
    assert len(c["memory_limit_bytes"]) == 1 and c["memory_limit_bytes"][0] > 0
    assert two_workers.task_memory_bytes == c["memory_limit_bytes"][0]


def test_version_mismatch_is_refused(
    two_workers: DaskSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantumlimits import provenance

    real = provenance.versions
    monkeypatch.setattr(
        provenance, "versions", lambda names=(): {**real(names), "qiskit-aer": "0.0.1"}
    )
    with pytest.raises(UsageError, match="qiskit-aer"):
        two_workers.check_versions()
