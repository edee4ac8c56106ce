"""How faithful is calibration-based simulation? The package's figures beside IBM's own.

* :mod:`~quantumlimits.validate.reported` — the figures IBM reported inside each snapshot's
  configuration (``quantum_volume``, ``clops_h``, ``clops``).
* :mod:`~quantumlimits.validate.clops` — the QPU-time model's projected CLOPS for IBM's own
  benchmark templates.
* :mod:`~quantumlimits.validate.protocol` — the predicted and simulated QV of every snapshot that
  carries a reported one, under two protocols, and the summary (docs/validation.md).
"""
