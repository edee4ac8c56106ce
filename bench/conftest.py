"""Benchmark options shared by every suite in bench/.

``--quick`` shrinks each benchmark to a smoke size that CI can afford; figures for
docs/performance.md come from full runs (``make bench``).

Two ratio reports close a run. Benchmarks tagged ``extra_info["role"]`` = "peer" / "ours" in one
group are compared by pytest-benchmark's median time. Measurements that are not a benchmark's own
timing (the classifiers' time-to-accuracy: training seconds until a target, evaluation excluded)
go on the ``ratio_board`` fixture: ``add(group=..., name=..., seconds=..., peer=...)``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

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


@pytest.fixture
def user_python() -> str:
    """The interpreter a user runs quantumlimits with: ``$QUANTUMLIMITS_USER_PYTHON`` (``make
    bench`` passes .venv's, which holds no peer tool), else this one."""
    return os.environ.get("QUANTUMLIMITS_USER_PYTHON") or sys.executable


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


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print, per benchmark group, the peer's median time over ours (and peak memory)."""
    _print_board(terminalreporter)
    session = getattr(config, "_benchmarksession", None)
    if session is None:
        return
    groups: dict[str, dict[str, Any]] = {}
    for bench in session.benchmarks:
        role = bench.extra_info.get("role")
        if role in ("peer", "ours") and bench:
            groups.setdefault(bench.group or bench.name, {})[role] = bench
    lines = []
    for group, pair in sorted(groups.items()):
        if {"peer", "ours"} <= set(pair):
            peer, ours = pair["peer"], pair["ours"]
            ratio = peer["median"] / ours["median"]
            line = (
                f"{group}: {peer.extra_info.get('tool')} {peer['median']:.3f} s, "
                f"quantumlimits {ours['median']:.3f} s -> {ratio:.1f}x"
            )
            if "peak_rss_bytes" in ours.extra_info and "peak_rss_bytes" in peer.extra_info:
                line += (
                    f"; peak memory {peer.extra_info['peak_rss_bytes'] / 2**30:.2f} GiB vs "
                    f"{ours.extra_info['peak_rss_bytes'] / 2**30:.2f} GiB"
                )
            lines.append(line)
    for bench in session.benchmarks:
        if "fraction_of_copy" in bench.extra_info:
            info = bench.extra_info
            lines.append(
                f"{bench.group}: ideal stage {info['effective_bandwidth'] / 1e9:.2f} GB/s = "
                f"{info['fraction_of_copy']:.0%} of copy bandwidth "
                f"{info['copy_bandwidth'] / 1e9:.2f} GB/s (width {info['width']})"
            )
    if lines:
        terminalreporter.section("quantumlimits: ratios against peers")
        for line in lines:
            terminalreporter.write_line(line)


def _print_board(terminalreporter: Any) -> None:
    if _BOARD.groups:
        terminalreporter.section("quantumlimits: time-to-accuracy against peers (same run)")
        for line in _BOARD.lines():
            terminalreporter.write_line(line)
