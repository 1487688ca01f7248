"""``gnnprop explore``: one self-contained HTML page to move through the rounds and click a node to
see its derivation (the library half is :mod:`gnnprop.explore`)."""

from __future__ import annotations

import os
import shlex
import sys
from typing import Annotated, Any, Optional

import typer

from ..errors import UsageError
from . import faults
from . import helptext, spec
from . import options as o
from .app import app
from .env import get_env
from .notes import warn_about_graph
from .outputs import command_inputs, plan_outputs
from .sinks import open_output, output_target

PAGE = "Page"


@app.command(**helptext.spec("explore"))
@o.config_command
def explore(
    ctx: typer.Context,
    graph: o.GraphArg,
    output: Annotated[Optional[str], spec.opt("output", help="The page to write, FILE.html (one HTML file, nothing "
                                              "fetched from the network).", show_default=False,
                                              rich_help_panel=PAGE)] = None,
    nodes: Annotated[Optional[str], spec.opt("nodes", help="Nodes to start from: first in the table, their "
                                             "derivations recorded first, the centre of the drawing when the graph "
                                             "is larger than --max-nodes (default: the busiest node).",
                                             show_default=False, rich_help_panel=PAGE)] = None,
    max_nodes: Annotated[int, spec.opt("max_nodes", help="Nodes drawn at most; a larger graph is drawn "
                                       "breadth-first around --nodes.", rich_help_panel=PAGE)] = 3000,
    derivations: Annotated[Optional[int], spec.opt("derivations", rich_help_panel=PAGE)] = None,
    feature: Annotated[Optional[int], spec.opt("feature", help="The feature that colours the nodes first (default: "
                                               "the norm of the row; the page can switch).", show_default=False,
                                               rich_help_panel=PAGE)] = None,
    title: Annotated[Optional[str], spec.opt("title", help="The page's title.", rich_help_panel=PAGE)] = None,
    serve: Annotated[bool, spec.opt("serve", rich_help_panel=PAGE)] = False,
    port: Annotated[int, spec.opt("port", rich_help_panel=PAGE)] = 0,
    weights: o.Weights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    allow_nonfinite: Annotated[bool, spec.opt("allow_nonfinite", help="Keep going when values overflow.")] = False,
    **flags: Any,
) -> None:
    """Write one HTML page to explore the propagation: the graph coloured by a feature round by round
    (slider, play button), and, for a node you click, its derivation in that round as inspect records
    it: each message with its inputs, the aggregation, the update. Takes run's config and flags."""
    from ..engine.session import open_session
    from ..explore import ExploreSpec, build_report

    env = get_env(ctx.obj)
    cfg = o.build_config(**flags)
    if output is None and not serve:
        raise UsageError("say where the page goes: -o FILE.html (or --serve to open it in a browser)")
    if output is not None and not output.lower().endswith((".html", ".htm")):
        raise UsageError(f"{output!r}: the page is HTML; name it FILE.html", key="output")
    out_t = None if output is None else output_target(output, allow_stdout=False)
    plan_outputs(command_inputs(graph, node_features=node_features, config=flags["config"], weights=weights,
                                layer_type=cfg.layer.type), [out_t])
    centres = [c.strip() for c in nodes.split(",") if c.strip()] if nodes else []
    faults.doing(f"reading {graph}")
    session = open_session(graph, cfg, input_format=input_format, node_features=node_features, weights=weights,
                           allow_nonfinite=allow_nonfinite, loaded=lambda g: warn_about_graph(env.err, g, cfg, flags))
    faults.doing("computing and recording the rounds")
    spec = ExploreSpec(centres=centres, max_nodes=max_nodes, derivations=derivations, feature=feature, title=title,
                       source=os.path.basename(graph) if graph != "-" else "stdin", rerun=_rerun(graph))
    report = build_report(session, spec)
    page = report.html.encode("utf-8")
    if out_t is None:
        from .._tmp import use_private_tempdir

        output = os.path.join(use_private_tempdir(), "explore.html")
        out_t = output_target(output, allow_stdout=False)
    faults.doing(f"writing {output}")
    with open_output(out_t, binary=True) as f:
        f.write(page)
    env.err.write(f"gnnprop: wrote {output} ({_size(len(page))}): {report.drawn:,} of {report.nodes:,} nodes drawn, "
                  f"derivations of {report.explained:,}, {report.rounds} round{'s' if report.rounds != 1 else ''}\n")
    env.err.flush()
    if serve:
        from .serve import serve_file

        serve_file(output, port, env.err)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} KB"


def _rerun(graph: str) -> str:
    """The command as typed, with --nodes NODE (for the page's "to record them" line)."""
    typed = sys.argv[1:] if sys.argv and os.path.basename(sys.argv[0]).startswith(("gnnprop", "__main__")) else []
    if "explore" not in typed:  # not started as gnnprop (a test, a notebook): the graph, the rest unknown
        return f"gnnprop explore {shlex.quote(graph)} ... --nodes NODE"
    args = typed
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("--nodes", "--serve"):
            skip = a == "--nodes"
            continue
        if a.startswith("--nodes="):
            continue
        out.append(a)
    return "gnnprop " + " ".join(shlex.quote(a) for a in out) + " --nodes NODE"


__all__ = ["explore"]
