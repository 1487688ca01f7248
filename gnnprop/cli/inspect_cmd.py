"""``gnnprop inspect``: how one node's value was derived, message by message."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from ..errors import UsageError

from . import faults
from . import helptext, spec
from . import options as o
from .app import app
from .env import get_env
from .notes import warn_about_graph
from .outputs import choose_output, command_inputs, plan_outputs, weights_target
from .sinks import require_stdout, write_bytes


@app.command(**helptext.spec("inspect"))
@o.config_command
def inspect(
    ctx: typer.Context,
    node: Annotated[str, spec.opt("node", show_default=False)],
    graph: Annotated[Optional[str], typer.Argument(
        metavar="GRAPH", show_default=False, help="Graph file (.json, .csv, .txt/.edgelist/.tsv/.cites, .parquet), "
        "or - for stdin; with --from-run only when the run's graph has moved.")] = None,
    round_: Annotated[int, spec.opt("round", help="The round to explain (1 = the first).")] = 1,
    all_rounds: Annotated[bool, spec.opt("all_rounds")] = False,
    from_run: Annotated[Optional[str], spec.opt("from_run", show_default=False)] = None,
    weights: o.Weights = None,
    save_weights: o.SaveWeights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    fmt: Annotated[Optional[str], spec.opt("format", help="table | json (default: table on a terminal, else json).",
                                           autocompletion=o.complete("table", "json"))] = None,
    precision: Annotated[int, spec.opt("precision", help="Digits after the point in the terminal view.")] = 4,
    max_messages: Annotated[int, spec.opt("max_messages")] = 20,
    no_color: o.NoColor = False,
    allow_nonfinite: Annotated[bool, spec.opt("allow_nonfinite", help="Keep going when values overflow.")] = False,
    **flags: Any,
) -> None:
    """Show how NODE's value after a round was derived from its neighbours' messages."""
    from rich.text import Text

    from ..engine.session import open_session
    import numpy as np

    from ..output.numbers import format_number, shortest
    from ..tracing import explain, to_dict
    from ..weights import encode_weights
    from .render import wrap_fields

    env = get_env(ctx.obj)
    fmt = choose_output(fmt, None, env, allowed=("table", "json")).name
    require_stdout()
    weights_t = None if save_weights is None else weights_target(save_weights)
    if from_run is not None:
        from .recorded import open_recorded_run

        if all_rounds:
            raise UsageError("--all-rounds: explain one --round at a time from a run's rows")
        given = {"weights": weights, "node_features": node_features, "input_format": input_format}
        cfg, graph, run_files = open_recorded_run(from_run, graph, flags, given)
        weights, node_features, input_format = run_files["weights"], run_files["node_features"], None
    elif graph is None:
        raise UsageError("give the GRAPH to explain a node of (or --from-run OUT, a run folder)")
    else:
        cfg = o.build_config(**flags)
    plan_outputs(command_inputs(graph, node_features=node_features, config=flags["config"], weights=weights,
                                layer_type=cfg.layer.type), [weights_t])
    faults.doing(f"reading {graph}")
    session = open_session(graph, cfg, input_format=input_format, node_features=node_features, weights=weights,
                           allow_nonfinite=allow_nonfinite, loaded=lambda g: warn_about_graph(env.err, g, cfg, flags))
    faults.doing(f"explaining node {node}")
    if from_run is not None:
        from ..tracing.from_run import explain_from_run

        ex = explain_from_run(session, run_files["folder"], node, round_, shown=run_files["shown"])
    else:
        ex = explain(session, node, [round_], all_rounds=all_rounds)
    if weights_t is not None:  # only once the explanation succeeded, like run's
        write_bytes(weights_t, encode_weights(session.params))
    if fmt == "json":
        env.out.write(json.dumps(to_dict(ex, session.numpy_dtype)) + "\n")
        return
    console = env.console(env.out, tty=env.out_is_tty(), no_color=no_color)
    fmt_num = (lambda v: format_number(v, precision))
    dtype = session.numpy_dtype
    full = (lambda v: format_number(shortest(np.asarray(v, dtype)[()], dtype)))
    for line in wrap_fields(_plan_line(ex, fmt_num).split("; "), console.width):
        console.print(Text(line, style="dim"), soft_wrap=True)
    for step in ex.steps:
        console.print(step_tree(ex, step, session.params, fmt_num, max_messages, full))


#: How the values shown were computed (``Step.computed_by``), for the line above the derivation.
COMPUTED_BY = {
    "reference": "every value PyG's propagate's own",
    "fused": "messages from the formula, the rest the engine's own",
    "replay": "the layer's PyG form run again on the round's inputs, its update compared with the run's",
}


def _plan_line(ex, fmt) -> str:
    plan = ex.plan
    engine = ex.meta.get("engine", "reference")
    how = COMPUTED_BY.get(ex.steps[0].computed_by, "") if ex.steps else ""
    line = f"engine: {engine} ({how}); rounds: {plan['explanation']}"
    if "from_run" in ex.meta:
        before = f"round {ex.steps[0].round - 1}'s rows" if ex.steps else "the rows of the round before"
        line = (f"from the run in {ex.meta['from_run']}: {before}, computed again on the {engine} engine "
                f"(the update's value is the run's); rounds: {plan['explanation']}")
    if plan["mode"] == "converge" and plan.get("max_change"):
        changes = ", ".join(f"{r}: {d:.3g}" for r, d in enumerate(plan["max_change"], start=1))
        verdict = "converged" if plan.get("converged") else "not converged (yet)"
        line += f"; largest change per round against tol {plan['tol']:g}: {changes}; {verdict}"
    return line


def step_tree(ex, step, params, fmt, max_messages: int, full=None):
    """The derivation of one round as a Rich tree. ``full`` writes a number in full (the checks' values,
    where the last digits matter)."""
    from rich.text import Text
    from rich.tree import Tree

    from ..tracing import aggregation_lines, message_text, update_text, vector_text
    from ..tracing.text import check_lines
    from .render import escape_id

    full = full or fmt
    vec = (lambda v: vector_text(v, fmt))
    head = Text(f"node {escape_id(ex.node)}, round {step.round}: {ex.layer} layer, {ex.aggr} aggregation", style="bold")
    tree = Tree(head, guide_style="dim")
    if "layer" in ex.formulas:
        tree.add(Text(f"layer: {ex.formulas['layer']}"))
    tree.add(f"input: x = {vec(step.x)}")
    n = len(step.messages)
    msgs = tree.add(Text(f"messages ({n:,}): {ex.formulas['message']}"))
    for name, label in step.labels.items():
        msgs.add(Text(f"{name}: {label}", style="dim"))
    if n == 0:
        msgs.add("no incoming edges")
    shown = step.messages if max_messages == 0 else step.messages[:max_messages]
    for m in shown:
        text = message_text(params, m, fmt)
        if text is None:
            parts = ", ".join(f"{k} = {vec(v)}" for k, v in m.inputs.items())
            line = msgs.add(Text(f"from node {escape_id(m.source)}: {parts} -> {vec(m.value)}"))
        else:
            line = msgs.add(Text(f"from node {escape_id(m.source)}: {text} = {vec(m.value)}"))
        if m.check is not None and m.check.exact is False:
            mark = check_lines(m.check, m.value, full, "the formula redone in order")
            line.add(Text(f"{mark[0]}; the difference: {mark[1].split('; the difference: ')[1]}"))
    if len(shown) < n:
        rest = step.messages[len(shown):]
        msgs.add(Text(f"… and {len(rest):,} more message{'s' if len(rest) != 1 else ''} "
                      f"(from nodes {', '.join(escape_id(m.source) for m in rest[:5])}{', …' if len(rest) > 5 else ''}; "
                      f"--max-messages 0 shows all, --format json has them all)", style="dim"))
    off = [m.check for m in step.messages if m.check is not None and m.check.exact is False]
    if off:
        differ = "message differs" if n == 1 else "messages differ"
        msgs.add(Text(f"{len(off):,} of {n:,} {differ} from the formula redone in order: {off[0].why}", style="dim"))
    if step.aggregated is None:
        tree.add("aggregate: not observed (the layer does not aggregate through PyG's aggregate step)")
    else:
        agg = tree.add(f"aggregate: {ex.aggr} -> {vec(step.aggregated)}")
        for line in aggregation_lines(step, ex.aggr, fmt, escape_id):
            agg.add(Text(line))
        _mark(agg, check_lines(step.aggregate_check, step.aggregated, full, "the messages reduced in the order shown"))
    text = update_text(params, step, fmt)
    if text is not None:
        up = tree.add(f"update: {text} = {vec(step.output)}")
    else:
        up = tree.add(Text(f"update: {ex.formulas['update']}"))
        up.add(f"x = {vec(step.x)}, aggr_out = {vec(step.aggregated) if step.aggregated is not None else '-'} "
               f"-> layer output {vec(step.output)}")
    _mark(up, check_lines(step.update_check, step.output, full, "the update formula on the x and aggr_out shown"),
          dim=step.update_check is not None and step.update_check.exact is None)
    if step.calls != 1:
        tree.add(Text(f"note: the layer called propagate {step.calls} times in this round; "
                      "the messages shown are from the last call", style="dim"))
    return tree


def _mark(node, lines: list[str], dim: bool = False) -> None:
    """A check's lines under ``node``: the first as its child, the rest under that."""
    from rich.text import Text

    if not lines:
        return
    head = node.add(Text(lines[0], style="dim" if dim else ""))
    for line in lines[1:]:
        head.add(Text(line))


__all__ = ["inspect", "step_tree"]
