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
from typing import IO

from ..errors import UsageError
from ..graph import Graph, with_reverse_edges
from ..resolver import resolve
from . import csvfmt, edgelist, jsonfmt
from .source import COMMENT_CHARS, STDIN, read_text
from .tables import NodeTable

#: Registry of input formats: canonical name -> one-line description.
FORMATS: dict[str, str] = {
    "json": "JSON: tensor form (x, edge_index, ...) or networkx node-link form (nodes, links)",
    "csv": "CSV edge file with a header: src,dst or source,target, optional weight, other columns = edge attributes",
    "edgelist": "whitespace-separated 'src dst [weight [attr...]]' lines, # or % comments",
}
ALIASES: dict[str, str] = {"edges": "edgelist", "txt": "edgelist", "tsv": "edgelist", "el": "edgelist",
                           "nodelink": "json"}
EXTENSIONS: dict[str, str] = {
    ".json": "json",
    ".csv": "csv",
    ".txt": "edgelist", ".edgelist": "edgelist", ".tsv": "edgelist", ".cites": "edgelist",
    ".el": "edgelist", ".edges": "edgelist",
}


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
                     f"pass --input-format {' | '.join(FORMATS)}")


def load_node_table(path: str, stdin: IO | None = None) -> NodeTable:
    """Read a node-feature file: ``.csv`` with a header ``id,f1,...``; anything else
    whitespace-separated ``id f1 f2 ...`` lines without header."""
    text, name = read_text(path, stdin)
    ext = os.path.splitext(path)[1].lower()
    reader = csvfmt.read_nodes if ext == ".csv" else edgelist.read_nodes
    return reader(text, name)


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
        fmt, _ = resolve(input_format, FORMATS, what="input format", aliases=ALIASES, key="--input-format")
    if node_features is not None and node_features == path == STDIN:
        raise UsageError("the graph and --node-features cannot both be read from stdin (-)")
    text, name = read_text(path, stdin)
    if fmt is None:
        fmt = detect_format(path, text[:SNIFF_CHARS])
    if fmt == "json":
        if node_features is not None:
            raise UsageError(f"{name}: --node-features applies to csv and edge-list graphs; "
                             'a JSON graph carries its features in "x"')
        graph = jsonfmt.load(text, name)
    else:
        nodes = None if node_features is None else load_node_table(node_features, stdin)
        module = csvfmt if fmt == "csv" else edgelist
        graph = module.load(text, name, nodes)
    return with_reverse_edges(graph) if undirected else graph
