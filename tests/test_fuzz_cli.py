"""Property-based fuzzing of the command line: every subcommand, its flags, odd values.

Each example is an argv list drawn from the real argument parser (every subcommand's flags, their
choices, and values chosen to be awkward: empty, negative, NaN, huge, malformed ranges, unknown
names, paths to folders, files and nothing), run in-process. The property: the command exits with
status 0 (it ran) or 2 (one line naming the mistake), never with a traceback, and writes nothing
outside the test's folder. A command that is still doing real work after :data:`BUDGET_S`
seconds has got past every check: it is stopped and counts as accepted.

``make test`` runs a few examples derandomized (the same ones on every machine);
``make fuzz`` runs many more, randomly (``QUANTUMLIMITS_FUZZ_EXAMPLES`` sets how many).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantumlimits.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
#: Seconds an example may run real work before it is stopped (it got past every check).
BUDGET_S = 2.0
EXAMPLES = int(os.environ.get("QUANTUMLIMITS_FUZZ_EXAMPLES", "12"))
RANDOM = "QUANTUMLIMITS_FUZZ_EXAMPLES" in os.environ
#: Flags left out: Dask clusters would outlive a stopped example (tests/dask covers them).
SKIPPED_FLAGS = {"--dask", "-h", "--help", "--version"}

ODD = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "3",
    "nan",
    "inf",
    "-inf",
    "1e9",
    "99999999999999999999",
    "0.5",
    "abc",
    "2-1",
    "1-3",
    "2,2",
    "2-3",
    "a,b",
    "auto",
    "max",
    "999",
    "fake_torinoo",
    "fake_torino",
    "fake_manila",
    "fake_kyoto",
    "aer",
    "fake_fez",
    "fake_sherbrooke",
    "0,1,2",
    "1,4,16",
    "5,4,3,2",
    "ibm_nowhere",
    "np.str_('1')",
    "🜁",
    "x" * 300,
]


class _Budget(BaseException):
    """Raised in the main thread when an example's time is up."""


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        # raised inside a garbage-collector callback the exception is swallowed: try again soon
        signal.setitimer(signal.ITIMER_REAL, 0.25)
        raise _Budget

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


SUBCOMMANDS = _subcommands()


def _values(action: argparse.Action, places: list[str]) -> st.SearchStrategy[str]:
    own = [str(c) for c in (action.choices or [])]
    if action.default not in (None, argparse.SUPPRESS) and not isinstance(action.default, bool):
        own.append(str(action.default))
    return st.sampled_from(own + ODD + places)


@st.composite
def argv_lists(
    draw: st.DrawFn, places: list[str], names: tuple[str, ...] | None = None
) -> list[str]:
    name = draw(st.sampled_from(sorted(names or SUBCOMMANDS)))
    parser = SUBCOMMANDS[name]
    argv = [name]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = draw(st.sampled_from(sorted(action.choices)))
            argv.append(sub)
            nested = action.choices[sub]
            for inner in nested._actions:
                if not inner.option_strings and not isinstance(inner, argparse._HelpAction):
                    argv.append(draw(_values(inner, places)))
            continue
        if not action.option_strings:  # a positional
            if action.nargs in ("*", "?") and draw(st.booleans()):
                continue
            argv.append(draw(_values(action, places)))
            continue
        flag = action.option_strings[-1]
        if flag in SKIPPED_FLAGS or draw(st.integers(0, 3)) != 0:
            continue
        argv.append(flag)
        if action.nargs != 0:
            argv.append(draw(_values(action, places)))
    return argv


def _tree(root: Path) -> set[str]:
    out = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in {".git", ".venv", "__pycache__", ".mypy_cache"}]
        out.update(os.path.join(folder, f) for f in files)
    return out


@pytest.fixture(scope="module")
def checkout_files() -> Iterator[set[str]]:
    before = _tree(REPO)
    yield before
    assert _tree(REPO) - before == set(), "the fuzzed commands wrote into the checkout"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_command_exits_0_or_2_without_a_traceback(
    data: st.DataObject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    checkout_files: set[str],
) -> None:
    _run_example(data, tmp_path, monkeypatch, capsys, checkout_files, names=None)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_eplg_exits_0_or_2_without_a_traceback(
    data: st.DataObject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    checkout_files: set[str],
) -> None:
    """The eplg command's flags alone (more of its combinations than the sweep above)."""
    _run_example(data, tmp_path, monkeypatch, capsys, checkout_files, names=("eplg",))


def _run_example(
    data: st.DataObject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    checkout_files: set[str],
    *,
    names: tuple[str, ...] | None,
) -> None:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "a-file.txt").write_text("not a store\n")
    (work / "a-folder").mkdir(exist_ok=True)
    places = [str(work / "a-file.txt"), str(work / "a-folder"), str(work / "new" / "x.sqlite")]
    argv = data.draw(argv_lists(places, names))
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    monkeypatch.setenv("XDG_DATA_HOME", str(work / "data"))
    monkeypatch.setenv("MPLCONFIGDIR", str(work / "mpl"))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 (closed with the test)
    code: int | None = None
    try:
        with _budget(BUDGET_S):
            code = main(argv)
    except _Budget:
        code = 0  # still working after every check passed
    except SystemExit as exc:  # argparse: --help, or a usage error
        code = int(exc.code or 0)
    finally:
        sys.stdin.close()
    captured = capsys.readouterr()
    if os.environ.get("QUANTUMLIMITS_FUZZ_VERBOSE"):
        with capsys.disabled():
            print(code, argv[:8], captured.err.strip().splitlines()[-1:])
    assert "Traceback" not in captured.err, argv
    assert code in (0, 2), (argv, code, captured.err[-500:])
    if code == 2:
        lines = [line for line in captured.err.splitlines() if ": error: " in line]
        assert len(lines) == 1, (argv, captured.err[-1000:])
