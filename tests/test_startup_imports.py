"""Building the command line loads none of the heavy libraries a run may need: scikit-learn,
PennyLane, Dask, Stim and scipy's statistics are imported when a command that uses them starts,
not for ``--help``."""

from __future__ import annotations

import json

from tests.probe import last_line

HEAVY = ("sklearn", "pennylane", "dask", "distributed", "stim", "scipy.stats", "scipy.optimize")

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(body: str) -> list[str]:
    loaded: list[str] = json.loads(last_line(PROBE.format(body=body, heavy=HEAVY)))
    return loaded


def test_building_the_parser_imports_no_heavy_library() -> None:
    assert _loaded("from quantumlimits.cli import build_parser\nbuild_parser()") == []


def test_help_of_a_command_imports_no_heavy_library() -> None:
    body = (
        "import contextlib, io\n"
        "from quantumlimits.cli import main\n"
        "for command in ('qv', 'classify', 'mirror', 'eplg'):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main([command, '--help'])\n"
    )
    assert _loaded(body) == []


def test_importing_the_package_loads_no_qiskit_until_a_name_is_used() -> None:
    """The flat API is loaded on first use: ``import quantumlimits`` (as the drawing process
    of qv.png does) imports neither Qiskit nor matplotlib; every public name resolves."""
    probe = (
        "import json, sys\n"
        "import quantumlimits\n"
        "before = [m for m in ('qiskit', 'qiskit_aer', 'matplotlib') if m in sys.modules]\n"
        "missing = [n for n in quantumlimits.__all__ if not hasattr(quantumlimits, n)]\n"
        "print(json.dumps([before, missing, 'qiskit' in sys.modules]))\n"
    )
    before, missing, qiskit_after = json.loads(last_line(probe))
    assert before == [] and missing == [] and qiskit_after
