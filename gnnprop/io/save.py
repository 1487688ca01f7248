"""Writing graphs: the inverse of :func:`gnnprop.io.load_graph`, for ``gnnprop convert``.

* ``json``: the tensor form (``x``, ``edge_index``, ``edge_weight``, ``edge_attr``,
  ``y``, and ``node_ids`` unless the ids are 0..N-1), numbers as shortest
  round-trip decimals, so reading it back gives the same graph bit for bit.
* ``csv``: an edge file ``src,dst[,weight][,attr0,...]``; the node file
  ``id,x0,x1,...`` beside it when asked for.
* ``edgelist``: ``src dst [weight [attrs...]]`` lines under a ``#`` comment
  line; the node file ``id x0 x1 ...`` without a header.

An edge file alone fixes the node set and order only from the ids that appear in
it (see :mod:`gnnprop.io.ids`). Where that would lose something (features,
nodes without edges, an order the ids do not imply), :func:`graph_texts` refuses
unless a node file is written too: converting never drops data silently. Labels
(``y``) exist only in JSON; :func:`dropped` names them for a warning.

Text is built in bulk with numpy (:func:`gnnprop.output.writers.text_rows`), so
10 million edges with integer ids take seconds, not a Python loop per edge.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Callable, Iterator

import numpy as np

from ..errors import UsageError, setting
from ..graph import Graph
from ..output.writers import _csv_field, id_grid, text_rows
from .ids import INT_TOKEN

#: Formats a graph can be written in (each reads back as the same graph): name -> description.
SAVE_FORMATS: dict[str, str] = {
    "json": "JSON tensor form (x, edge_index, edge_weight, edge_attr, y, node_ids)",
    "nodelink": "JSON node-link form, as networkx writes it (nodes with id and x; links with source, target, "
                "weight, edge_attr)",
    "csv": "a CSV edge file src,dst[,weight][,attr0,...]; --nodes-out: id,x0,...",
    "edgelist": "'src dst [weight [attrs...]]' lines under a # comment; --nodes-out: 'id x0 ...' lines",
    "parquet": "a Parquet edge table src, dst[, weight][, attr0, ...]; --nodes-out: a Parquet node table id, x0, ...",
}
#: The formats written as bytes.
BINARY_SAVE = ("parquet",)
#: The formats whose one file holds the nodes too.
WHOLE_SAVE = ("json", "nodelink")


def needs_node_file(g: Graph) -> str | None:
    """Why an edge file alone would not give back ``g``, or ``None`` when it would."""
    if g.x is not None:
        return f"the graph has node features ({g.num_features} per node)"
    n = g.num_nodes
    if n == 0:
        return None
    src, dst = g.edge_index.numpy()
    seen = np.zeros(n, bool)
    seen[src] = True
    seen[dst] = True
    if not seen.all():
        missing = int((~seen).sum())
        return f"{missing} node{'s' if missing != 1 else ''} without edges"
    # the order the loader gives: integer ids ascending, then string ids by first appearance
    is_int = np.array([type(i) is int for i in g.node_ids])
    ints = np.flatnonzero(is_int)
    if len(ints) and not all(a < b for a, b in zip((g.node_ids[k] for k in ints[:-1]),
                                                   (g.node_ids[k] for k in ints[1:]))):
        return "the integer node ids are not in ascending order"
    tokens = np.stack([src, dst], axis=1).reshape(-1)  # reading order: src, dst, next line
    first = np.full(n, tokens.size, np.int64)
    np.minimum.at(first, tokens, np.arange(tokens.size))
    strs = np.flatnonzero(~is_int)
    order = np.concatenate([ints, strs[np.argsort(first[strs], kind="stable")]])
    if not np.array_equal(order, np.arange(n)):
        return "the node order is not the one the ids imply (integers ascending, then strings as they appear)"
    return None


def dropped(g: Graph, fmt: str) -> list[str]:
    """What ``fmt`` has no place for (for a warning)."""
    return ["labels (y)"] if g.y is not None and fmt != "json" else []


Write = Callable[[IO], None]


def graph_writers(g: Graph, fmt: str, with_nodes: bool, target: str) -> tuple[Write, Write | None]:
    """What writes the graph file (``fmt``, to a stream: bytes for :data:`BINARY_SAVE`) and the node
    file. Everything that could refuse the graph does so before anything is written."""
    if fmt == "parquet":
        from .parquet_out import graph_tables

        edges, nodes = graph_tables(g, with_nodes, target)
        return _parquet_write(edges), None if nodes is None else _parquet_write(nodes)
    if fmt == "nodelink":
        text = nodelink_text(g)
        return (lambda stream: stream.write(text)), None
    edges, nodes = graph_texts(g, fmt, with_nodes, target)
    return _text_write(edges), None if nodes is None else _text_write(nodes)


def _text_write(chunks: Iterator[str]) -> Write:
    def write(stream: IO) -> None:
        for chunk in chunks:
            stream.write(chunk)
    return write


def _parquet_write(table) -> Write:
    def write(stream: IO) -> None:
        import pyarrow.parquet as pq

        pq.write_table(table, stream)
    return write


def check_edges_alone(g: Graph, fmt: str, target: str) -> None:
    """Refuse an edge file alone where it would not give ``g`` back (see :func:`needs_node_file`)."""
    why = needs_node_file(g)
    if why is not None:
        what = {"csv": "a CSV edge file", "parquet": "a Parquet edge table"}.get(fmt, "an edge list")
        raise UsageError(f"{target}: {what} alone would lose data: {why}; also write the nodes with "
                         f"{setting('nodes_out', 'FILE')}, or convert to json")


def graph_texts(g: Graph, fmt: str, with_nodes: bool, target: str) -> tuple[Iterator[str], Iterator[str] | None]:
    """The text of the edge file (or the whole JSON) and of the node file, as chunks.

    ``target`` names the output in messages.
    """
    if fmt == "json":
        return iter([json_text(g)]), None
    if not with_nodes:
        check_edges_alone(g, fmt, target)
    sep = "," if fmt == "csv" else " "
    spell = _csv_field if fmt == "csv" else _plain_id
    ids = _id_grid(g, spell, fmt)
    edges = _edge_text(g, ids, sep, fmt)
    nodes = _node_text(g, ids, sep, fmt) if with_nodes else None
    return edges, nodes


def _plain_id(node_id) -> str:
    text = str(node_id)
    if not text or any(c.isspace() for c in text) or text[0] in "#%":
        raise UsageError(f"node id {text!r} cannot be written in an edge list "
                         "(empty, whitespace, or a comment character first); convert to csv or json")
    return text


def _id_grid(g: Graph, spell, fmt: str) -> np.ndarray:
    for i in g.node_ids:
        if type(i) is str and INT_TOKEN.fullmatch(i):
            raise UsageError(f"node id {i!r} is a string that {fmt} would read back as the integer {i}; "
                             "convert to json")
        if type(i) is str and (not i or i != i.strip()):
            raise UsageError(f"node id {i!r} is empty or has space at an end, which {fmt} readers strip; "
                             "convert to json")
    grid = id_grid(g.node_ids, spell)  # spell refuses ids the format cannot hold
    if grid is None:
        raise UsageError(f"a node id holds a NUL character, which {fmt} cannot carry; convert to json")
    return grid


def _edge_values(g: Graph, fmt: str) -> tuple[np.ndarray, list[str]]:
    """The numbers after the two ids of each edge line, and their csv column names."""
    cols, names = [], []
    if g.edge_weight is not None:
        cols.append(g.edge_weight.numpy().reshape(-1, 1))
        names.append("weight")
    if g.edge_attr is not None:
        if g.edge_weight is None and fmt == "edgelist":
            raise UsageError("an edge list reads its third column as the weight, and this graph has edge "
                             "attributes without weights; convert to csv or json")
        attr = g.edge_attr.numpy()
        attr = attr.reshape(-1, 1) if attr.ndim == 1 else attr
        cols.append(attr)
        names += [f"attr{k}" for k in range(attr.shape[1])]
    if not cols:
        return np.zeros((g.num_edges, 0)), names
    return np.concatenate(cols, axis=1).astype(np.float64), names


def _edge_text(g: Graph, ids: np.ndarray, sep: str, fmt: str) -> Iterator[str]:
    values, names = _edge_values(g, fmt)  # refuses before anything is written
    header = ",".join(["src", "dst"] + names) if fmt == "csv" else "# " + _layout(values.shape[1])
    src, dst = g.edge_index.numpy()

    def chunks() -> Iterator[str]:
        yield header + "\n"
        step = 1 << 20
        for a in range(0, g.num_edges, step):
            s, d, v = src[a:a + step], dst[a:a + step], values[a:a + step]
            parts = [ids[s], sep, ids[d]] + ([sep] if v.shape[1] else [])
            yield from text_rows(v, parts, sep, "\n", None)
    return chunks()


def _layout(width: int) -> str:
    if width == 0:
        return "source target"
    if width == 1:
        return "source target weight"
    return f"source target weight and {width - 1} edge attribute{'s' if width > 2 else ''}"


def _node_text(g: Graph, ids: np.ndarray, sep: str, fmt: str) -> Iterator[str]:
    x = np.zeros((g.num_nodes, 0)) if g.x is None else g.x.numpy().astype(np.float64)
    if fmt == "csv":
        yield ",".join(["id"] + [f"x{k}" for k in range(x.shape[1])]) + "\n"
    parts = [ids] + ([sep] if x.shape[1] else [])
    yield from text_rows(x, parts, sep, "\n", None)


def json_text(g: Graph) -> str:
    """The tensor form of ``g`` as one JSON document (numbers round-trip exactly)."""
    doc: dict = {}
    if list(g.node_ids) != list(range(g.num_nodes)):
        doc["node_ids"] = list(g.node_ids)
    else:
        doc["num_nodes"] = g.num_nodes
    if g.x is not None:
        doc["x"] = g.x.tolist()
    doc["edge_index"] = g.edge_index.tolist()
    if g.edge_weight is not None:
        doc["edge_weight"] = g.edge_weight.tolist()
    if g.edge_attr is not None:
        doc["edge_attr"] = (g.edge_attr.unsqueeze(1) if g.edge_attr.dim() == 1 else g.edge_attr).tolist()
    if g.y is not None:
        doc["y"] = g.y.tolist() if hasattr(g.y, "tolist") else g.y
    try:
        return json.dumps(doc, allow_nan=False) + "\n"
    except ValueError:
        raise UsageError("the graph holds inf or nan, which JSON cannot carry") from None


def nodelink_text(g: Graph) -> str:
    """The node-link form of ``g`` (what networkx's ``node_link_data`` writes; exact numbers)."""
    x = None if g.x is None else g.x.tolist()
    nodes = [{"id": i} if x is None else {"id": i, "x": x[k]} for k, i in enumerate(g.node_ids)]
    src, dst = g.edge_index.tolist()
    ids = g.node_ids
    weight = None if g.edge_weight is None else g.edge_weight.tolist()
    attr = None if g.edge_attr is None else \
        (g.edge_attr.unsqueeze(1) if g.edge_attr.dim() == 1 else g.edge_attr).tolist()
    links = []
    for k, (a, b) in enumerate(zip(src, dst)):
        link: dict = {"source": ids[a], "target": ids[b]}
        if weight is not None:
            link["weight"] = weight[k]
        if attr is not None:
            link["edge_attr"] = attr[k]
        links.append(link)
    multi = g.num_edges and int(np.unique(g.edge_index.numpy(), axis=1).shape[1]) != g.num_edges
    doc = {"directed": True, "multigraph": bool(multi), "graph": {}, "nodes": nodes, "links": links}
    if g.y is not None:
        raise UsageError("the graph has labels (y), which the node-link form does not carry; convert to json")
    try:
        return json.dumps(doc, allow_nan=False) + "\n"
    except ValueError:
        raise UsageError("the graph holds inf or nan, which JSON cannot carry") from None


def format_of(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format to write ``path`` in: ``fmt`` (a name from :data:`SAVE_FORMATS` or an input alias),
    else from the extension."""
    from ..resolver import resolve
    from . import ALIASES, EXTENSIONS

    if fmt is not None:
        aliases = {a: f for a, f in ALIASES.items() if f in SAVE_FORMATS and a not in SAVE_FORMATS}
        return resolve(fmt, SAVE_FORMATS, what="output format", key="to", aliases=aliases)[0]
    found = EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise UsageError(f"{path}: cannot tell the format from its extension (known: "
                         f"{', '.join(sorted(EXTENSIONS))}); pass {setting('to', ' | '.join(SAVE_FORMATS))}")
    return found


def save_graph(graph: Any, path: str | os.PathLike, *, fmt: str | None = None,
               nodes_path: str | os.PathLike | None = None) -> None:
    """Write ``graph`` as ``gnnprop convert`` does (format from the extension unless ``fmt``);
    ``nodes_path`` also writes the node file of an edge file (CSV, edge list, Parquet)."""
    from .interop import as_graph

    g = as_graph(graph)
    fmt = format_of(path, fmt)
    if nodes_path is not None and fmt in WHOLE_SAVE:
        raise UsageError(f"a {fmt} graph carries its nodes itself", key="nodes_path")
    edges, nodes = graph_writers(g, fmt, nodes_path is not None, str(path))
    mode = "wb" if fmt in BINARY_SAVE else "w"
    with open(path, mode, **({} if fmt in BINARY_SAVE else {"encoding": "utf-8", "newline": ""})) as f:
        edges(f)
    if nodes is not None:
        with open(nodes_path, mode, **({} if fmt in BINARY_SAVE else {"encoding": "utf-8", "newline": ""})) as f:
            nodes(f)
