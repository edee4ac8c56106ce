"""Credentials through qiskit-ibm-runtime's account handling, without network."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from ibm_faults import PLANTED
from qiskit_ibm_runtime import QiskitRuntimeService

from quantumlimits.errors import UsageError
from quantumlimits.execution import ibm


def test_missing_credentials_say_how_to_set_them_up() -> None:
    with pytest.raises(UsageError) as info:
        ibm.resolve_credentials()
    message = str(info.value)
    assert "QISKIT_IBM_TOKEN" in message and "save_account" in message and "\n" not in message


def test_the_environment_token_and_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:bluemix:public:quantum-computing::a/1::")
    creds = ibm.resolve_credentials()
    assert creds.source == "QISKIT_IBM_TOKEN"
    assert creds.instance is not None and creds.instance.startswith("crn:v1")
    assert PLANTED not in repr(creds) and PLANTED not in creds.describe()


@pytest.mark.parametrize(
    "token",
    [" ", "short", PLANTED + " trailing", f'"{PLANTED}"', PLANTED[:10] + "\n" + PLANTED[10:]],
)
def test_malformed_tokens_are_refused_without_echo(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", token)
    with pytest.raises(UsageError) as info:
        ibm.resolve_credentials()
    message = str(info.value)
    assert "QISKIT_IBM_TOKEN" in message
    assert "empty" in message or "malformed" in message
    assert PLANTED[:10] not in message and "short" not in message and "\n" not in message


def test_saved_accounts_by_name_and_by_default(tmp_path: Path, _no_ibm_account: Path) -> None:
    QiskitRuntimeService.save_account(
        token=PLANTED,
        channel="ibm_quantum_platform",
        instance="crn:v1:bluemix:public:quantum-computing:us-east:a/2::",
        name="lab",
        filename=str(_no_ibm_account),
    )
    named = ibm.resolve_credentials(account="lab")
    assert named.account == "lab" and named.source == "saved account 'lab'"
    assert named.instance and named.instance.endswith("a/2::")
    default = ibm.resolve_credentials()  # the only saved account is found without a name
    assert default.account == "lab"
    with pytest.raises(UsageError, match="no saved IBM Quantum account named 'nope'"):
        ibm.resolve_credentials(account="nope")
    other = tmp_path / "elsewhere.json"
    with pytest.raises(UsageError, match="no IBM Quantum credentials"):
        ibm.resolve_credentials(filename=str(other))


def test_the_environment_wins_over_a_default_saved_account(
    monkeypatch: pytest.MonkeyPatch, _no_ibm_account: Path
) -> None:
    QiskitRuntimeService.save_account(
        token="saved" + PLANTED, channel="ibm_quantum_platform", filename=str(_no_ibm_account)
    )
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    assert ibm.resolve_credentials().source == "QISKIT_IBM_TOKEN"


def test_connecting_offline_fails_fast_with_one_line_and_no_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    creds = ibm.Credentials(source="QISKIT_IBM_TOKEN", token=PLANTED, instance=None)
    with caplog.at_level(logging.DEBUG), pytest.raises(UsageError) as info:
        ibm.connect(creds)
    message = str(info.value)
    assert "network error" in message and "\n" not in message
    assert PLANTED not in message and PLANTED not in caplog.text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_rejected_token_gets_the_setup_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from qiskit_ibm_runtime.accounts import InvalidAccountError

    def reject(**kwargs: object) -> None:
        raise InvalidAccountError(f"Invalid `token` value '{kwargs.get('token')}'.")

    monkeypatch.setattr("qiskit_ibm_runtime.QiskitRuntimeService", reject)
    creds = ibm.Credentials(source="QISKIT_IBM_TOKEN", token=PLANTED, instance=None)
    with pytest.raises(UsageError) as info:
        ibm.connect(creds)
    message = str(info.value)
    assert "rejected" in message and "QISKIT_IBM_TOKEN" in message
    assert PLANTED not in message and ibm.REDACTED in message


def test_redacting_filter_scrubs_library_logs(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("qiskit_ibm_runtime.api.session")
    with caplog.at_level(logging.DEBUG), ibm.redacted_logs([PLANTED]):
        log.debug("Authorization: Bearer %s", PLANTED)
    assert PLANTED not in caplog.text and ibm.REDACTED in caplog.text


def test_the_default_accounts_file_is_qiskit_ibm_runtimes(monkeypatch: pytest.MonkeyPatch) -> None:
    from qiskit_ibm_runtime.accounts import management

    from quantumlimits.execution.ibm import credentials

    monkeypatch.undo()  # the fixtures' redirection, to read both modules' own defaults
    assert credentials.DEFAULT_ACCOUNTS_FILE == management._DEFAULT_ACCOUNT_CONFIG_JSON_FILE


def test_an_empty_accounts_file_means_no_credentials(_no_ibm_account: Path) -> None:
    _no_ibm_account.write_text("{}")  # what qiskit-ibm-runtime leaves after its first look
    with pytest.raises(UsageError, match="no IBM Quantum credentials"):
        ibm.resolve_credentials()
    _no_ibm_account.write_text("{not json")
    with pytest.raises(UsageError):
        ibm.resolve_credentials()
