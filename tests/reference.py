"""Independent references: plain PyG layers written the way the seed documents write them.

They live in :mod:`gnnprop.bench` (the benchmark compares against the same
classes); they share no code with gnnprop's layers or engine. One change from
the documents: the aggregation is passed to ``MessagePassing.__init__`` (the
seed's NN layer assigns ``self.aggr`` after ``__init__``, which PyG ignores;
``SeedNNVerbatim`` is that class exactly as printed, and it sums).
"""

from gnnprop.bench import SeedDynamic, SeedFixed, SeedNN  # noqa: F401

from .fixtures.seed_layers import NN_MessagePassingLayer as SeedNNVerbatim  # noqa: F401  (exactly as printed)
