"""Published quantum volume experiments: read a data set's circuits and counts, re-analyse them
as a stored run, write them back, and simulate the same circuits on a device model.

* :mod:`~quantumlimits.dataset.files` — the file formats (docs/import.md): reading a data set
  into :class:`~quantumlimits.dataset.files.Entry` records, and writing one.
* :mod:`~quantumlimits.dataset.importer` — circuits parsed, ideal heavy sets computed, counts
  checked, the run built with :mod:`quantumlimits.qv.analysis` and recorded in the store.
* :mod:`~quantumlimits.dataset.simulate` — the imported circuits run on a snapshot's noise model,
  measured and simulated HOPs paired circuit by circuit.
"""
