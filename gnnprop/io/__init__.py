"""Graph loaders: JSON (tensor or node-link form), CSV edge files and edge lists.

:func:`load_graph` is the one entry point: it picks the format (``--input-format``,
else the file extension, else for stdin a look at the content), reads the
optional node-feature file and returns a :class:`~gnnprop.graph.Graph`. Every
failure is an :class:`~gnnprop.errors.InputError` (bad data) or a
:class:`~gnnprop.errors.UsageError` (bad usage) whose one-line message starts
with the file name as given, then the place (line, row, JSON path).
How ids become nodes, and in which order, is in :mod:`gnnprop.io.ids`.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import IO

from ..errors import UsageError, setting
from ..graph import Graph, with_reverse_edges
from ..resolver import resolve
from . import csvfmt, edgelist, jsonfmt
from .source import COMMENT_CHARS, STDIN, read_data, text_of
from .tables import NodeTable, build_graph_bulk

#: Registry of input formats: canonical name -> one-line description.
FORMATS: dict[str, str] = {
    "json": "JSON: tensor form (x, edge_index, ...) or networkx node-link form (nodes, links)",
    "csv": "CSV edge file with a header: src,dst or source,target, optional weight, other columns = edge attributes",
    "edgelist": "whitespace-separated 'src dst [weight [attr...]]' lines, # or % comments",
    "parquet": "Parquet edge table: src,dst or source,target columns, optional weight, other columns = edge attributes",
}
ALIASES: dict[str, str] = {"edges": "edgelist", "txt": "edgelist", "tsv": "edgelist", "el": "edgelist",
                           "nodelink": "json"}
EXTENSIONS: dict[str, str] = {
    ".json": "json",
    ".csv": "csv",
    ".txt": "edgelist", ".edgelist": "edgelist", ".tsv": "edgelist", ".cites": "edgelist",
    ".el": "edgelist", ".edges": "edgelist",
    ".parquet": "parquet", ".pq": "parquet",
}


#: The first bytes of a Parquet file (how stdin is recognised as one).
PARQUET_MAGIC = b"PAR1"

#: How much of stdin :func:`sniff_format` looks at.
SNIFF_CHARS = 1 << 16


def sniff_format(text: str) -> str:
    """Format of a document by its content: ``{``/``[`` first -> json; a comma on the
    first line that is not blank or a comment -> csv; else edgelist."""
    head = text.lstrip("\ufeff \t\r\n")
    if head[:1] in ("{", "["):
        return "json"
    for line in text.split("\n"):
        line = line.strip().lstrip("\ufeff")
        if line and line[0] not in COMMENT_CHARS:
            return "csv" if "," in line else "edgelist"
    return "edgelist"


def detect_format(path: str, text_head: str | None = None) -> str:
    """Format of ``path`` from its extension; for ``-`` (stdin) from ``text_head``.

    An unknown extension is a :class:`UsageError` naming the file and the formats.
    """
    if path == STDIN:
        return sniff_format(text_head or "")
    ext = os.path.splitext(path)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    what = f"extension {ext!r}" if ext else "a file name without extension"
    known = " ".join(sorted(EXTENSIONS))
    raise UsageError(f"{path}: cannot tell the input format from {what} (known: {known}); "
                     f"pass {setting('input_format', ' | '.join(FORMATS))}")


def load_node_table(path: str, stdin: IO | None = None) -> NodeTable:
    """Read a node-feature file: ``.csv`` with a header ``id,f1,...``; anything else
    whitespace-separated ``id f1 f2 ...`` lines without header; ``.parquet`` a node table."""
    if os.path.splitext(path)[1].lower() in (".parquet", ".pq"):
        from . import parquetfmt  # pyarrow.parquet only for Parquet files

        return parquetfmt.read_nodes(path, stdin)
    data, name = read_data(path, stdin)
    module = csvfmt if os.path.splitext(path)[1].lower() == ".csv" else edgelist
    raw = _ascii_bytes(data)
    table = None if raw is None else module.scan_nodes(raw, name)  # the common case, in bulk
    return module.read_nodes(text_of(data, name), name) if table is None else table


def load_graph(
    path: str,
    input_format: str | None = None,
    node_features: str | None = None,
    undirected: bool = False,
    stdin: IO | None = None,
) -> Graph:
    """Load the graph in ``path`` (``-``: the text stream ``stdin``, default ``sys.stdin``).

    Args:
        path: the graph file, as the user wrote it (messages quote it as is).
        input_format: a name or alias from :data:`FORMATS`; ``None`` detects it.
        node_features: for csv and edge-list graphs, a file of node ids and
            features that also fixes the node set and order.
        undirected: add the reverse of every edge that lacks one.

    Returns:
        A :class:`Graph` whose ``source`` is ``path`` (``<stdin>`` for ``-``).
    """
    fmt = None
    if input_format is not None:
        fmt, _ = resolve(input_format, FORMATS, what="input format", aliases=ALIASES, key="input_format")
    if node_features is not None and node_features == path == STDIN:
        raise UsageError(f"the graph and {setting('node_features')} cannot both be read from stdin (-)")
    if fmt == "parquet" or (fmt is None and EXTENSIONS.get(os.path.splitext(path)[1].lower()) == "parquet"):
        return _parquet_graph(path, node_features, undirected, stdin)
    data, name = read_data(path, stdin)
    if fmt is None and path == STDIN and isinstance(data, bytes) and data.startswith(PARQUET_MAGIC):
        return _parquet_graph(path, node_features, undirected, _Replay(data))
    text = None
    if fmt is None and path != STDIN:
        fmt = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if fmt is None:  # sniff stdin, or report the extension, once the content is known to be text
        text = text_of(data, name)
        fmt = detect_format(path, text[:SNIFF_CHARS])
    if fmt == "json":
        text = text_of(data, name) if text is None else text
        if node_features is not None:
            raise UsageError(f"{name}: {setting('node_features')} applies to csv and edge-list graphs; "
                             'a JSON graph carries its features in "x"')
        graph = jsonfmt.load(text, name)
    else:
        graph = _load_text_graph(csvfmt if fmt == "csv" else edgelist, data, text, name, node_features, stdin)
    return with_reverse_edges(graph) if undirected else graph


def _nodes(node_features: str | None, stdin: IO | None) -> NodeTable | None:
    return None if node_features is None else load_node_table(node_features, stdin)


def _parquet_graph(path: str, node_features: str | None, undirected: bool, stdin: IO | None) -> Graph:
    from . import parquetfmt

    graph = parquetfmt.load(path, _nodes(node_features, stdin), stdin=stdin)
    return with_reverse_edges(graph) if undirected else graph


class _Replay:
    """Standard input already read, handed to a reader again."""

    def __init__(self, data: bytes):
        self.buffer = self
        self.data = data

    def read(self) -> bytes:
        return self.data


def _ascii_bytes(data: bytes | str) -> bytes | None:
    """``data`` as bytes for a bulk reader (a text stream's ASCII text too), else ``None``."""
    if isinstance(data, str):
        return data.encode("ascii") if data.isascii() else None
    return data


def _load_text_graph(module: ModuleType, data: bytes | str, text: str | None, name: str,
                     node_features: str | None, stdin: IO | None) -> Graph:
    """A CSV or edge-list graph: in bulk when :func:`module.scan` can, else line by line.

    Errors come in the same order either way: the graph file's text, the node
    file, then the graph file's lines (the bulk path only succeeds on a file
    without errors, but for ids missing from the node file).
    """
    raw = _ascii_bytes(data)
    edges = None if raw is None else module.scan(raw)
    if edges is None and text is None:
        text = text_of(data, name)
    nodes = None if node_features is None else load_node_table(node_features, stdin)
    graph = None if edges is None else build_graph_bulk(edges, name, nodes)
    if graph is None:  # the exact reader: its messages say where a problem is
        graph = module.load(text_of(data, name) if text is None else text, name, nodes)
    return graph
