"""Where circuits run: backend names, local Aer simulation, transpilation and layouts.

This layer knows nothing of quantum volume or classifiers: it turns circuits into counts or
probabilities, with timings.
"""
