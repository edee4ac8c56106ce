"""What a quantum volume run is asked to do: one frozen, validated settings object.

:class:`QVSettings` is checked once, when it is made, with messages that name the field and its
command-line flag; nothing about the device is looked up here (that is
:func:`quantumlimits.qv.protocol.prepare`). ``to_dict`` is exactly what a run records as its
inputs in the results store, and ``from_dict`` reads those inputs back, so ``resume`` continues a
run from its own settings (docs/results.md).

>>> s = QVSettings(backend="fake_torino", widths="2-4", trials=100, seed=3)
>>> s.widths, s.plan.auto, QVSettings.from_dict(s.to_dict()) == s
((2, 3, 4), False, True)
>>> QVSettings(shots=0)
Traceback (most recent call last):
...
quantumlimits.errors.UsageError: shots (--shots) must be at least 1, got 0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from quantumlimits.circuits import MIN_WIDTH
from quantumlimits.errors import UsageError
from quantumlimits.execution.aer import DEVICES, ENGINES, PRECISIONS
from quantumlimits.execution.backends import DEFAULT_BACKEND
from quantumlimits.execution.density import MAX_QUBITS as DENSITY_MAX_QUBITS
from quantumlimits.qv import stats
from quantumlimits.qv.optimize import Optimizations

#: Circuits per width by default, and the cap of an ``adaptive`` run by default.
DEFAULT_TRIALS = 100
DEFAULT_ADAPTIVE_TRIALS = 500
#: Widest noiseless width an ``auto`` scan reaches unless told otherwise.
AUTO_MAX_WIDTH_NOISELESS = 10
#: Fewest bootstrap resamples that give a usable percentile bound.
MIN_BOOTSTRAP_RESAMPLES = 100
#: Most SU(4) blocks one (width, depth) cell may hold over all its circuits: far beyond any QV
#: run (100 width-20 circuits hold 20,000), and hours of transpilation beyond it.
MAX_CELL_BLOCKS = 2_000_000


@dataclass(frozen=True)
class WidthPlan:
    """Which widths to run: an explicit list, or ``auto`` (a scan decided as it goes)."""

    auto: bool
    widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.auto and not self.widths:
            raise UsageError("no widths given: pass --widths auto, A-B or a comma list")

    def check(self, *, minimum: int = MIN_WIDTH, flag: str = "--widths") -> WidthPlan:
        """Refuse values below ``minimum`` (QV widths start at 2, depths at 1)."""
        bad = [w for w in self.widths if w < minimum]
        if bad:
            raise UsageError(f"{flag} {bad} are below {minimum}: pass values >= {minimum}")
        return self

    def text(self) -> str | list[int]:
        """The form runs record: ``"auto"`` or the list of widths."""
        return "auto" if self.auto else list(self.widths)


def parse_widths(text: str, *, minimum: int = MIN_WIDTH, flag: str = "--widths") -> WidthPlan:
    """Parse ``auto``, ``A-B`` or ``a,b,c`` (``minimum`` and ``flag`` shape the checks).

    >>> parse_widths("2-4").widths, parse_widths("5,3").widths, parse_widths("auto").auto
    ((2, 3, 4), (3, 5), True)
    """
    text = text.strip().lower()
    if text == "auto":
        return WidthPlan(auto=True)
    try:
        if "-" in text:
            lo, hi = (int(p) for p in text.split("-", 1))
            if hi < lo:
                raise UsageError(f"{flag} {text}: the range is empty, write it low-high")
            plan = WidthPlan(auto=False, widths=tuple(range(lo, hi + 1)))
        else:
            plan = WidthPlan(auto=False, widths=tuple(sorted({int(p) for p in text.split(",")})))
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(
            f"{flag} {text!r} is not understood: write "
            + ("auto, " if flag == "--widths" else "")
            + "a range like 2-6, or a list like 2,3,5"
        ) from None
    return plan.check(minimum=minimum, flag=flag)


def _plan(widths: WidthPlan | Sequence[int] | str) -> WidthPlan:
    if isinstance(widths, WidthPlan):
        return widths.check()
    if isinstance(widths, str):
        return parse_widths(widths)
    if len(widths) == 0:  # how settings hold "auto"
        return WidthPlan(auto=True)
    return WidthPlan(auto=False, widths=tuple(sorted({int(w) for w in widths}))).check()


def _flag(name: str) -> str:
    return f"{name} (--{name.replace('_', '-')})"


#: Settings a run records beside its fields (read back and ignored by :meth:`from_dict`).
_RECORDED_ONLY = ("bootstrap_confidence", "auto_start")


@dataclass(frozen=True)
class QVSettings:
    """Everything a quantum volume run is asked to do.

    ``widths`` is ``"auto"`` (scan from near the width the calibration predicts, docs/method.md),
    a range ``"2-6"``, a list, or a :class:`WidthPlan`; it is kept as a sorted tuple of widths,
    empty for ``auto``. ``depths`` (volumetric cells) needs explicit widths. ``trials`` is the
    circuits per width, or with ``adaptive`` the cap of the sequential test (then ``method`` is
    ``"sequential"``). ``max_width`` caps an ``auto`` scan.
    """

    backend: str = DEFAULT_BACKEND
    widths: Any = "auto"
    depths: tuple[int, ...] | None = None
    max_width: int | None = None
    trials: int = DEFAULT_TRIALS
    adaptive: bool = False
    shots: int = 1000
    seed: int = 0
    optimization_level: int = 1
    qubits: tuple[int, ...] | None = None
    method: str = "cross"
    bootstrap_resamples: int = 10_000
    precision: str = "double"
    device: str = "cpu"
    #: the noisy simulator of a device snapshot (``execution.aer.ENGINES``; docs/method.md)
    engine: str = "auto"
    optimizations: Optimizations = field(default_factory=Optimizations)
    #: on a device spec, synthesis approximates up to the spec's published gate errors (Qiskit's
    #: ``approximation_degree=None``; docs/devices.md); off: exact synthesis, as runs recorded
    #: before this setting existed (``--exact-synthesis``)
    approximate_synthesis: bool = True

    def __post_init__(self) -> None:
        plan = _plan(self.widths)
        object.__setattr__(self, "widths", plan.widths)
        for name in ("trials", "shots"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise UsageError(f"{_flag(name)} must be at least 1, got {value}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise UsageError(f"{_flag('seed')} must be a non-negative integer, got {self.seed}")
        if self.optimization_level not in (0, 1, 2, 3):
            raise UsageError(
                f"{_flag('optimization_level')} must be 0-3, got {self.optimization_level}"
            )
        if self.adaptive:
            if self.method not in (*stats.METHODS, "sequential"):
                raise UsageError(f"{_flag('method')} must be one of cross, bootstrap")
            object.__setattr__(self, "method", "sequential")
            if self.trials < stats.MIN_CIRCUITS:
                raise UsageError(
                    f"--adaptive needs a --trials cap of at least {stats.MIN_CIRCUITS}, "
                    f"got {self.trials}"
                )
            if self.optimizations.any:
                raise UsageError(
                    "--adaptive decides from raw HOPs only: drop --mitigate-readout and "
                    "--dynamical-decoupling, or --adaptive"
                )
        elif self.method not in stats.METHODS:
            raise UsageError(
                f"{_flag('method')} must be one of {', '.join(stats.METHODS)}, got {self.method!r}"
            )
        if self.precision not in PRECISIONS:
            raise UsageError(
                f"{_flag('precision')} must be one of {', '.join(PRECISIONS)}, "
                f"got {self.precision!r}"
            )
        if not isinstance(self.approximate_synthesis, bool):
            raise UsageError(
                f"approximate_synthesis (--exact-synthesis) must be true or false, "
                f"got {self.approximate_synthesis!r}"
            )
        if self.engine not in ENGINES:
            raise UsageError(
                f"{_flag('engine')} must be one of {', '.join(ENGINES)}, got {self.engine!r}"
            )
        wide = [w for w in plan.widths if w > DENSITY_MAX_QUBITS]
        if self.engine == "density" and wide:
            raise UsageError(
                f"--engine density simulates at most {DENSITY_MAX_QUBITS} qubits, widths {wide} "
                "are wider: pass --engine auto or trajectories, or smaller --widths"
            )
        if self.device not in DEVICES:
            raise UsageError(f"{_flag('device')} must be cpu or gpu, got {self.device!r}")
        if self.bootstrap_resamples < MIN_BOOTSTRAP_RESAMPLES:
            raise UsageError(
                f"{_flag('bootstrap_resamples')} must be at least {MIN_BOOTSTRAP_RESAMPLES}, "
                f"got {self.bootstrap_resamples}"
            )
        if self.max_width is not None and self.max_width < MIN_WIDTH:
            raise UsageError(
                f"{_flag('max_width')} must be at least {MIN_WIDTH}, got {self.max_width}"
            )
        if self.qubits is not None:
            qubits = tuple(int(q) for q in self.qubits)
            if not qubits or min(qubits) < 0:
                raise UsageError(
                    f"{_flag('qubits')} must list qubit numbers 0 and up, got {list(qubits)}"
                )
            repeated = sorted({q for q in qubits if qubits.count(q) > 1})
            if repeated:
                raise UsageError(
                    f"{_flag('qubits')} lists qubits {repeated} more than once: list each once"
                )
            object.__setattr__(self, "qubits", qubits)
        if self.depths is not None:
            if plan.auto:
                raise UsageError("--depths needs explicit --widths (a range or list), not auto")
            depths = tuple(sorted({int(d) for d in self.depths}))
            if not depths or depths[0] < 1:
                raise UsageError(f"--depths must be positive whole numbers, got {list(depths)}")
            object.__setattr__(self, "depths", depths)
        for width, depth in self.cells():
            blocks = self.trials * (width // 2) * depth
            if blocks > MAX_CELL_BLOCKS:
                raise UsageError(
                    f"width {width} at depth {depth} with {self.trials} circuits is {blocks:,} "
                    "SU(4) blocks to build, transpile and simulate (more than "
                    f"{MAX_CELL_BLOCKS:,}, hours of work): pass smaller --depths or --trials"
                )

    @property
    def plan(self) -> WidthPlan:
        """The widths as a :class:`WidthPlan`."""
        return WidthPlan(auto=self.auto, widths=self.widths)

    @property
    def auto(self) -> bool:
        """Whether the widths are an ``auto`` scan (held as an empty tuple of widths)."""
        return not self.widths

    @property
    def verdict_from(self) -> str:
        """Whose verdicts set the QV: ``raw``, or ``optimized`` when an optimization runs."""
        return self.optimizations.verdict_from if self.optimizations.any else "raw"

    def cells(self) -> list[tuple[int, int]]:
        """The (width, depth) cells of explicit widths, in the order they run."""
        return [(w, d) for w in self.widths for d in (self.depths or (w,))]

    def replace(self, **changes: Any) -> QVSettings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The run's recorded inputs (JSON-ready; read back by :meth:`from_dict`)."""
        d = asdict(self)
        d["widths"] = self.plan.text()
        d["depths"] = list(self.depths) if self.depths is not None else None
        d["qubits"] = list(self.qubits) if self.qubits is not None else None
        d["optimizations"] = self.optimizations.to_dict()
        d["bootstrap_confidence"] = stats.CONFIDENCE_TWO_SIGMA
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> QVSettings:
        """Settings from :meth:`to_dict`, or from the inputs a run recorded before this class
        existed (the same keys, and ``auto_start``/``bootstrap_confidence``, which are ignored)."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known - set(_RECORDED_ONLY)
        if unknown:
            raise UsageError(
                f"recorded settings have unknown keys {sorted(unknown)}: they were written by a "
                "newer quantumlimits; upgrade it to read them"
            )
        kw = {k: v for k, v in d.items() if k in known}
        # runs recorded before the setting existed compiled exactly
        kw.setdefault("approximate_synthesis", False)
        kw["optimizations"] = Optimizations.from_dict(d.get("optimizations"))
        for name in ("qubits", "depths"):
            if kw.get(name) is not None:
                kw[name] = tuple(kw[name])
        return cls(**kw)
