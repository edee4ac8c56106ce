"""Benchmark options and helpers shared by every suite in bench/.

* ``--quick`` shrinks each benchmark to a smoke size that CI can afford; figures for
  docs/performance.md come from full runs (``make bench``).
* ``ratio_board`` (session fixture): a bench records ``add(group=..., name=..., seconds=...,
  peer=...)``; at the end of the session every group is printed with each entry's ratio to the
  group's peer, so peers measured in the same run sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick",
        action="store_true",
        default=False,
        help="smoke-size benchmarks (few circuits, few rounds): checks they run, not their speed",
    )


@pytest.fixture
def quick(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--quick"))


@dataclass
class _Entry:
    name: str
    seconds: float | None
    peer: bool
    note: str


@dataclass
class RatioBoard:
    """Timings by group; the report divides each group's peer time by every entry's time."""

    groups: dict[str, list[_Entry]] = field(default_factory=dict)

    def add(
        self, *, group: str, name: str, seconds: float | None, peer: bool = False, note: str = ""
    ) -> None:
        """Record ``seconds`` (None: the target was not reached) for ``name`` in ``group``."""
        self.groups.setdefault(group, []).append(_Entry(name, seconds, peer, note))

    def lines(self) -> list[str]:
        """The report, one line per entry."""
        out: list[str] = []
        for group, entries in self.groups.items():
            peers = [e for e in entries if e.peer and e.seconds]
            peer = peers[0] if peers else None
            out.append(f"{group}" + (f"  (peer: {peer.name})" if peer else "  (no peer timing)"))
            for e in entries:
                t = "not reached" if e.seconds is None else f"{e.seconds:.4g} s"
                ratio = ""
                if peer is not None and e.seconds and peer.seconds and e is not peer:
                    ratio = f"  {peer.seconds / e.seconds:,.1f}x sooner than the peer"
                note = f"  [{e.note}]" if e.note else ""
                out.append(f"  {e.name:<40} {t:>14}{ratio}{note}")
        return out


_BOARD = RatioBoard()


@pytest.fixture(scope="session")
def ratio_board() -> RatioBoard:
    """The session's ratio board."""
    return _BOARD


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _BOARD.groups:
        return
    terminalreporter.section("ratios against peers (same run)")
    for line in _BOARD.lines():
        terminalreporter.write_line(line)
