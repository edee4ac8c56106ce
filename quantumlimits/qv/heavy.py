"""Heavy outputs: from ideal output probabilities to a boolean mask, and counts against it.

An outcome is *heavy* when its ideal probability is strictly above the median of all ``2**n``
ideal probabilities (Cross et al. 2019). Heavy sets are kept as boolean masks indexed by the
outcome's integer value (qubit ``i`` is bit ``i``, Qiskit's order), never as a dict of bitstrings.

>>> import numpy as np
>>> mask = heavy_mask(np.array([0.1, 0.4, 0.2, 0.3]))
>>> mask.tolist()
[False, True, False, True]
>>> ideal_hop(np.array([0.1, 0.4, 0.2, 0.3]), mask)
0.7
>>> heavy_count({"01": 5, "11": 3, "00": 2}, mask)
8
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.floating]


def heavy_mask(probabilities: FloatArray) -> BoolArray:
    """Boolean mask of the outcomes whose probability is strictly above the median."""
    p = np.asarray(probabilities)
    if p.ndim != 1 or p.size < 2 or p.size & (p.size - 1):
        raise ValueError(f"expected a 1-d probability vector of length 2**n, got shape {p.shape}")
    return p > np.median(p)


def ideal_hop(probabilities: FloatArray, mask: BoolArray) -> float:
    """The ideal heavy-output probability: total ideal probability of the heavy outcomes."""
    return float(np.asarray(probabilities)[mask].sum())


def heavy_count(counts: Mapping[str, int] | Mapping[int, int], mask: BoolArray) -> int:
    """How many shots landed on a heavy outcome.

    ``counts`` maps outcomes to shot counts; outcomes are bitstrings (``"0101"``, or
    space-separated registers, or ``0x``-prefixed hex as Aer returns them) or integers.
    """
    total = 0
    size = mask.size
    for outcome, n in counts.items():
        index = outcome_index(outcome)
        if index >= size:
            raise ValueError(f"outcome {outcome!r} is outside a heavy mask of {size} outcomes")
        if mask[index]:
            total += int(n)
    return total


def outcome_index(outcome: str | int) -> int:
    """The integer value of an outcome key.

    >>> outcome_index("0b101"), outcome_index("0x5"), outcome_index("1 01"), outcome_index(5)
    (5, 5, 5, 5)
    """
    if isinstance(outcome, int | np.integer):
        return int(outcome)
    key = outcome.replace(" ", "")
    if key.startswith("0x"):
        return int(key, 16)
    if key.startswith("0b"):
        return int(key[2:], 2)
    return int(key, 2)


def counts_to_arrays(
    counts: Mapping[str, int] | Mapping[int, int],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Outcomes and their counts as two sorted integer arrays (compact storage of sparse counts)."""
    pairs = sorted((outcome_index(k), int(v)) for k, v in counts.items() if int(v))
    outcomes = np.fromiter((k for k, _ in pairs), dtype=np.int64, count=len(pairs))
    values = np.fromiter((v for _, v in pairs), dtype=np.int64, count=len(pairs))
    return outcomes, values


def heavy_count_arrays(
    outcomes: NDArray[np.int64], values: NDArray[np.int64], mask: BoolArray
) -> int:
    """:func:`heavy_count` for counts held as outcome and value arrays."""
    if outcomes.size and int(outcomes.max()) >= mask.size:
        raise ValueError("an outcome lies outside the heavy mask")
    return int(values[mask[outcomes]].sum())


def pack_mask(mask: BoolArray) -> bytes:
    """The mask as packed bits (little-endian bit order), 1/8 of a byte per outcome."""
    return np.packbits(np.asarray(mask, dtype=bool), bitorder="little").tobytes()


def unpack_mask(data: bytes, width: int) -> BoolArray:
    """Inverse of :func:`pack_mask` for a ``width``-qubit mask.

    >>> m = np.array([True, False, False, True])
    >>> unpack_mask(pack_mask(m), 2).tolist()
    [True, False, False, True]
    """
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    size = 1 << width
    if bits.size < size:
        raise ValueError(f"packed mask holds {bits.size} bits, width {width} needs {size}")
    return bits[:size].astype(bool)


def mask_digest(mask: BoolArray) -> str:
    """SHA-256 of the packed mask, hex: a short fingerprint to compare heavy sets."""
    return hashlib.sha256(pack_mask(mask)).hexdigest()
