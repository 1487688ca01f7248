"""How many rounds to run: a fixed count, a rule on the input, or convergence.

:func:`plan_rounds` is evaluated once, before the first round, on the input
features and the graph; it returns a :class:`RoundPlan` that says how many rounds
may run at most and why (``explanation``), in words fit for a summary line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .. import expr
from ..config.schema import RoundsConfig
from ..graph import Graph


@dataclass
class RoundPlan:
    mode: str                     # static | rule | converge
    max_rounds: int               # rounds to run (static, rule) or the cap (converge)
    tol: float | None = None      # converge only
    explanation: str = ""         # e.g. "rule mean(x) = 0.127 > 0 -> 3 rounds"
    values: dict[str, float] = field(default_factory=dict)  # rule: each statistic's value
    condition: bool | None = None  # rule: whether the condition held


def graph_stats(g: Graph) -> dict[str, float]:
    """The graph statistics a rule may use (degrees are in-degrees)."""
    n, e = g.num_nodes, g.num_edges
    deg = g.in_degree()
    return {
        "num_nodes": n,
        "num_edges": e,
        "density": e / (n * (n - 1)) if n > 1 else 0.0,
        "mean_degree": e / n if n else 0.0,
        "max_degree": int(deg.max()) if n else 0,
    }


def _num(v: Any) -> str:
    if isinstance(v, int):
        return str(v)
    return f"{v:.6g}"


def plan_rounds(cfg: RoundsConfig, x: torch.Tensor, graph: Graph) -> RoundPlan:
    if cfg.mode == "static":
        return RoundPlan("static", cfg.n, explanation=f"{cfg.n} round{'s' if cfg.n != 1 else ''} (static)")
    if cfg.mode == "converge":
        return RoundPlan("converge", cfg.max_rounds, tol=cfg.tol,
                         explanation=f"until max change <= {cfg.tol:g} (at most {cfg.max_rounds} rounds)")
    env: dict[str, Any] = {"x": x}
    env.update(graph_stats(graph))
    return plan_rule(cfg, lambda call: call.eval(env), env)


def plan_rule(cfg: RoundsConfig, call_value: Callable[[expr.Call], float], names: dict[str, Any]) -> RoundPlan:
    """The plan of a ``rule`` config, with each statistic of ``x`` given by ``call_value(call)``
    and each graph statistic by ``names``: how any engine (the local one on a tensor, Spark with
    its aggregates) decides the rounds with the same words."""
    rule = expr.parse(cfg.if_, expr.RULE, "rounds.if")
    values: dict[str, float] = {}
    calls: dict[expr.Node, float] = {}

    def leaf(node: expr.Node) -> str | None:
        if isinstance(node, expr.Call):
            text = node.render(lambda n: None)
            if node not in calls:
                calls[node] = call_value(node)
            values[text] = calls[node]
            return f"{text} = {_num(values[text])}"
        if isinstance(node, expr.Name) and node.id != "x":
            values[node.id] = names[node.id]
            return f"{node.id} = {_num(names[node.id])}"
        return None

    shown = rule.render(leaf)
    held = bool(_substitute(rule.tree, calls).eval(names))
    n = cfg.then if held else cfg.else_
    verdict = "" if held else " is false"
    return RoundPlan("rule", n, explanation=f"rule {shown}{verdict} -> {n} round{'s' if n != 1 else ''}",
                     values=values, condition=held)


def _substitute(node: expr.Node, calls: dict[expr.Node, float]) -> expr.Node:
    """``node`` with every call replaced by its value."""
    if isinstance(node, expr.Call):
        return expr.Num(calls[node])
    changes = {}
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if isinstance(v, expr.Node):
            changes[f.name] = _substitute(v, calls)
        elif isinstance(v, tuple) and v and isinstance(v[0], expr.Node):
            changes[f.name] = tuple(_substitute(c, calls) for c in v)
    return dataclasses.replace(node, **changes) if changes else node


def converged_reason(r: int, delta: float, tol: float) -> str:
    """Why a converge run stopped at round ``r``, in words for the summary."""
    return f"converged after {r} round{'s' if r != 1 else ''} (max change {delta:.3g} <= tol {tol:g})"


def finished_reason(plan: RoundPlan, deltas: list[float]) -> tuple[bool | None, str]:
    """``(converged, why)`` for a run that ran every round its plan allows."""
    if plan.mode == "converge":
        last = f"; last max change {deltas[-1]:.3g}" if deltas else ""
        return False, f"did not converge: hit max_rounds = {plan.max_rounds} (tol {plan.tol:g}{last})"
    return None, plan.explanation
