"""How many rounds to run, and what a run has done so far: one home for every engine.

:func:`plan_rounds` is evaluated once, before the first round, on the input
features and the graph; it returns a :class:`RoundPlan` that says how many rounds
may run at most and why (``explanation``), in words fit for a summary line.

:class:`RoundBook` keeps a run's record as it goes (rounds run, the largest change
of each round in converge mode, the first non-finite round, why it stopped), and
:func:`check_widths` is the check every engine makes before the first round: the
local engine's :class:`~gnnprop.engine.loop.Propagation` and the Spark engine's
rounds keep their books the same way, so they stop, fail and explain alike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .. import expr
from ..config.schema import RoundsConfig
from ..errors import ConfigError, RunError, setting
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


def check_widths(layer: str, source: str, in_dim: int, out_dim: int, plan: RoundPlan | None,
                 heads: bool = False) -> None:
    """Refuse, before the first round, widths a run cannot have: no features at all, or (given the
    ``plan``) a layer whose output cannot be fed back in while the plan asks for more than one round."""
    if in_dim == 0:
        raise ConfigError(f"{source}: the node features have width 0; nothing to propagate")
    if plan is not None and out_dim != in_dim and (plan.max_rounds > 1 or plan.mode == "converge"):
        why = plan.explanation if plan.mode != "static" else f"{plan.max_rounds} rounds"
        raise ConfigError(
            f"the {layer} layer maps width {in_dim} to width {out_dim}, so its output cannot "
            f"be fed back in: it can run only 1 round, but the config asks for {why}; "
            f"set layer.out_dim to {in_dim}{' (and concat: false for a multi-head layer)' if heads else ''}"
            f" or rounds to 1", key="layer")


@dataclass
class RoundBook:
    """A run's record as it goes: every engine keeps it the same way.

    The engine computes a round, reports a non-finite value it found (:meth:`nonfinite`),
    then the round (:meth:`done`, with its largest change in converge mode), and calls
    :meth:`finish` when the plan's rounds are all run. A resumed run starts from the
    record of the rounds it had done (:meth:`resume`).
    """

    plan: RoundPlan
    allow_nonfinite: bool = False
    rounds_run: int = 0
    deltas: list[float] = field(default_factory=list)
    converged: bool | None = None
    stop_reason: str = "not started"
    nonfinite_round: int | None = None

    def resume(self, rounds_run: int, deltas: list[float], nonfinite_round: int | None) -> None:
        self.rounds_run, self.deltas, self.nonfinite_round = rounds_run, list(deltas), nonfinite_round

    def measures_change(self, same_width: bool) -> bool:
        """Whether a round's largest change is measured (converge mode, a layer that keeps the width)."""
        return self.plan.mode == "converge" and same_width

    def nonfinite(self, r: int, node, feature: int, value: float, dtype: str) -> None:
        """Round ``r`` made ``value`` (inf or nan) at ``node``'s ``feature``: noted, and an error unless
        the run allows non-finite values."""
        if self.nonfinite_round is None:
            self.nonfinite_round = r
        if self.allow_nonfinite:
            return
        what = "overflow" if value in (float("inf"), float("-inf")) else "invalid operation"
        raise RunError(
            f"round {r}: node {node} feature {feature} became {value} ({dtype} {what}); "
            f"try {setting('dtype', 'float64') + ' or ' if dtype != 'float64' else ''}fewer rounds, "
            f"or {setting('allow_nonfinite')} to keep going")

    def done(self, r: int, delta: float | None) -> bool:
        """Record round ``r``; True when the run stops after it (it converged)."""
        self.rounds_run = r
        if delta is None:
            return False
        self.deltas.append(delta)
        if delta <= self.plan.tol:
            self.converged = True
            self.stop_reason = converged_reason(r, delta, self.plan.tol)
            return True
        return False

    def finish(self) -> None:
        """The plan's rounds are all run."""
        self.converged, self.stop_reason = finished_reason(self.plan, self.deltas)
