"""Write one device spec per (machine, date) from Quantinuum's published parameter tables.

    python tools/quantinuum_specs.py /path/to/quantinuum-hardware-specifications/notebooks \
        quantumlimits/devices/data

Reads ``spec-sheet-parameters.csv`` and ``emulator-parameters.csv`` (CQCL/quantinuum-hardware-
specifications, Apache-2.0) and writes ``quantinuum_<machine>_<date>.toml``. Numbers are copied,
never adjusted: the spec sheet's 1Q and 2Q errors (the current definition, else the legacy one
when the current is blank), its transport 1Q error as the memory error per layer, and the
emulator table's ``p_meas_0`` / ``p_meas_1`` as the asymmetric readout flips. Qubit counts are the
machines' published counts at those dates (README of the data), cited as such.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

REPO = "CQCL/quantinuum-hardware-specifications"
COMMIT = "8881b5f09a79d7ead9ad1e1276657f1af08df27a"

#: Qubits per machine at the spec dates. The data's README gives "H1-1, H1-2 (20 qubits), H2-1,
#: H2-2 (32 then 56 qubits)"; H1-2 had 12 qubits in 2022 (Microsoft's Azure Quantum Quantinuum
#: provider page, MicrosoftDocs/quantum-docs articles/provider-quantinuum.md, ms.date 2023-03-01:
#: "H1-2 ... 12 qubits"); H2-1's 56-qubit upgrade came after its 2024-05-20 row.
QUBITS = {
    ("H1-1", "2022-06-09"): 20,
    ("H1-2", "2022-06-09"): 12,
    ("H1-1", "2023-01-20"): 20,
    ("H2-1", "2023-03-10"): 32,
    ("H1-1", "2023-07-17"): 20,
    ("H1-2", "2023-08-21"): 20,
    ("H1-1", "2024-04-10"): 20,
    ("H2-1", "2024-05-20"): 32,
    ("H2-2", "2024-12-06"): 56,
}

QUBIT_SOURCE = {
    key: "Microsoft Azure Quantum, Quantinuum provider page (2023-03-01): H1-2 has 12 qubits"
    if key == ("H1-2", "2022-06-09")
    else "data README: H1-1, H1-2 20 qubits; H2-1, H2-2 32 then 56 qubits"
    for key in QUBITS
}

_VALUE = re.compile(r"^([0-9.]+)(?:\(([0-9]+)\))?E([-+][0-9]+)$", re.IGNORECASE)


def _number(text: str) -> float | None:
    """``9.3(3)E-04`` -> 0.00093 (the uncertainty goes in the note), blank -> None."""
    text = text.strip()
    if not text:
        return None
    match = _VALUE.match(text)
    if match is None:
        return float(text)
    mantissa, _, exponent = match.groups()
    return float(f"{mantissa}e{exponent}")


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="") as f:
        return {(row["Machine"], row["Date"].replace("_", "-")): row for row in csv.DictReader(f)}


def write_specs(source: Path, out: Path) -> list[Path]:
    """Write every spec; returns the files written."""
    sheet = _rows(source / "spec-sheet-parameters.csv")
    emulator = _rows(source / "emulator-parameters.csv")
    written = []
    for (machine, date), row in sorted(sheet.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        emu = emulator[(machine, date)]
        one, one_col = _number(row["1Q error"]), "1Q error"
        if one is None:
            one, one_col = _number(row["1Q error (legacy)"]), "1Q error (legacy)"
        two, two_col = _number(row["2Q error"]), "2Q error"
        if two is None:
            two, two_col = _number(row["2Q error (legacy)"]), "2Q error (legacy)"
        memory = _number(row["Transport 1Q error"])
        slug = machine.lower().replace("-", "_")
        name = f"quantinuum_{slug}"
        sheet_cite = (
            f"Quantinuum, {REPO} (Apache-2.0), notebooks/spec-sheet-parameters.csv at commit "
            f"{COMMIT[:12]}, row {row['Date']} {machine}"
        )
        emu_cite = (
            f"Quantinuum, {REPO} (Apache-2.0), notebooks/emulator-parameters.csv at commit "
            f"{COMMIT[:12]}, row {row['Date']} {machine}"
        )
        readme = (
            f"README accompanying the copy of {REPO}'s tables these numbers were read from: "
            "H1-1, H1-2 20 qubits; H2-1, H2-2 32 then 56 qubits; all-to-all; native RZZ"
        )
        text = f"""format = "quantumlimits.device-spec/1"
name = "{name}"
machine = "Quantinuum {machine}"
date = "{date}"
qubits = {QUBITS[(machine, date)]}
connectivity = "all-to-all"
missing = ["durations"]
notes = \"\"\"
Written by tools/quantinuum_specs.py from Quantinuum's published tables, numbers unchanged.
Gate errors are the spec sheet's randomized-benchmarking average infidelities; the memory error is
its transport 1Q error (the emulator's dephasing_error, equal in every row), applied per idle
qubit per layer of two-qubit gates; readout flips are the emulator's p_meas_0 and p_meas_1.
The 2Q error is the full-angle ZZ gate's; it applies unchanged to every RZZ angle (docs/devices.md).
Leakage, crosstalk and mid-circuit measurement errors are not modelled.
Qubit count: {QUBIT_SOURCE[(machine, date)]}.
\"\"\"

[sources]
spec_sheet = "{sheet_cite}"
emulator = "{emu_cite}"
data_readme = "{readme}"

[gates]
single_qubit = ["rz", "r"]
two_qubit = "rzz"

[errors]
single_qubit = {{ value = {one!r}, source = "spec_sheet", note = "{one_col}: {row[one_col]}" }}
two_qubit = {{ value = {two!r}, source = "spec_sheet", note = "{two_col}: {row[two_col]}" }}
memory = {{ value = {memory!r}, source = "spec_sheet", note = "Transport 1Q error: {row["Transport 1Q error"]}" }}
readout_0to1 = {{ value = {float(emu["p_meas_0"])!r}, source = "emulator", note = "p_meas_0" }}
readout_1to0 = {{ value = {float(emu["p_meas_1"])!r}, source = "emulator", note = "p_meas_1" }}
"""  # noqa: E501
        path = out / f"{name}_{date}.toml"
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_specs(Path(sys.argv[1]), Path(sys.argv[2])):
        print(p)
