"""Figures drawn by a second Python process that starts when the command does.

A command that ends with a figure (``qv --out``: qv.png) would pay matplotlib's import (about
0.4 s on the reference machine) and the drawing after its computation, while the machine's other
core waits. :class:`FigureProcess` starts ``python -m quantumlimits.plots.process KIND`` when the
command starts: it imports matplotlib and the figure's code on that core while the command
computes, then reads one request line (the result document, the PNG's path) from its standard
input, draws, writes the PNG atomically and exits. The PNG is the same, byte for byte, as the one
the command's own process draws (tests/test_figure_process.py).

Only the process entry point (:func:`quantumlimits.cli.console`) turns this on
(:func:`enable`): a program or a test that calls :func:`quantumlimits.cli.main` in-process draws
in its own process, as does any command when the drawing process cannot start or fails (its one
line of error is then lost, and the figure drawn in-process raises the error itself, if any).

The drawing process ignores Ctrl-C (the command stops it) and exits when its input closes
without a request, so it never outlives the command.
"""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

#: What a drawing process can draw: kind -> (result class as "module:Class", whose
#: ``from_json`` reads the document, figure function as "module:function").
KINDS: dict[str, tuple[str, str]] = {
    "qv": ("quantumlimits.qv.results:QVResult", "quantumlimits.plots.qv:figure"),
}

_enabled = False

#: Python's option that keeps the working folder off the module path (3.11 and later)
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []

#: Seconds the command waits for its figure (drawing qv.png takes about 0.5 s); past them the
#: process is stopped and the command draws the figure itself.
DRAW_TIMEOUT = 300.0


def enable(on: bool = True) -> None:
    """Let commands in this process draw their figures in a second process (the process
    entry point does; see the module docstring)."""
    global _enabled
    _enabled = on


def _resolve(name: str) -> Any:
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


class FigureProcess:
    """A drawing process for one figure of ``kind`` (:data:`KINDS`).

    :meth:`start` returns None when drawing in a second process is not enabled. :meth:`draw`
    sends the request and waits for the PNG; it returns False when the process failed, and the
    caller then draws the figure itself. :meth:`close` stops a process never asked to draw
    (a command that failed).
    """

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"no figure kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        self.kind = kind
        # the package this process runs, whatever the working folder holds: -P keeps the working
        # folder off the module path, and the package's folder goes first on it
        root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, *_SAFE_PATH, "-m", "quantumlimits.plots.process", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )

    @classmethod
    def start(cls, kind: str) -> FigureProcess | None:
        """A drawing process for ``kind``, or None (not enabled, or it could not start)."""
        if not _enabled:
            return None
        try:
            return cls(kind)
        except OSError:
            return None

    def draw(self, *, document: str, path: Path, crop: bool = True) -> bool:
        """Have the process draw ``document``'s figure to ``path``; True when it wrote it."""
        process, self._process = self._process, None
        if process is None:
            return False
        request = json.dumps({"document": document, "path": str(path), "crop": crop}) + "\n"
        try:
            process.communicate(request.encode(), timeout=DRAW_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):  # died before reading (BrokenPipeError)
            process.kill()
            process.wait()
            return False
        return process.returncode == 0 and path.is_file()

    def close(self) -> None:
        """Stop the process if it was never asked to draw."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def __enter__(self) -> FigureProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _warm(plt: Any) -> None:
    """Draw a small figure with text to nowhere: the first drawing of a process loads the font
    and fills matplotlib's caches (about a third of drawing qv.png the first time)."""
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1], "o-", label="warm")
    ax.set_title("warm")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png", dpi=30)
    plt.close(fig)


def _serve(kind: str) -> int:
    """The drawing process: import, then draw the one request read from standard input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command stops this process
    gc.disable()  # one figure, then exit: no garbage worth a collection
    from quantumlimits.plots import pyplot, save_figure

    _warm(pyplot())  # matplotlib imported, fonts loaded, while the command computes
    load, figure = (_resolve(name) for name in KINDS[kind])
    line = sys.stdin.readline()
    if not line.strip():  # the command ended without asking
        return 0
    request = json.loads(line)
    result = load.from_json(request["document"])
    save_figure(figure(result), request["path"], crop=bool(request["crop"]))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process by FigureProcess
    if len(sys.argv) != 2 or sys.argv[1] not in KINDS:
        sys.stderr.write(f"usage: python -m quantumlimits.plots.process {{{','.join(KINDS)}}}\n")
        raise SystemExit(2)
    try:
        status = _serve(sys.argv[1])
    except Exception as exc:  # one line for the command; it draws the figure itself
        sys.stderr.write(f"drawing process: {type(exc).__name__}: {exc}\n")
        status = 1
    # the PNG is written and closed: skip the interpreter's teardown (0.2 s), which the
    # command would wait for
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
