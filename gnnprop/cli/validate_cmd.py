"""``gnnprop validate``: load a graph, report what it holds; exit 1 if it cannot be loaded."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from . import helptext, spec
from .outputs import choose_output
from . import options as o
from .app import app
from .env import get_env
from .notes import warn_about_graph


@app.command(**helptext.spec("validate"))
def validate(
    ctx: typer.Context,
    graph: o.GraphArg,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    undirected: Annotated[bool, spec.opt("undirected", help="Add missing reverse edges first.")] = False,
    fmt: Annotated[Optional[str], spec.opt("format", help="table | json (default: table on a terminal, else json).",
                                           autocompletion=o.complete("table", "json"))] = None,
    no_color: o.NoColor = False,
) -> None:
    """Check GRAPH: nodes, edges, feature width, isolated nodes, self loops, duplicate edges."""
    from rich.table import Table
    from rich.text import Text

    from ..graph import report
    from ..io import load_graph
    from .render import escape_id

    env = get_env(ctx.obj)
    fmt = choose_output(fmt, None, env, allowed=("table", "json")).name
    g = load_graph(graph, input_format=input_format, node_features=node_features, undirected=undirected)
    warn_about_graph(env.err, g)
    rep = report(g).as_dict()
    rep = {"file": g.source, "valid": True, **rep}
    if fmt == "json":
        env.out.write(json.dumps(rep) + "\n")
        return
    console = env.console(env.out, tty=env.out_is_tty(), no_color=no_color)
    console.print(Text(f"{escape_id(g.source)}: valid", style="bold"), soft_wrap=True)
    table = Table(show_header=False, show_edge=False, box=None)
    table.add_column(style="cyan")
    table.add_column(justify="right")
    for key, label in LABELS.items():
        value = rep[key]
        table.add_row(label, "none" if value is None else ("yes" if value else "no") if isinstance(value, bool)
                      else f"{value:,}")
    console.print(table)


LABELS = {
    "num_nodes": "nodes", "num_edges": "edges", "num_features": "feature width", "isolated_nodes": "isolated nodes",
    "self_loops": "self loops", "duplicate_edges": "duplicate edges", "has_edge_weight": "edge weights",
    "has_edge_attr": "edge attributes",
}
