"""Figures: matplotlib (Agg) functions that draw on a given Axes and never call ``show()``."""
