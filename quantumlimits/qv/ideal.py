"""Reference numbers for noiseless quantum volume circuits: mean and spread of the ideal HOP.

The *ideal* heavy-output probability of a model circuit is the heavy outcomes' total ideal
probability. Over random SU(4) circuits of width m (depth m) it has a mean that depends weakly on m
and tends to ``(1 + ln 2) / 2`` (Porter-Thomas outputs), and a circuit-to-circuit spread that
shrinks about as ``2**(-m/2)``.

* Means: Baldwin et al., Quantum 6, 707 (2022), from their qvtsim code (widths 2-11).
* Standard deviations: measured here over 2000 seeded circuits per width with
  ``.venv/bin/python bench/ideal_hop_spread.py --circuits 2000`` (widths 2-10; the same run
  reproduces the means to within 0.002). Wider circuits use the fit ``0.195 * 2**(-m/2)`` to
  widths 8-10.

>>> ideal_hop_mean(5), ideal_hop_sd(5)
(0.8565, 0.038)
>>> round(ideal_hop_mean(40), 4), round(ideal_hop_sd(12), 4)
(0.8466, 0.003)
"""

from __future__ import annotations

import math

#: (1 + ln 2) / 2: the mean ideal HOP of Porter-Thomas distributed outputs.
ASYMPTOTIC_IDEAL_HOP = (1.0 + math.log(2.0)) / 2.0

#: Mean ideal HOP by width (Baldwin et al. 2022).
IDEAL_HOP_MEAN: dict[int, float] = {
    2: 0.7927,
    3: 0.8486,
    4: 0.8398,
    5: 0.8565,
    6: 0.8514,
    7: 0.8571,
    8: 0.8508,
    9: 0.8526,
    10: 0.8485,
    11: 0.8488,
}

#: Standard deviation of the ideal HOP across model circuits, by width (measured, see above).
IDEAL_HOP_SD: dict[int, float] = {
    2: 0.0960,
    3: 0.0852,
    4: 0.0499,
    5: 0.0380,
    6: 0.0250,
    7: 0.0195,
    8: 0.0120,
    9: 0.0092,
    10: 0.0061,
}

#: ``sd ≈ SD_SCALE * 2**(-m/2)`` beyond the measured widths (fit to widths 8-10).
SD_SCALE = 0.195


def _check_width(width: int) -> None:
    if width < 2:
        raise ValueError(f"quantum volume needs width >= 2, got {width}")


def ideal_hop_mean(width: int) -> float:
    """Mean ideal HOP of width-``width`` square model circuits."""
    _check_width(width)
    return IDEAL_HOP_MEAN.get(width, ASYMPTOTIC_IDEAL_HOP)


def ideal_hop_sd(width: int) -> float:
    """Circuit-to-circuit standard deviation of the ideal HOP at ``width``."""
    _check_width(width)
    if width in IDEAL_HOP_SD:
        return IDEAL_HOP_SD[width]
    return SD_SCALE * 2.0 ** (-width / 2.0)
