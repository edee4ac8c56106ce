"""Where a number came from: package versions, machine, git commit, time."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGES = (
    "quantumlimits",
    "qiskit",
    "qiskit-aer",
    "qulacs",
    "stim",
    "qiskit-ibm-runtime",
    "numpy",
    "scipy",
    "pennylane",
    "scikit-learn",
)


def versions(packages: tuple[str, ...] = _PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape results (missing ones are left out)."""
    found: dict[str, str] = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    found["python"] = platform.python_version()
    return found


def git_commit() -> str | None:
    """The commit of the source tree quantumlimits runs from, or None outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def machine() -> dict[str, object]:
    """Processor, core count and memory of this machine."""
    info: dict[str, object] = {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
        info["memory_bytes"] = int(pages * page_size)
    except (ValueError, OSError, AttributeError):
        pass
    return info


def now_utc() -> str:
    """The current time as an ISO 8601 string in UTC, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def provenance() -> dict[str, object]:
    """Everything a result records about where and with what it was produced."""
    return {
        "created": now_utc(),
        "versions": versions(),
        "git_commit": git_commit(),
        "machine": machine(),
    }


def stage_totals(widths: Iterable[Any], stages: Sequence[str], started: float) -> dict[str, float]:
    """A scan's timings: each stage's seconds summed over its widths' ``timings``, and
    ``total``, the wall time since ``started`` (a ``time.perf_counter()`` reading)."""
    widths = list(widths)
    totals = {s: round(sum(w.timings.get(s, 0.0) for w in widths), 6) for s in stages}
    totals["total"] = round(time.perf_counter() - started, 6)
    return totals
