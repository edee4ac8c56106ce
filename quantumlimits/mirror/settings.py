"""What a mirror-benchmark run is asked to do: one frozen, validated settings object.

``widths`` may name ``max`` (the device's full width), so it is kept as the text or tuple the user
gave and resolved against the device when the run is prepared. ``to_dict`` is what a run records
as its inputs; ``from_dict`` reads them back for ``resume``.

>>> s = MirrorSettings(backend="fake_torino", widths="2-4,max")
Traceback (most recent call last):
...
quantumlimits.errors.UsageError: --widths '2-4,max' is not understood: write a range like 2-8 or \
a list like 2,8,32,max
>>> s = MirrorSettings(backend="fake_torino", widths="2,max", trials=10)
>>> s.simulator, MirrorSettings.from_dict(s.to_dict()) == s
('stim', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from quantumlimits.circuits import MIN_WIDTH
from quantumlimits.errors import UsageError
from quantumlimits.execution.backends import DEFAULT_BACKEND
from quantumlimits.mirror.circuits import VARIANTS

#: Simulators of the clifford variant: stim's Pauli frames, or Aer's stabilizer method.
SIMULATORS = ("stim", "aer")
#: Largest ``depth_factor`` (forward layers per qubit).
MAX_DEPTH_FACTOR = 10.0


def parse_widths(text: str, *, max_width: int) -> tuple[int, ...]:
    """Parse ``A-B`` or ``a,b,c``; ``max`` stands for ``max_width`` (the device's qubits).

    >>> parse_widths("2-4", max_width=133), parse_widths("8,max,2", max_width=133)
    ((2, 3, 4), (2, 8, 133))
    """
    text = text.strip().lower()
    try:
        if "-" in text:
            lo_text, hi_text = text.split("-", 1)
            lo = int(lo_text)
            hi = max_width if hi_text.strip() == "max" else int(hi_text)
            if hi < lo:
                raise UsageError(f"--widths {text}: the range is empty, write it low-high")
            widths = tuple(range(lo, hi + 1))
        else:
            widths = tuple(
                sorted({max_width if p.strip() == "max" else int(p) for p in text.split(",") if p})
            )
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(
            f"--widths {text!r} is not understood: write a range like 2-8 or a list like 2,8,32,max"
        ) from None
    if not widths:
        raise UsageError("no widths given: pass a range like 2-8 or a list like 2,8,max")
    bad = [w for w in widths if w < MIN_WIDTH]
    if bad:
        raise UsageError(f"widths {bad} are below {MIN_WIDTH}: mirror circuits need width >= 2")
    return widths


@dataclass(frozen=True)
class MirrorSettings:
    """Everything a mirror-benchmark run is asked to do (docs/mirror.md).

    ``widths``: a range or list string (``max`` allowed) or a sequence of widths. ``simulator``
    (clifford only): ``stim`` (default) or ``aer`` (Aer's stabilizer method, the cross-check);
    ``su4`` runs on Aer.
    """

    backend: str = DEFAULT_BACKEND
    widths: Any = "2-8"
    variant: str = "clifford"
    simulator: str | None = None
    depth_factor: float = 1.0
    trials: int = 20
    shots: int = 200
    seed: int = 0
    optimization_level: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.widths, str):
            parse_widths(self.widths, max_width=10**6)  # the form, before any device is known
        else:
            widths = tuple(sorted({int(w) for w in self.widths}))
            if not widths or widths[0] < MIN_WIDTH:
                raise UsageError(f"widths must be >= {MIN_WIDTH}, got {list(widths)}")
            object.__setattr__(self, "widths", widths)
        if self.variant not in VARIANTS:
            raise UsageError(
                f"--variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}"
            )
        if self.simulator is not None and self.simulator not in SIMULATORS:
            raise UsageError(
                f"--simulator must be one of {', '.join(SIMULATORS)}, got {self.simulator!r}"
            )
        if self.variant == "su4" and self.simulator == "stim":
            raise UsageError(
                "--simulator stim runs Clifford circuits only: use --variant clifford, or drop "
                "--simulator for su4 (it runs on Aer)"
            )
        if self.simulator is None:
            object.__setattr__(self, "simulator", "stim" if self.variant == "clifford" else "aer")
        if self.trials < 2:
            raise UsageError(
                f"--trials must be at least 2 (the bound needs a spread), got {self.trials}"
            )
        if self.shots < 1:
            raise UsageError(f"--shots must be at least 1, got {self.shots}")
        if self.seed < 0:
            raise UsageError(f"--seed must be a non-negative integer, got {self.seed}")
        if not self.depth_factor > 0 or self.depth_factor > MAX_DEPTH_FACTOR:
            raise UsageError(
                f"--depth-factor must be in (0, {MAX_DEPTH_FACTOR:g}], got {self.depth_factor}"
            )
        if self.optimization_level not in (0, 1, 2, 3):
            raise UsageError(f"--optimization-level must be 0-3, got {self.optimization_level}")

    def resolved_widths(self, *, max_width: int) -> tuple[int, ...]:
        """The widths, ``max`` standing for ``max_width``."""
        if isinstance(self.widths, str):
            return parse_widths(self.widths, max_width=max_width)
        return tuple(self.widths)

    def replace(self, **changes: Any) -> MirrorSettings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The run's recorded inputs (JSON-ready)."""
        d = asdict(self)
        if not isinstance(self.widths, str):
            d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MirrorSettings:
        """Inverse of :meth:`to_dict`."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UsageError(
                f"recorded mirror settings have unknown keys {sorted(unknown)}: they were "
                "written by a newer quantumlimits; upgrade it to read them"
            )
        kw = dict(d)
        if isinstance(kw.get("widths"), Sequence) and not isinstance(kw["widths"], str):
            kw["widths"] = tuple(kw["widths"])
        return cls(**kw)
