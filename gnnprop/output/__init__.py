"""Machine-readable writers (json, ndjson, csv, npy) and exact number formatting.

The writers are library code: they write to a stream they are given and know
nothing of terminals; the table view lives in the CLI package.
"""

from .numbers import format_matrix, shortest
from .writers import Writer, make_writer

__all__ = ["Writer", "make_writer", "format_matrix", "shortest"]
