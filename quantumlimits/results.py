"""Kept so imports written before the move keep working: QV results live in
:mod:`quantumlimits.qv.results` (mirror's in :mod:`quantumlimits.mirror.results`, classify's in
:mod:`quantumlimits.classify.results`)."""

from quantumlimits.qv.results import DECIDERS, SCHEMA, STAGES, QVResult, WidthResult

__all__ = ["DECIDERS", "SCHEMA", "STAGES", "QVResult", "WidthResult"]
