"""Figures: matplotlib functions that draw on an Axes they are given and never call ``show()``."""
