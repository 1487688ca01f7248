"""``gnnprop convert IN OUT``: a graph from one supported format to another."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..io import EXTENSIONS, load_graph
from ..io.save import SAVE_FORMATS, dropped, graph_texts
from ..resolver import resolve
from . import helptext
from . import options as o
from .app import app
from .notes import warn_about_graph
from .sinks import atomic_file, check_writable, same_file, spooled_stdout


@app.command(**helptext.spec("convert"))
def convert(
    ctx: typer.Context,
    graph: o.GraphArg,
    out: Annotated[str, typer.Argument(metavar="OUT", help="The file to write (its extension picks the format), "
                                                          "or - for stdout (with --to).", show_default=False)],
    to: Annotated[Optional[str], typer.Option("--to", "-t", help="json | csv | edgelist (default: from OUT's extension).",
                                              show_default=False, autocompletion=o.complete(*SAVE_FORMATS))] = None,
    nodes_out: Annotated[Optional[str], typer.Option(
        "--nodes-out", help="Also write the node ids and features here (csv: id,x0,...; edgelist: id x0 ...); "
                            "needed when an edge file alone would lose features or nodes.", show_default=False)] = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    undirected: Annotated[bool, typer.Option("--undirected", help="Add missing reverse edges first.")] = False,
) -> None:
    """Convert GRAPH to OUT: JSON (tensor form), a CSV edge file or an edge list.

    Ids, node order, features, edge weights and edge attributes are kept exactly
    (reading OUT back gives the same graph). Where an edge file alone would lose
    something, name --nodes-out; OUT is written atomically.
    """
    fmt = _target_format(to, out)
    if nodes_out is not None and fmt == "json":
        raise UsageError("--nodes-out: a JSON graph carries its nodes itself; drop --nodes-out")
    if nodes_out is not None and nodes_out == "-":
        raise UsageError("--nodes-out: give a file; stdout is for OUT")
    for written in [out, nodes_out]:
        for given in [graph, node_features]:
            if written and written != "-" and given and given != "-" and os.path.exists(given) \
                    and same_file(given, written):
                raise UsageError(f"{written} is one of the input files; it would be overwritten")
    if out != "-":
        check_writable(out, "OUT")
    if nodes_out is not None:
        check_writable(nodes_out, "--nodes-out")
    g = load_graph(graph, input_format=input_format, node_features=node_features, undirected=undirected)
    warn_about_graph(sys.stderr, g)
    edges, nodes = graph_texts(g, fmt, nodes_out is not None, out)
    for what in dropped(g, fmt):
        sys.stderr.write(f"gnnprop: warning: {what} cannot be written in {fmt}; not written\n")
    with contextlib.ExitStack() as stack:
        sink = spooled_stdout(False) if out == "-" else atomic_file(out, False, what="OUT")
        stream = stack.enter_context(sink)
        node_stream = stack.enter_context(atomic_file(nodes_out, False, what="--nodes-out")) if nodes else None
        for chunk in edges:
            stream.write(chunk)
        if nodes is not None:
            for chunk in nodes:
                node_stream.write(chunk)
    extra = f" and {nodes_out}" if nodes_out else ""
    sys.stderr.write(f"gnnprop: wrote {g.num_nodes:,} nodes, {g.num_edges:,} edges as {fmt} to "
                     f"{'stdout' if out == '-' else out}{extra}\n")


def _target_format(to: str | None, out: str) -> str:
    if to is not None:
        names = {f: f for f in SAVE_FORMATS}
        return resolve(to, names, what="output format", key="--to",
                       aliases={"edges": "edgelist", "txt": "edgelist", "tsv": "edgelist", "el": "edgelist"})[0]
    if out == "-":
        raise UsageError("OUT is stdout: say which format with --to json|csv|edgelist")
    ext = os.path.splitext(out)[1].lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise UsageError(f"OUT: cannot tell the format from {out!r} (known extensions: {known}); use --to")
    return EXTENSIONS[ext]
