"""Benchmark options shared by every suite in bench/.

``--quick`` shrinks each benchmark to a smoke size that CI can afford; figures for
docs/performance.md come from full runs (``make bench``).
"""

from __future__ import annotations

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


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print, per benchmark group, the peer's median time over ours (and peak memory)."""
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
