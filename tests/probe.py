"""Run Python code in a fresh interpreter and read what it printed last: for what a process
imports or sets up, which an in-process test cannot see (the test process has it all loaded)."""

from __future__ import annotations

import subprocess
import sys


def last_line(code: str) -> str:
    """The last line ``code`` prints, run by ``python -c`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return done.stdout.strip().splitlines()[-1]
