"""Shared fixtures: every test writes its store under tmp_path, never in the user's home."""

from __future__ import annotations

from pathlib import Path

import pytest


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
    accounts = tmp_path / "qiskit-ibm.json"
    monkeypatch.setattr(management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(accounts))
    return accounts
