"""``gnnprop bench``'s library half: what it draws and measures, as plain data the CLI renders.

- :mod:`.local`: gnnprop's loader and engine against numpy and plain PyG (``bench``; its JSON schema);
- :mod:`.spark`: the Spark engine against gnnprop's own (``bench --engine spark``; its JSON schema);
- :mod:`.cases`: the cases, each with the PyG class it is measured against; which benchmark
  ``--engine`` picks;
- :mod:`.graphs`: the random graphs (uniform, R-MAT) and their CSV files;
- :mod:`.measure`: phases (time, peak memory), copy bandwidth, the bytes a round must move.
"""
