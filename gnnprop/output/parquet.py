"""Parquet output of the per-round node features.

Two layouts, the ones a Spark job reads and writes as they are:

* one file (:class:`ParquetWriter`): columns ``round`` (int32), ``id``, ``x0`` ..
  ``x{F-1}``; one row group per round written, rows in node order;
* a folder in Hive layout (:class:`HiveParquetWriter`): ``OUT/round=R/part-0.parquet``
  per round written, with columns ``id, x0 ..``; ``pyarrow.dataset.dataset(OUT,
  partitioning="hive")`` reads it back as the one-file table (``round`` as int32).

``id`` keeps the ids' type: int64 when every id is an integer, else string (an
integer id among strings is written as its decimal text, and two ids that would
then read the same, ``7`` and ``"7"``, are refused). Features keep the run's dtype
(float32 or float64); inf and nan are written as they are. Every page carries its
CRC-32 checksum (what gnnprop's readers and Spark verify).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import UsageError
from .writers import Writer

ROUND_TYPE = pa.int32()


def id_array(node_ids: Sequence[Any]) -> pa.Array:
    """The node ids as one Arrow column: int64 if all are integers, else strings (refused when two
    ids would then be one: see :func:`refuse_same_text`)."""
    if all(type(i) is int for i in node_ids):
        try:
            return pa.array(np.array(node_ids, dtype=np.int64))
        except OverflowError:  # beyond int64 (only JSON input could give those)
            pass
    else:
        refuse_same_text(node_ids, "Parquet")
    return pa.array([str(i) for i in node_ids], pa.string())


def same_text(node_ids: Sequence[Any]) -> tuple[int, int] | None:
    """Positions ``(i, j)`` of an integer id and a string id that read the same as text (``7`` and
    ``"7"``), or ``None``: what a one-type column (Parquet's, Arrow's, Spark's) cannot keep apart."""
    ints = {str(v): k for k, v in enumerate(node_ids) if type(v) is int}
    if not ints or len(ints) == len(node_ids):
        return None
    for k, v in enumerate(node_ids):
        if type(v) is str and v in ints:
            return ints[v], k
    return None


def refuse_same_text(node_ids: Sequence[Any], fmt: str) -> None:
    """Refuse ids that a one-type column would merge (:func:`same_text`), naming both.

    A column of ``fmt`` (Parquet) has one type, so ids of both kinds are written as text; an
    integer and a string with the same text would become one id, two rows sharing it. Keeping
    the type is not possible there (Parquet has no union type, and Spark and pandas read one type
    a column), so the mix is refused where it would lose a node, and allowed where it would not."""
    pair = same_text(node_ids)
    if pair is None:
        return
    i, j = pair
    raise UsageError(f"{fmt} cannot keep node ids {node_ids[i]} (an integer, node {i + 1}) and {node_ids[j]!r} "
                     f"(a string, node {j + 1}) apart: its id column has one type, so mixed ids are written as "
                     f"text, where both read {str(node_ids[i])!r}; write json or ndjson (they keep each id's "
                     "type), or rename one of them", key="format")


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
            self.writer = pq.ParquetWriter(self.stream, table.schema, write_page_checksum=True)
        self.writer.write_table(table)

    def end(self, meta):
        if self.writer is None:  # no round written: an empty table with the columns
            names, arrays = feature_columns(np.zeros((0, self.width), np.float32), self.width)
            table = pa.Table.from_arrays([pa.array([], ROUND_TYPE), self.ids[:0], *arrays],
                                         names=["round", "id", *names])
            self.writer = pq.ParquetWriter(self.stream, table.schema, write_page_checksum=True)
            self.writer.write_table(table)
        self.writer.close()


PART = "part-0.parquet"


def write_round_part(folder: str, node_ids: Sequence[Any], x: np.ndarray, width: int) -> None:
    """One round of a run folder: ``folder/part-0.parquet`` with columns ``id, x0 ..`` (``folder`` is made)."""
    names, arrays = feature_columns(x, width)
    os.makedirs(folder, exist_ok=True)
    pq.write_table(pa.Table.from_arrays([id_array(node_ids), *arrays], names=["id", *names]),
                   os.path.join(folder, PART), write_page_checksum=True)


def read_round_array(folder: str, r: int, node_ids: Sequence[Any], width: int, dtype) -> np.ndarray:
    """Round ``r`` of the run folder ``folder`` as ``[N, width]`` in the order of ``node_ids`` (every node
    must have exactly one row): what a resumed run starts from."""
    from ..errors import InputError
    from .parquetsafe import check_round, read_folder

    path = os.path.join(folder, f"round={r}")
    table = read_folder(path)  # checksums verified, the declared size bounded, one-line errors
    check_round(table, path, width)
    names = ["id", *(f"x{k}" for k in range(width))]
    if table.num_rows != len(node_ids):
        raise InputError(f"{path}: {table.num_rows:,} rows, but the graph has {len(node_ids):,} nodes; "
                         "a run that kept only some nodes (--nodes) cannot be continued")
    ids = table.column("id").to_pylist()
    x = np.empty((len(node_ids), width), dtype=dtype)
    cols = [table.column(n).to_numpy() for n in names[1:]]
    if ids == list(node_ids) or [str(i) for i in ids] == [str(i) for i in node_ids]:
        for k, c in enumerate(cols):
            x[:, k] = c
        return x
    index = {str(i): k for k, i in enumerate(node_ids)}
    try:
        rows = np.fromiter((index[str(i)] for i in ids), dtype=np.int64, count=len(ids))
    except KeyError as e:
        raise InputError(f"{path}: node {e.args[0]!r} is not in the graph") from None
    if np.unique(rows).size != rows.size:
        raise InputError(f"{path}: a node has more than one row")
    for k, c in enumerate(cols):
        x[rows, k] = c
    return x


class HiveParquetWriter(Writer):
    """One ``round=R/part-0.parquet`` per round under the folder ``stream`` (a path, not a stream)."""

    binary = True

    def __init__(self, folder: str):
        super().__init__(None)  # type: ignore[arg-type]
        self.folder = folder

    def round(self, r, x):
        write_round_part(os.path.join(self.folder, f"round={r}"), self.node_ids, x, self.width)

