"""Parquet tables: edge tables and node tables, read with pyarrow.

Edge table: columns ``src, dst`` (or ``source, target``; names as in a CSV
header, case ignored), an optional ``weight``, and any other columns are edge
attributes in table order, as in a CSV edge file. Ids are an integer column
(any width) or a string column and keep their type: a string ``"7"`` is not the
integer 7. Weights and attributes are numeric columns (integers or floats),
read as float64, finite, without nulls.

Node table: the ``id`` column (else the first column) and either one list
column ``x`` (every list of the same length) or numeric feature columns, in
table order. It fixes the node set and order, as a CSV node file does.

Every problem is one :class:`~gnnprop.errors.InputError` naming the file, the
column and, where one row is at fault, the row (counted from 1).
"""

from __future__ import annotations

from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch

from ..errors import InputError
from ..graph import Graph, NodeId
from . import ids
from .csvfmt import _columns
from ..output.parquetsafe import read_file
from .source import read_data
from .tables import NodeTable

MAGIC = b"PAR1"


def read_table(path: str, stdin: IO | None = None) -> tuple[pa.Table, str]:
    """``(table, name)`` of the Parquet file ``path`` (``-``: standard input)."""
    data, name = read_data(path, stdin)
    if isinstance(data, str):
        raise InputError(f"{name}: not a Parquet file (got text; Parquet is binary)")
    if not data.startswith(MAGIC):
        raise InputError(f"{name}: not a Parquet file (it does not start with {MAGIC.decode()})")
    owned = pa.allocate_buffer(len(data))  # memory Arrow owns: see bulk._arrow_owned
    np.frombuffer(owned, np.uint8)[:] = np.frombuffer(data, np.uint8)
    return read_file(pa.BufferReader(owned), name), name  # checksums verified, the declared size bounded


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _first_bad(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _where(name: str, column: str, row: int | None = None) -> str:
    return f"{name}: column {column!r}" + ("" if row is None else f", row {row + 1}")


def _no_nulls(column: pa.ChunkedArray, name: str, label: str) -> None:
    if column.null_count:
        row = _first_bad(column.is_null().to_numpy(zero_copy_only=False))
        raise InputError(f"{_where(name, label, row)}: empty (null) value")


def numbers(column: pa.ChunkedArray, name: str, label: str, what: str = "number") -> np.ndarray:
    """float64 of a numeric column without nulls, every value finite."""
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise InputError(f"{_where(name, label)}: expected {what}s, got a column of type {column.type}")
    _no_nulls(column, name, label)
    values = column.to_numpy().astype(np.float64, copy=False)
    bad = ~np.isfinite(values)
    if bad.any():
        row = _first_bad(bad)
        raise InputError(f"{_where(name, label, row)}: expected a finite {what}, got {values[row]}")
    return values


def id_column(column: pa.ChunkedArray, name: str, label: str) -> np.ndarray | pa.Array:
    """An id column: int64 numpy for integers, a string Arrow array for strings."""
    _no_nulls(column, name, label)
    if pa.types.is_integer(column.type):
        if pa.types.is_uint64(column.type) and len(column) and pc.max(column).as_py() > ids.INT64_MAX:
            row = _first_bad(column.to_numpy() > ids.INT64_MAX)
            raise InputError(f"{_where(name, label, row)}: node id {column[row].as_py()} does not fit in a "
                             "64-bit integer")
        return column.to_numpy().astype(np.int64, copy=False)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        array = column.combine_chunks().cast(pa.large_string())
        empty = pc.equal(pc.binary_length(array), 0).to_numpy(zero_copy_only=False)
        if empty.any():
            raise InputError(f"{_where(name, label, _first_bad(empty))}: empty node id")
        return array
    raise InputError(f"{_where(name, label)}: node ids must be integers or strings, got a column of type {column.type}")


def load(path: str, nodes: NodeTable | None = None, stdin: IO | None = None) -> Graph:
    """The graph of a Parquet edge table (node features and order from ``nodes``)."""
    table, name = read_table(path, stdin)
    names = table.column_names
    s, t, w, attr = _columns([n.strip() for n in names], name, table=True)
    src = id_column(table.column(s), name, names[s])
    dst = id_column(table.column(t), name, names[t])
    if isinstance(src, np.ndarray) != isinstance(dst, np.ndarray):
        raise InputError(f"{name}: columns {names[s]!r} and {names[t]!r} must both be integers or both strings, "
                         f"got {table.column(s).type} and {table.column(t).type}")
    n_edges = table.num_rows
    if nodes is None:
        position, node_ids = _index(src, dst)
        x = None
        if not node_ids:
            raise InputError(f"{name}: has no edges and no nodes")
    else:
        position = np.empty((2, n_edges), np.int64)
        for k, (column, label) in enumerate(((src, names[s]), (dst, names[t]))):
            found, hit = _lookup(column, nodes)
            if not hit.all():
                row = _first_bad(~hit)
                value = column[row] if isinstance(column, np.ndarray) else column[row].as_py()
                raise InputError(f"{_where(name, label, row)}: node {ids.show_id(_plain(value))} is not in the "
                                 f"node file {nodes.source}")
            position[k] = found
        node_ids, x = nodes.node_ids, nodes.x
    weight = None if w is None else torch.from_numpy(numbers(table.column(w), name, names[w]).copy())
    attr_t = None
    if attr:
        values = np.empty((n_edges, len(attr)))
        for k, j in enumerate(attr):
            values[:, k] = numbers(table.column(j), name, names[j])
        attr_t = torch.from_numpy(values)
    return Graph(edge_index=torch.from_numpy(position), node_ids=node_ids, x=x, edge_weight=weight,
                 edge_attr=attr_t, source=name)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _index(src, dst) -> tuple[np.ndarray, list[NodeId]]:
    """Positions ``[2, E]`` and node ids without a node table: integers ascending,
    strings in order of first appearance (edge by edge, source then target)."""
    if isinstance(src, np.ndarray):
        position, distinct = ids.rank_ints(np.stack([src, dst]))
        return position, distinct.tolist()
    n = len(src)
    both = pa.concat_arrays([src, dst]).take(pa.array(np.stack([np.arange(n), np.arange(n) + n], 1).ravel()))
    encoded = pc.dictionary_encode(both).combine_chunks() if isinstance(both, pa.ChunkedArray) \
        else pc.dictionary_encode(both)
    codes = encoded.indices.to_numpy().astype(np.int64)
    return np.ascontiguousarray(codes.reshape(n, 2).T), encoded.dictionary.to_pylist()


def _lookup(column, nodes: NodeTable) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``column``'s ids in the node table, and which are there."""
    if isinstance(column, np.ndarray):
        keys = nodes.int_index if nodes.int_index is not None else ids.int_keys(nodes.id_index())
        return ids.lookup_ints(column, *keys)
    strings = [i for i in nodes.node_ids if type(i) is str]
    index = nodes.id_index()
    found = np.array([index[i] for i in strings], dtype=np.int64)
    at = pc.index_in(column, value_set=pa.array(strings, pa.large_string()))
    hit = at.is_valid().to_numpy(zero_copy_only=False)
    slots = at.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return (found[slots] if len(found) else np.zeros(len(column), np.int64)), hit


def read_nodes(path: str, stdin: IO | None = None) -> NodeTable:
    """A Parquet node table: ``id`` (else the first column), then ``x`` (a list column) or feature columns."""
    table, name = read_table(path, stdin)
    names = table.column_names
    if not names:
        raise InputError(f"{name}: the table has no columns; expected id and features")
    j = names.index("id") if "id" in names else 0
    node_ids = id_column(table.column(j), name, names[j])
    rest = [k for k in range(len(names)) if k != j]
    n = table.num_rows
    if not n:
        raise InputError(f"{name}: has no nodes")
    if [names[k] for k in rest] == ["x"] and _is_list(table.column(rest[0]).type):
        x = _list_features(table.column(rest[0]), name)
    else:
        x = np.empty((n, len(rest)))
        for c, k in enumerate(rest):
            x[:, c] = numbers(table.column(k), name, names[k], "feature")
    if isinstance(node_ids, np.ndarray):
        _, distinct = ids.rank_ints(node_ids)
        if len(distinct) != n:
            _duplicate(name, names[j], node_ids.tolist())
        id_list: list[NodeId] = node_ids.tolist()
        int_index = (node_ids, np.arange(n, dtype=np.int64))
    else:
        id_list = node_ids.to_pylist()
        int_index = None
    index = dict(zip(id_list, range(n)))
    if len(index) != n:
        _duplicate(name, names[j], id_list)
    return NodeTable(source=name, node_ids=id_list, x=torch.from_numpy(x) if x.shape[1] else None, index=index,
                     int_index=int_index)


def _duplicate(name: str, label: str, id_list: list) -> None:
    seen: dict = {}
    for row, value in enumerate(id_list):
        first = seen.setdefault(value, row)
        if first != row:
            raise InputError(f"{_where(name, label, row)}: duplicate node id {ids.show_id(value)} "
                             f"(first in row {first + 1})")


def _is_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)


