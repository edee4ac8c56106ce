"""Quantum volumes vendors reported publicly, each with the source of the number.

Only values with a citable source are listed; every entry is marked ``status="reported"``: these
are vendor claims on their best device of the day, not measurements made by this package. Dates
with ``date_precision="year"`` or ``"month"`` are placed on the first day of that period.
Add an entry only with a source a reader can check.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

_IBM_2020 = (
    "IBM Research blog, 'Quantum Takes Flight: Moving from Laboratory Demonstrations to Building "
    "Systems', 2020-01-08, https://www.ibm.com/blogs/research/2020/01/quantum-volume-32/ "
    "(Quantum Volume progress chart: Tenerife 2017, Tokyo 2018, Johannesburg 2019, Raleigh 2020)"
)


@dataclass(frozen=True)
class ReportedQV:
    """One publicly reported quantum volume."""

    vendor: str
    system: str
    date: str
    date_precision: str
    quantum_volume: int
    source: str
    note: str = ""
    status: str = "reported"

    def __post_init__(self) -> None:
        qv = self.quantum_volume
        if qv < 1 or qv & (qv - 1):
            raise ValueError(f"quantum volume must be a power of two, got {qv}")
        if self.date_precision not in ("day", "month", "year"):
            raise ValueError(f"unknown date precision {self.date_precision!r}")
        if not self.source:
            raise ValueError("a reported value needs its source")

    @property
    def log2_qv(self) -> int:
        """``log2`` of the quantum volume."""
        return int(math.log2(self.quantum_volume))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self) | {"log2_qv": self.log2_qv}


_QTM_QV_DATA = (
    "Quantinuum, CQCL/quantinuum-hardware-quantum-volume (the measured QV data sets), "
    "notebooks/Load Experimental Data.ipynb, list of available data sets: 'n{n}_{machine}"
    "_raw_results.json: QV {qv:,} passed on {date}'"
)


def _qtm(machine: str, n: int, date: str) -> ReportedQV:
    """One QV record of Quantinuum's data repository (``date`` as MM/DD/YYYY there)."""
    month, day, year = date.split("/")
    return ReportedQV(
        "Quantinuum",
        f"{machine} (trapped ion, QCCD)",
        f"{year}-{month}-{day}",
        "day",
        2**n,
        _QTM_QV_DATA.format(n=n, machine=machine, qv=2**n, date=date),
        note="published as Honeywell's (Quantinuum formed 2021-11)"
        if year < "2022" and month < "12"
        else "",
    )


REPORTED: tuple[ReportedQV, ...] = (
    ReportedQV("IBM", "Tenerife (5 qubits)", "2017-01-01", "year", 4, _IBM_2020),
    ReportedQV("IBM", "Tokyo (20 qubits)", "2018-01-01", "year", 8, _IBM_2020),
    ReportedQV("IBM", "Johannesburg (20 qubits)", "2019-01-01", "year", 16, _IBM_2020),
    ReportedQV("IBM", "Raleigh (28 qubits)", "2020-01-08", "day", 32, _IBM_2020),
    ReportedQV(
        "IBM",
        "27-qubit Falcon processor",
        "2020-08-20",
        "day",
        64,
        "IBM announcement of 2020-08-20, reported by Quantum Zeitgeist, 'IBM doubles Quantum "
        "Performance in a Year: Quantum Volume of 64 achieved', 2020-08-21, "
        "https://quantumzeitgeist.com/ibm-doubles-quantum-performance-in-a-year-quantum-volume-"
        "of-64-achieved/",
    ),
    ReportedQV(
        "IBM",
        "Falcon r10",
        "2022-04-06",
        "day",
        256,
        "IBM Research blog, 'Pushing quantum performance forward with our highest Quantum Volume "
        "yet', 2022-04-06, https://research.ibm.com/blog/quantum-volume-256",
        note="the post says QV doubled for the sixth time in five years",
    ),
    ReportedQV(
        "Honeywell",
        "System Model H0 (QCCD, 6 qubits)",
        "2020-06-01",
        "month",
        64,
        "Pino et al., 'Demonstration of the trapped-ion quantum CCD computer architecture', "
        "arXiv:2003.01293v4 (Nature 592, 209, 2021): 'a quantum volume measurement of 2^6 = 64'",
        note="announced June 2020",
    ),
    ReportedQV(
        "Quantinuum",
        "System Model H2 (32 qubits)",
        "2023-05-01",
        "month",
        65536,
        "Moses et al., 'A Race Track Trapped-Ion Quantum Processor', arXiv:2305.03828 (May 2023), "
        "Phys. Rev. X 13, 041052: quantum volume 2^16",
    ),
    _qtm("H1-1", 7, "09/29/2020"),
    _qtm("H1-1", 9, "03/02/2021"),
    _qtm("H1-1", 10, "07/12/2021"),
    _qtm("H1-2", 11, "12/17/2021"),
    _qtm("H1-2", 12, "04/11/2022"),
    _qtm("H1-1", 13, "09/20/2022"),
    _qtm("H1-1", 14, "01/11/2023"),
    _qtm("H1-1", 15, "01/18/2023"),
    _qtm("H1-1", 16, "03/17/2023"),
    _qtm("H2-1", 15, "04/10/2023"),
    _qtm("H2-1", 16, "04/18/2023"),
    _qtm("H1-1", 17, "05/10/2023"),
    _qtm("H1-1", 18, "05/25/2023"),
    _qtm("H1-1", 19, "06/13/2023"),
    ReportedQV(
        "Quantinuum",
        "H1-1 (trapped ion, QCCD)",
        "2024-04-04",
        "day",
        2**20,
        "Quantinuum, CQCL/quantinuum-hardware-quantum-volume (the measured QV data sets): QV 2^20 "
        "on H1-1 passed 2024-04-04, measured mean heavy-output probability 0.692 at width 20",
    ),
)
