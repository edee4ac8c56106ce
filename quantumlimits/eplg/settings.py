"""What a layer-fidelity run is asked to do: one frozen, validated settings object.

>>> s = EPLGSettings(backend="fake_fez", chain_length=100)
>>> s.lengths, EPLGSettings.from_dict(s.to_dict()) == s
((2, 4, 8, 16, 32, 64, 128), True)
>>> EPLGSettings(lengths=(1, 1))
Traceback (most recent call last):
...
quantumlimits.errors.UsageError: --lengths must be distinct positive whole numbers, got [1, 1]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from quantumlimits.errors import UsageError

#: Simulators: stim's Pauli frames with the twirled device noise, or Aer with the device model.
SIMULATORS = ("stim", "aer")
#: Widest chain Aer runs (its noise model simulates state vectors).
AER_MAX_QUBITS = 12
DEFAULT_LENGTHS = (2, 4, 8, 16, 32, 64, 128)
#: Longest sequence accepted (layers per circuit).
MAX_LENGTH = 2000


@dataclass(frozen=True)
class EPLGSettings:
    """Everything a layer-fidelity run is asked to do (docs/eplg.md).

    ``chain_length``: qubits of the chain (an int, or ``"max"``: the longest chain found);
    ``chain``: explicit physical qubits instead of the search. ``lengths``: layers per sequence;
    ``samples``: random sequences per length and layer; ``resamples``: bootstrap resamplings.
    """

    backend: str = "fake_fez"
    chain_length: Any = 100
    chain: tuple[int, ...] | None = None
    lengths: tuple[int, ...] = DEFAULT_LENGTHS
    samples: int = 12
    shots: int = 400
    seed: int = 0
    simulator: str = "stim"
    resamples: int = 200

    def __post_init__(self) -> None:
        if isinstance(self.chain_length, str) and self.chain_length != "max":
            try:
                object.__setattr__(self, "chain_length", int(self.chain_length))
            except ValueError:
                raise UsageError(
                    f"--chain-length must be a whole number or 'max', got {self.chain_length!r}"
                ) from None
        if self.chain_length != "max" and int(self.chain_length) < 2:
            raise UsageError(f"--chain-length must be at least 2, got {self.chain_length}")
        if self.chain is not None:
            chain = tuple(int(q) for q in self.chain)
            if len(chain) < 2 or len(set(chain)) != len(chain) or min(chain) < 0:
                raise UsageError(
                    f"--chain must list at least 2 distinct qubits, got {list(self.chain)}"
                )
            object.__setattr__(self, "chain", chain)
        lengths = tuple(int(m) for m in self.lengths)
        if (
            len(lengths) < 3
            or len(set(lengths)) != len(lengths)
            or min(lengths) < 1
            or max(lengths) > MAX_LENGTH
        ):
            if (
                len(lengths) < 3
                and len(set(lengths)) == len(lengths)
                and lengths
                and min(lengths) >= 1
            ):
                raise UsageError(
                    f"--lengths needs at least 3 lengths to fit a decay, got {list(lengths)}"
                )
            raise UsageError(
                f"--lengths must be distinct positive whole numbers, got {list(lengths)}"
                if max(lengths, default=0) <= MAX_LENGTH
                else f"--lengths above {MAX_LENGTH} layers are hours of work, got {max(lengths)}"
            )
        object.__setattr__(self, "lengths", tuple(sorted(lengths)))
        if self.samples < 2:
            raise UsageError(
                f"--samples must be at least 2 (the bootstrap needs a spread), got {self.samples}"
            )
        if self.shots < 1:
            raise UsageError(f"--shots must be at least 1, got {self.shots}")
        if self.seed < 0:
            raise UsageError(f"--seed must be a non-negative integer, got {self.seed}")
        if self.simulator not in SIMULATORS:
            raise UsageError(
                f"--simulator must be one of {', '.join(SIMULATORS)}, got {self.simulator!r}"
            )
        if self.resamples < 10:
            raise UsageError(f"--resamples must be at least 10, got {self.resamples}")

    def replace(self, **changes: Any) -> EPLGSettings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The run's recorded inputs (JSON-ready)."""
        d = asdict(self)
        d["lengths"] = list(self.lengths)
        d["chain"] = None if self.chain is None else list(self.chain)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EPLGSettings:
        """Inverse of :meth:`to_dict`."""
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise UsageError(
                f"recorded eplg settings have unknown keys {sorted(unknown)}: they were written "
                "by a newer quantumlimits; upgrade it to read them"
            )
        kw = dict(d)
        kw["lengths"] = tuple(kw.get("lengths", DEFAULT_LENGTHS))
        if kw.get("chain") is not None:
            kw["chain"] = tuple(kw["chain"])
        return cls(**kw)