def _list_features(column: pa.ChunkedArray, name: str) -> np.ndarray:
    """``[N, F]`` float64 of a list column whose lists all have the same length."""
    _no_nulls(column, name, "x")
    array = column.combine_chunks()
    lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != lengths[0]).any():
        row = _first_bad(lengths != lengths[0])
        raise InputError(f"{_where(name, 'x', row)}: {lengths[row]} features, expected {lengths[0]} as in row 1")
    width = int(lengths[0]) if len(lengths) else 0
    flat = pc.list_flatten(array)
    if not (pa.types.is_integer(flat.type) or pa.types.is_floating(flat.type)):
        raise InputError(f"{_where(name, 'x')}: expected lists of numbers, got a column of type {column.type}")
    if flat.null_count:
        row = _first_bad(flat.is_null().to_numpy(zero_copy_only=False)) // width
        raise InputError(f"{_where(name, 'x', row)}: empty (null) feature")
    values = np.array(flat.to_numpy(zero_copy_only=False), dtype=np.float64)  # a copy torch may write to
    bad = ~np.isfinite(values)
    if bad.any():
        k = _first_bad(bad)
        raise InputError(f"{_where(name, 'x', k // width)}: expected a finite feature, got {values[k]}")
    return values.reshape(len(lengths), width)
