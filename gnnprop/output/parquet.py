"""Parquet output of the per-round node features.

Two layouts, the ones a Spark job reads and writes as they are:

* one file (:class:`ParquetWriter`): columns ``round`` (int32), ``id``, ``x0`` ..
  ``x{F-1}``; one row group per round written, rows in node order;
* a folder in Hive layout (:class:`HiveParquetWriter`): ``OUT/round=R/part-0.parquet``
  per round written, with columns ``id, x0 ..``; ``pyarrow.dataset.dataset(OUT,
  partitioning="hive")`` reads it back as the one-file table (``round`` as int32).

``id`` keeps the ids' type: int64 when every id is an integer, else string (an
integer id among strings is written as its decimal text). Features keep the
run's dtype (float32 or float64); inf and nan are written as they are.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .writers import Writer

ROUND_TYPE = pa.int32()


def id_array(node_ids: Sequence[Any]) -> pa.Array:
    """The node ids as one Arrow column: int64 if all are integers, else strings."""
    if all(type(i) is int for i in node_ids):
        try:
            return pa.array(np.array(node_ids, dtype=np.int64))
        except OverflowError:  # beyond int64 (only JSON input could give those)
            pass
    return pa.array([str(i) for i in node_ids], pa.string())


def feature_columns(x: np.ndarray, width: int) -> tuple[list[str], list[pa.Array]]:
    """``x0 .. x{width-1}`` of ``x`` [N, F] (columns past F, a narrower round, are null)."""
    names = [f"x{k}" for k in range(width)]
    dtype = pa.from_numpy_dtype(x.dtype)
    arrays = [pa.array(np.ascontiguousarray(x[:, k])) if k < x.shape[1] else pa.nulls(len(x), dtype)
              for k in range(width)]
    return names, arrays


class ParquetWriter(Writer):
    """Every round written into one Parquet file: ``round, id, x0 ..``, a row group per round."""

    binary = True

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.ids = id_array(self.node_ids)
        self.writer: pq.ParquetWriter | None = None

    def round(self, r, x):
        names, arrays = feature_columns(x, self.width)
        table = pa.Table.from_arrays([pa.array(np.full(len(x), r, np.int32)), self.ids, *arrays],
                                     names=["round", "id", *names])
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.stream, table.schema)
        self.writer.write_table(table)

    def end(self, meta):
        if self.writer is None:  # no round written: an empty table with the columns
            names, arrays = feature_columns(np.zeros((0, self.width), np.float32), self.width)
            table = pa.Table.from_arrays([pa.array([], ROUND_TYPE), self.ids[:0], *arrays],
                                         names=["round", "id", *names])
            self.writer = pq.ParquetWriter(self.stream, table.schema)
            self.writer.write_table(table)
        self.writer.close()


class HiveParquetWriter(Writer):
    """One ``round=R/part-0.parquet`` per round under the folder ``stream`` (a path, not a stream)."""

    binary = True

    def __init__(self, folder: str):
        super().__init__(None)  # type: ignore[arg-type]
        self.folder = folder

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.ids = id_array(self.node_ids)

    def round(self, r, x):
        names, arrays = feature_columns(x, self.width)
        part = os.path.join(self.folder, f"round={r}")
        os.makedirs(part, exist_ok=True)
        pq.write_table(pa.Table.from_arrays([self.ids, *arrays], names=["id", *names]),
                       os.path.join(part, "part-0.parquet"))

