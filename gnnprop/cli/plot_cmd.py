"""``gnnprop plot``: pictures of a propagation (needs the [plot] extra: matplotlib)."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional


from ..errors import UsageError
from ..plotnames import DERIVATION_MESSAGES, KINDS, LAYOUTS
from ..resolver import did_you_mean, resolve
from . import faults
from . import helptext, spec
from . import options as o
from .app import app
from .notes import warn_about_graph
from .outputs import command_inputs, plan_outputs
from .sinks import open_output, output_target

@app.command(**helptext.spec("plot"))
@o.config_command
def plot(
    graph: o.GraphArg,
    output: Annotated[str, spec.opt("output", help="The picture: .png, .svg or .pdf.", show_default=False,
                                    rich_help_panel=spec.PICTURE)],
    kind: Annotated[str, spec.opt("kind", autocompletion=o.complete(*KINDS))] = "graph",
    feature: Annotated[int, spec.opt("feature")] = 0,
    round_: Annotated[Optional[int], spec.opt("round", min=0, help="graph: the round shown (default: the last); "
                                              "derivation: the round explained (default 1).", show_default=False,
                                              rich_help_panel=spec.PICTURE)] = None,
    node: Annotated[Optional[str], spec.opt("node", help="derivation: the node (required); graph with --sample: "
                                            "the centre of the sample.", show_default=False,
                                            rich_help_panel=spec.PICTURE)] = None,
    log: Annotated[bool, spec.opt("log")] = False,
    layout: Annotated[str, spec.opt("layout", autocompletion=o.complete(*LAYOUTS))] = "spring",
    sample: Annotated[Optional[int], spec.opt("sample")] = None,
    max_nodes: Annotated[int, spec.opt("max_nodes")] = 1000,
    size: Annotated[str, spec.opt("size")] = "8x6",
    dpi: Annotated[int, spec.opt("dpi")] = 100,
    title: Annotated[Optional[str], spec.opt("title")] = None,
    precision: Annotated[int, spec.opt("precision", help="derivation: digits after the point.",
                                       rich_help_panel=spec.PICTURE)] = 4,
    max_neighbours: Annotated[int, spec.opt("max_neighbours")] = DERIVATION_MESSAGES,
    weights: o.Weights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    **flags: Any,
) -> None:
    """Draw the propagation: the graph coloured by a feature, its evolution over the rounds, or one
    node's derivation as a picture. Takes run's config and flags; writes --output atomically."""
    from .. import plot as P
    from ..engine.session import open_session

    cfg = o.build_config(**flags)
    kind = resolve(kind, KINDS, what="plot kind", key="kind")[0]
    if layout not in LAYOUTS:
        raise UsageError(f"--layout: unknown layout {layout!r}; {did_you_mean(layout, LAYOUTS)}"
                         f"valid: {', '.join(LAYOUTS)}")
    fmt = P.figure_format(output)
    spec = P.PlotSpec(kind=kind, feature=feature, round=round_, log=log, layout=layout, max_nodes=max_nodes,
                      sample=sample, size=_size(size), dpi=dpi, title=title,
                      max_neighbours=max_neighbours)
    if kind == "derivation" and node is None:
        raise UsageError("--kind derivation: say which node with --node ID")
    P.require_matplotlib()
    out_t = output_target(output, allow_stdout=False)
    plan_outputs(command_inputs(graph, node_features=node_features, config=flags["config"], weights=weights,
                                layer_type=cfg.layer.type), [out_t])
    faults.doing(f"reading {graph}")
    session = open_session(graph, cfg, input_format=input_format, node_features=node_features, weights=weights,
                           loaded=lambda g: warn_about_graph(sys.stderr, g, cfg, flags))
    faults.doing("computing the rounds")
    if node is not None:
        spec.node = session.graph.lookup(node)
    width = min(session.out_dim, session.in_dim)
    if feature >= width:
        raise UsageError(f"--feature: {feature} is beyond the features (width {width}; "
                         f"0 is the first)")
    fig = _derivation(session, node, spec, precision) if kind == "derivation" else _picture(session, spec)
    faults.doing(f"writing {output}")
    with open_output(out_t, binary=True) as f:
        P.save(fig, f, fmt)
    sys.stderr.write(f"gnnprop: wrote {output}\n")


def _picture(session, spec):
    """The graph or evolution picture of ``spec.feature`` (a note on stderr where --log would read better)."""
    from .. import plot as P

    what = f"{session.config.layer.type} layer, {session.aggr} aggregation"
    series = _series(session, spec.feature)
    if spec.kind == "graph":
        r = len(series) - 1 if spec.round is None else spec.round
        if r >= len(series):
            raise UsageError(f"--round: round {r} is beyond the run, which stopped after {len(series) - 1} "
                             f"round{'s' if len(series) != 2 else ''}")
        values = series[r]
        fig = P.draw_graph(values, session.graph.node_ids, session.graph.edge_index.numpy(), spec,
                           f"{what}: x{spec.feature} after round {r}", seed=session.config.seed)
    else:
        values = series
        fig = P.draw_evolution(series, session.graph.node_ids, spec,
                               f"{what}: x{spec.feature} over {len(series) - 1} rounds")
    if not spec.log and P.explodes(values):
        sys.stderr.write("gnnprop: note: the values grow or spread over orders of magnitude; "
                         "--log may read better\n")
    return fig


def _size(text: str) -> tuple[float, float]:
    w, sep, h = text.lower().partition("x")
    try:
        size = (float(w), float(h))
    except ValueError:
        size = None
    if not sep or size is None or not all(0.5 <= v <= 100 for v in size):
        raise UsageError(f"--size: expected WxH in inches between 0.5 and 100, like 8x6; got {text!r}")
    return size


def _series(session, feature: int):
    """``[rounds + 1, N]``: the feature after every round the run computes (only that column is kept)."""
    import numpy as np

    cols = [result.x[:, feature].detach().cpu().numpy().astype(np.float64) for result in session.propagate()]
    return np.stack(cols)


def _derivation(session, node: str, spec, precision: int):
    from .. import plot as P
    from ..output.numbers import format_number
    from ..tracing import explain

    r = 1 if spec.round is None else spec.round
    ex = explain(session, node, [r])
    fmt = (lambda v: format_number(v, precision))
    return P.draw_derivation(ex, ex.steps[0], session.params, spec, fmt)
