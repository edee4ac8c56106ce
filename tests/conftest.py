"""Shared fixtures: every test writes its store under tmp_path, never in the user's home."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Hypothesis keeps a cache in ./.hypothesis unless told otherwise: never in the checkout.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="quantumlimits-hypothesis-")
)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """pytest-benchmark makes its storage folder (./.benchmarks) at start-up: not in the
    checkout (the benches in bench/ save nothing there either unless asked)."""
    if str(getattr(config.option, "benchmark_storage", "")).endswith("./.benchmarks"):
        config.option.benchmark_storage = "file://" + tempfile.mkdtemp(
            prefix="quantumlimits-benchmarks-"
        )


_CHECKOUT = Path(__file__).resolve().parents[1]
# The environments the Makefile builds in the checkout (.venv, .venv-bench) are not the suite's.
_NOT_OURS = {
    ".git",
    ".venv",
    ".venv-bench",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}


def _checkout_files() -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(_CHECKOUT):
        dirs[:] = [d for d in dirs if d not in _NOT_OURS and not d.endswith(".egg-info")]
        found.update(os.path.join(folder, f) for f in files)
    return found


@pytest.fixture(scope="session", autouse=True)
def _checkout_untouched() -> Iterator[None]:
    """The suite writes only under tmp_path: no file appears in the checkout."""
    before = _checkout_files()
    yield
    added = sorted(_checkout_files() - before)
    assert not added, f"the tests wrote into the checkout: {added[:5]}"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder: relative default outputs (``results/...``) land there,
    never in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "default-store.sqlite"
    monkeypatch.setenv("QUANTUMLIMITS_STORE", str(path))
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "results.sqlite"


@pytest.fixture(autouse=True)
def _no_ibm_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the user's IBM Quantum credentials or saved accounts, or touches the cloud."""
    from qiskit_ibm_runtime.accounts import management

    for name in (
        "QISKIT_IBM_TOKEN",
        "QISKIT_IBM_INSTANCE",
        "QISKIT_IBM_CHANNEL",
        "QUANTUMLIMITS_IBM_LOCAL",
    ):
        monkeypatch.delenv(name, raising=False)
    from quantumlimits.execution.ibm import credentials

    accounts = tmp_path / "qiskit-ibm.json"
    monkeypatch.setattr(management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(accounts))
    monkeypatch.setattr(credentials, "DEFAULT_ACCOUNTS_FILE", str(accounts))
    return accounts


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_cache(_session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package's cache files go to one temporary folder for the session, never the home."""
    monkeypatch.setenv("QUANTUMLIMITS_CACHE_DIR", str(_session_cache))
    return _session_cache
