"""``gnnprop convert IN OUT``: a graph from one supported format to another."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import faults
from . import helptext, spec
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
    to: Annotated[Optional[str], spec.opt("to", help="json | nodelink | csv | edgelist | parquet (default: from "
                                          "OUT's extension).")] = None,
    nodes_out: Annotated[Optional[str], spec.opt("nodes_out", help="Also write the node ids and features here (csv: "
                                                 "id,x0,...; edgelist: id x0 ...; parquet: a node table id, x0, ...); "
                                                 "needed when an edge file alone would lose features or nodes.")] = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    undirected: Annotated[bool, spec.opt("undirected", help="Add missing reverse edges first.")] = False,
) -> None:
    """Convert GRAPH to OUT: JSON (tensor or node-link form), a CSV edge file, an edge list or Parquet.

    Ids, node order, features, edge weights and edge attributes are kept exactly
    (reading OUT back gives the same graph). Where an edge file alone would lose
    something, name --nodes-out; OUT is written atomically.
    """
    from ..io import load_graph
    from ..io.save import BINARY_SAVE, WHOLE_SAVE, dropped, graph_writers

    out_t = output_target(out, "OUT")
    fmt = _target_format(to, out)
    if nodes_out is not None and fmt in WHOLE_SAVE:
        raise UsageError(f"--nodes-out: a JSON graph carries its nodes itself ({fmt}); drop --nodes-out")
    nodes_t = None if nodes_out is None else output_target(nodes_out, "--nodes-out", allow_stdout=False)
    plan_outputs(command_inputs(graph, node_features=node_features), [out_t, nodes_t])
    faults.doing(f"reading {graph}")
    g = load_graph(graph, input_format=input_format, node_features=node_features, undirected=undirected)
    warn_about_graph(sys.stderr, g)
    for what in dropped(g, fmt):
        if fmt in ("nodelink", "parquet"):
            raise UsageError(f"{what} cannot be written as {fmt}; convert to json")
        sys.stderr.write(f"gnnprop: warning: {what} cannot be written in {fmt}; not written\n")
    edges, nodes = graph_writers(g, fmt, nodes_out is not None, out)
    faults.doing(f"writing {out_t.name}")
    binary = fmt in BINARY_SAVE
    if binary and out_t.kind == "stdout" and sys.stdout.isatty():
        raise UsageError(f"--to {fmt}: binary output to a terminal; name a file, or pipe it")
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_output(out_t, binary))
        node_stream = stack.enter_context(open_output(nodes_t, binary)) if nodes is not None else None
        edges(stream)
        if nodes is not None:
            nodes(node_stream)
    extra = f" and {nodes_out}" if nodes_out else ""
    sys.stderr.write(f"gnnprop: wrote {g.num_nodes:,} nodes, {g.num_edges:,} edges as {fmt} to "
                     f"{'stdout' if out == '-' else out}{extra}\n")


def _target_format(to: str | None, out: str) -> str:
    from ..io.save import SAVE_FORMATS, format_of

    if to is None and out == "-":
        raise UsageError(f"OUT is stdout: say which format with --to {'|'.join(SAVE_FORMATS)}")
    return format_of(out, to)
