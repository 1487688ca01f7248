"""A graph as Parquet tables: the inverse of :mod:`.parquetfmt`, for ``gnnprop convert``.

The edge table has ``src, dst`` (int64 when every id is an integer, else strings),
``weight`` and ``attr0 ..`` (float64) where the graph has them; the node table ``id,
x0 ..``. Read back, they give the same graph: a graph whose ids mix integers and
strings (``7`` and ``"7"`` are different nodes) cannot be written, since a Parquet
column has one type.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..errors import UsageError
from ..graph import Graph


def _ids(g: Graph) -> pa.Array:
    kinds = {type(i) for i in g.node_ids}
    if kinds <= {int}:
        return pa.array(np.array(g.node_ids, dtype=np.int64))
    if kinds <= {str}:
        return pa.array(g.node_ids, pa.string())
    example = next(i for i in g.node_ids if type(i) is int)
    raise UsageError(f"the node ids mix integers (such as {example}) and strings, which one Parquet column "
                     "cannot hold; convert to json")


def graph_tables(g: Graph, with_nodes: bool, target: str) -> tuple[pa.Table, pa.Table | None]:
    """The edge table and, with ``with_nodes``, the node table (refused before anything is written
    where the edge table alone would lose data)."""
    from .save import check_edges_alone

    ids = _ids(g)
    if g.y is not None:
        raise UsageError("the graph has labels (y), which a Parquet edge table does not carry; convert to json")
    if not with_nodes:
        check_edges_alone(g, "parquet", target)
    src, dst = g.edge_index.numpy()
    columns = {"src": ids.take(pa.array(src)), "dst": ids.take(pa.array(dst))}
    if g.edge_weight is not None:
        columns["weight"] = pa.array(g.edge_weight.numpy().astype(np.float64))
    if g.edge_attr is not None:
        attr = g.edge_attr.numpy().astype(np.float64)
        attr = attr.reshape(-1, 1) if attr.ndim == 1 else attr
        for k in range(attr.shape[1]):
            columns[f"attr{k}"] = pa.array(np.ascontiguousarray(attr[:, k]))
    nodes = None
    if with_nodes:
        node_cols = {"id": ids}
        if g.x is not None:
            x = g.x.numpy().astype(np.float64)
            for k in range(x.shape[1]):
                node_cols[f"x{k}"] = pa.array(np.ascontiguousarray(x[:, k]))
        nodes = pa.table(node_cols)
    return pa.table(columns), nodes
