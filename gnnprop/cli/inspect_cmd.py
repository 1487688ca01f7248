"""``gnnprop inspect``: how one node's value was derived, message by message."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.text import Text
from rich.tree import Tree

from ..errors import UsageError
from ..expr import format_number
from ..io import load_graph
from ..resolver import did_you_mean
from ..session import prepare
from ..tracing import Explanation, aggregation_detail, explain, message_text, to_dict, update_text, vector_text
from ..weights import save_weights as save_weights_file
from . import helptext
from . import options as o
from .app import app
from .env import get_env
from .notes import warn_about_graph
from .render import escape_id, wrap_fields


@app.command(**helptext.spec("inspect"))
@o.config_command
def inspect(
    ctx: typer.Context,
    graph: o.GraphArg,
    node: Annotated[str, typer.Option("--node", "-n", help="The node's id.", show_default=False)],
    round_: Annotated[int, typer.Option("--round", "-r", help="The round to explain (1 = the first).")] = 1,
    all_rounds: Annotated[bool, typer.Option("--all-rounds", help="Every round the run computes.")] = False,
    weights: o.Weights = None,
    save_weights: o.SaveWeights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="table | json (default: table on a terminal, "
                                                                     "else json).")] = None,
    precision: Annotated[int, typer.Option("--precision", min=0, max=17, help="Decimals in the text view.")] = 4,
    max_messages: Annotated[int, typer.Option("--max-messages", min=0,
                                              help="Message lines to show before a summary (0: all).")] = 20,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
    allow_nonfinite: Annotated[bool, typer.Option("--allow-nonfinite", help="Keep going when values overflow.")] = False,
    **flags: Any,
) -> None:
    """Show how NODE's value after a round was derived from its neighbours' messages."""
    env = get_env(ctx.obj)
    cfg = o.build_config(**flags)
    fmt = (fmt or ("table" if env.out_is_tty() else "json")).strip().lower()
    if fmt not in ("table", "json"):
        raise UsageError(f"--format: unknown format {fmt!r}; {did_you_mean(fmt, ('table', 'json'))}valid: table, json")
    g = load_graph(graph, input_format=input_format, node_features=node_features,
                   undirected=cfg.graph_cfg.undirected)
    warn_about_graph(env.err, g, cfg, flags)
    session = prepare(g, cfg, allow_nonfinite=allow_nonfinite, weights=weights)
    if save_weights is not None:
        save_weights_file(session.layer, save_weights)
    ex = explain(session, node, [round_], all_rounds=all_rounds)
    if fmt == "json":
        env.out.write(json.dumps(to_dict(ex, session.x0.cpu().numpy().dtype)) + "\n")
        return
    console = env.console(env.out, tty=env.out_is_tty(), no_color=no_color)
    fmt_num = (lambda v: format_number(v, precision))
    for line in wrap_fields(_plan_line(ex, fmt_num).split("; "), console.width):
        console.print(Text(line, style="dim"), soft_wrap=True)
    for step in ex.steps:
        console.print(step_tree(ex, step, session.layer, fmt_num, max_messages))


def _plan_line(ex: Explanation, fmt) -> str:
    plan = ex.plan
    engine = ex.meta.get("engine", "reference")
    how = " (the node's messages replayed on the reference path)" if engine != "reference" else ""
    line = f"engine: {engine}{how}; rounds: {plan['explanation']}"
    if plan["mode"] == "converge" and plan.get("max_change"):
        changes = ", ".join(f"{r}: {d:.3g}" for r, d in enumerate(plan["max_change"], start=1))
        verdict = "converged" if plan.get("converged") else "not converged (yet)"
        line += f"; largest change per round against tol {plan['tol']:g}: {changes}; {verdict}"
    return line


def step_tree(ex: Explanation, step, layer, fmt, max_messages: int) -> Tree:
    """The derivation of one round as a Rich tree."""
    vec = (lambda v: vector_text(v, fmt))
    head = Text(f"node {escape_id(ex.node)}, round {step.round}: {ex.layer} layer, {ex.aggr} aggregation", style="bold")
    tree = Tree(head, guide_style="dim")
    if "layer" in ex.formulas:
        tree.add(Text(f"layer: {ex.formulas['layer']}"))
    tree.add(f"input: x = {vec(step.x)}")
    n = len(step.messages)
    msgs = tree.add(Text(f"messages ({n:,}): {ex.formulas['message']}"))
    if n == 0:
        msgs.add("no incoming edges")
    shown = step.messages if max_messages == 0 else step.messages[:max_messages]
    for m in shown:
        text = message_text(layer, m, fmt)
        if text is None:
            parts = ", ".join(f"{k} = {vec(v)}" for k, v in m.inputs.items())
            msgs.add(Text(f"from node {escape_id(m.source)}: {parts} -> {vec(m.value)}"))
        else:
            msgs.add(Text(f"from node {escape_id(m.source)}: {text} = {vec(m.value)}"))
    if len(shown) < n:
        rest = step.messages[len(shown):]
        msgs.add(Text(f"… and {len(rest):,} more message{'s' if len(rest) != 1 else ''} "
                      f"(from nodes {', '.join(escape_id(m.source) for m in rest[:5])}{', …' if len(rest) > 5 else ''}; "
                      f"--max-messages 0 shows all, --format json has them all)", style="dim"))
    if step.aggregated is None:
        tree.add("aggregate: not observed (the layer does not aggregate through PyG's aggregate step)")
    else:
        agg = tree.add(f"aggregate: {ex.aggr} -> {vec(step.aggregated)}")
        detail = aggregation_detail(step, ex.aggr)
        if n == 0:
            agg.add(f"no incoming messages: {ex.aggr} of nothing is {vec(step.aggregated)}")
        elif "argmax" in detail or "argmin" in detail:
            who = detail.get("argmax") or detail.get("argmin")
            agg.add(Text(", ".join(f"x{k} from node {escape_id(s)}" for k, s in enumerate(who))))
        elif "sum" in detail:
            if ex.aggr == "mean":
                agg.add(f"sum {vec(detail['sum'])} / {n:,} message{'s' if n != 1 else ''}")
            else:
                agg.add(f"sum of {n:,} message{'s' if n != 1 else ''}")
    text = update_text(layer, step, fmt)
    if text is not None:
        tree.add(f"update: {text} = {vec(step.output)}")
    else:
        up = tree.add(Text(f"update: {ex.formulas['update']}"))
        up.add(f"x = {vec(step.x)}, aggr_out = {vec(step.aggregated) if step.aggregated is not None else '-'} "
               f"-> layer output {vec(step.output)}")
    if step.calls != 1:
        tree.add(Text(f"note: the layer called propagate {step.calls} times in this round; "
                      "the messages shown are from the last call", style="dim"))
    return tree


__all__ = ["inspect", "step_tree"]
