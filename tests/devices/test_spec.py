"""Parsing and validating device specs: every problem is one line naming the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quantumlimits import devices
from quantumlimits.devices.spec import load_spec_file, parse_spec
from quantumlimits.errors import UsageError
from tests.devices.conftest import toml_text


def test_a_complete_spec_parses(toy: dict[str, Any]) -> None:
    spec = parse_spec(toy)
    assert spec.label == "toy@2024-01-02"
    assert spec.all_to_all and len(spec.coupled_pairs()) == 4 * 3
    assert spec.number("memory") == 0.03
    assert spec.readout_error == pytest.approx(0.035)
    spec.require_noise()


def test_a_spec_file_round_trips(tmp_path: Path, toy: dict[str, Any]) -> None:
    path = tmp_path / "toy.toml"
    path.write_text(toml_text(toy))
    assert load_spec_file(path) == parse_spec(toy)


def _broken(toy: dict[str, Any], change: str) -> dict[str, Any]:
    if change == "format":
        toy["format"] = "quantumlimits.device-spec/9"
    elif change == "two_qubit absent":
        del toy["errors"]["two_qubit"]
    elif change == "unknown source":
        toy["errors"]["two_qubit"]["source"] = "blog"
    elif change == "percent":
        toy["errors"]["two_qubit"]["value"] = 1.2
    elif change == "bare number":
        toy["errors"]["single_qubit"] = 0.001
    elif change == "gate":
        toy["gates"]["two_qubit"] = "ms"
    elif change == "connectivity":
        toy["connectivity"] = "ring"
    elif change == "edge":
        toy["connectivity"] = "edges"
        toy["edges"] = [[0, 1], [1, 7]]
    elif change == "date":
        toy["date"] = "last spring"
    elif change == "durations absent":
        toy["missing"] = []
    elif change == "given and missing":
        toy["missing"] = ["durations", "errors.memory"]
    elif change == "unknown key":
        toy["fidelity"] = 0.99
    return toy


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("format", ["format", "quantumlimits.device-spec/1"]),
        ("two_qubit absent", ["errors.two_qubit is absent", "missing"]),
        ("unknown source", ["'blog'", "[sources]"]),
        ("percent", ["errors.two_qubit = 1.2", "probability"]),
        ("bare number", ["errors.single_qubit must be a table", "source"]),
        ("gate", ["gates.two_qubit = 'ms'", "rzz"]),
        ("connectivity", ["'ring'", "all-to-all"]),
        ("edge", ["[1, 7]", "below 4"]),
        ("date", ["'last spring'", "YYYY-MM-DD"]),
        ("durations absent", ["[durations] is absent", 'missing = ["durations"]']),
        ("given and missing", ["errors.memory is given and listed as missing"]),
        ("unknown key", ["unknown keys ['fidelity']"]),
    ],
)
def test_malformed_specs_name_the_field_and_the_fix(
    toy: dict[str, Any], change: str, words: list[str]
) -> None:
    with pytest.raises(UsageError) as info:
        parse_spec(_broken(toy, change), where="toy.toml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("device spec toy.toml: ")
    for word in words:
        assert word in message


def test_bad_toml_and_absent_files_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('format = "quantumlimits.device-spec/1"\nqubits = = 3\n')
    with pytest.raises(UsageError, match="not valid TOML"):
        load_spec_file(bad)
    with pytest.raises(UsageError, match="cannot read device spec"):
        load_spec_file(tmp_path / "absent.toml")


def test_missing_figures_are_refused_by_what_needs_them(toy: dict[str, Any]) -> None:
    del toy["errors"]["memory"]
    toy["missing"] = ["durations", "errors.memory"]
    spec = parse_spec(toy)
    with pytest.raises(UsageError, match=r"does not give errors\.memory .* noise model needs"):
        spec.require_noise()
    with pytest.raises(UsageError, match=r"durations\.two_qubit, which limits needs"):
        spec.duration("two_qubit", needed_for="limits")


def test_shipped_specs_cite_every_number() -> None:
    specs = devices.shipped_specs()
    assert {"honeywell_h0@2020-06-20", "quantinuum_h1_1@2024-04-10"} <= set(specs)
    machines = {s.name for s in specs.values()}
    assert machines == {
        "honeywell_h0",
        "quantinuum_h1_1",
        "quantinuum_h1_2",
        "quantinuum_h2_1",
        "quantinuum_h2_2",
    }
    for spec in specs.values():
        for figure in [*spec.errors.values(), *spec.durations.values()]:
            assert figure.source in spec.sources
    h1 = specs["quantinuum_h1_1@2024-04-10"]
    # the published numbers, unchanged (spec sheet 2024_04_10 H1-1; emulator p_meas_0/1)
    assert (h1.number("single_qubit"), h1.number("two_qubit"), h1.number("memory")) == (
        2.4e-5,
        9.3e-4,
        2.1e-4,
    )
    assert (h1.number("readout_0to1"), h1.number("readout_1to0")) == (0.001, 0.004)
    assert h1.qubits == 20 and h1.all_to_all and h1.two_qubit_gate == "rzz"


def test_names_resolve_and_mistakes_are_explained() -> None:
    assert devices.load_spec("honeywell_h0").label == "honeywell_h0@2020-06-20"
    assert devices.is_spec_name("quantinuum_h1_1@2024-04-10")
    assert not devices.is_spec_name("fake_torino")
    with pytest.raises(UsageError, match="several dates: name one of quantinuum_h1_1@2022-06-09"):
        devices.load_spec("quantinuum_h1_1")
    with pytest.raises(UsageError, match="no spec dated 2019-01-01"):
        devices.load_spec("quantinuum_h1_1@2019-01-01")
    with pytest.raises(UsageError, match="did you mean quantinuum_h1_1@"):
        devices.load_spec("quantinum_h1_1@2024-04-10")
