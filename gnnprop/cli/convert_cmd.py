"""``gnnprop convert IN OUT``: a graph from one supported format to another."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..resolver import resolve
from . import faults
from . import helptext
from . import options as o
from .app import app
from .notes import warn_about_graph
from .outputs import command_inputs, plan_outputs
from .sinks import open_output, output_target


@app.command(**helptext.spec("convert"))
def convert(
    ctx: typer.Context,
    graph: o.GraphArg,
    out: Annotated[str, typer.Argument(metavar="OUT", help="The file to write (its extension picks the format), "
                                                          "or - for stdout (with --to).", show_default=False)],
    to: Annotated[Optional[str], typer.Option("--to", "-t", help="json | csv | edgelist (default: from OUT's extension).",
                                              show_default=False, autocompletion=o.complete("json", "csv", "edgelist"))] = None,
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
    from ..io import load_graph
    from ..io.save import dropped, graph_texts

    out_t = output_target(out, "OUT")
    fmt = _target_format(to, out)
    if nodes_out is not None and fmt == "json":
        raise UsageError("--nodes-out: a JSON graph carries its nodes itself; drop --nodes-out")
    nodes_t = None if nodes_out is None else output_target(nodes_out, "--nodes-out", allow_stdout=False)
    plan_outputs(command_inputs(graph, node_features=node_features), [out_t, nodes_t])
    faults.doing(f"reading {graph}")
    g = load_graph(graph, input_format=input_format, node_features=node_features, undirected=undirected)
    warn_about_graph(sys.stderr, g)
    edges, nodes = graph_texts(g, fmt, nodes_out is not None, out)
    for what in dropped(g, fmt):
        sys.stderr.write(f"gnnprop: warning: {what} cannot be written in {fmt}; not written\n")
    faults.doing(f"writing {out_t.name}")
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_output(out_t, False))
        node_stream = stack.enter_context(open_output(nodes_t, False)) if nodes is not None else None
        for chunk in edges:
            stream.write(chunk)
        if nodes is not None:
            for chunk in nodes:
                node_stream.write(chunk)
    extra = f" and {nodes_out}" if nodes_out else ""
    sys.stderr.write(f"gnnprop: wrote {g.num_nodes:,} nodes, {g.num_edges:,} edges as {fmt} to "
                     f"{'stdout' if out == '-' else out}{extra}\n")


def _target_format(to: str | None, out: str) -> str:
    from ..io import ALIASES, EXTENSIONS
    from ..io.save import SAVE_FORMATS

    if to is not None:
        names = {f: f for f in SAVE_FORMATS}
        aliases = {a: f for a, f in ALIASES.items() if f in names}
        return resolve(to, names, what="output format", key="--to", aliases=aliases)[0]
    if out == "-":
        raise UsageError("OUT is stdout: say which format with --to json|csv|edgelist")
    ext = os.path.splitext(out)[1].lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise UsageError(f"OUT: cannot tell the format from {out!r} (known extensions: {known}); use --to")
    return EXTENSIONS[ext]
