"""How one node's new value was derived: recorded from the computation that gave the run's value.

:func:`explain` runs the same propagation as ``gnnprop run`` and records, for the rounds asked,
what the engine computed for the node, in that computation itself:

- on the reference engine, the layer's own PyG ``propagate``, through PyG's hooks: the messages
  on the node's in-edges, the aggregated row, the output row;
- on the fused engine, gnnprop's own kinds: the kernel runs the round as its two halves and hands
  over the aggregation between them (:class:`gnnprop.engine.loop.FusedKernel`): the ``aggr_out``
  the update received; the fused engine forms no messages, so inspect computes them from the
  formula (and says so);
- on the fused engine, PyG's layers (their sparse path shows nothing per edge): their edge_index
  path on the same round's inputs, whose output is compared with the run's.

Every shown result is then redone from the shown inputs (:mod:`.derive`, :mod:`.checks`): exact,
or marked with the formula's own value and the engine's. The value shown for the update is always
the run's, bit for bit. Rendering is elsewhere: :mod:`.text`, :mod:`.record`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..engine.session import Session
from ..errors import UsageError
from .checks import Check


@dataclass
class Message:
    source: Any                    # the sender's node id
    edge: int                      # position of the edge in the graph's edge list
    inputs: dict[str, np.ndarray]  # what the layer's message() received on this edge (x_i, x_j, edge_weight, ...)
    value: np.ndarray              # what it returned (or, on the fused engine, what the formula gives)
    check: Check | None = None     # the formula redone on ``inputs``


@dataclass
class Step:
    round: int
    node: Any
    x: np.ndarray                  # the node's features before this round
    messages: list[Message]
    aggregated: np.ndarray | None  # the aggregation's row for the node (what the update received)
    output: np.ndarray             # the node's features after this round (= run's value)
    calls: int = 1                 # how many times the layer called propagate in this round
    computed_by: str = "reference"  # reference | fused | replay (see :mod:`.derive`)
    labels: dict[str, str] = field(default_factory=dict)  # message inputs that are not the round's own values
    aggregate_check: Check | None = None
    update_check: Check | None = None
    recomputed: np.ndarray | None = None  # a replayed round: the output the replay computed


@dataclass
class Explanation:
    node: Any
    position: int
    layer: str
    aggr: str
    formulas: dict[str, str]
    plan: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)



def hook(layer, recorder) -> list:
    """Hang ``recorder``'s ``_forward``, ``_pre``, ``_message``, ``_aggregate`` and ``_post`` on PyG's hooks of
    ``layer``; the handles, to remove them."""
    return [
        layer.register_forward_pre_hook(recorder._forward, with_kwargs=True),
        layer.register_propagate_forward_pre_hook(recorder._pre),
        layer.register_message_forward_hook(recorder._message),
        layer.register_aggregate_forward_hook(recorder._aggregate),
        layer.register_propagate_forward_hook(recorder._post),
    ]


class Recorder:
    """PyG hooks that keep only the rows that concern one node.

    The node's in-edges are found in the edge list the layer actually propagates
    over (layers like GCN add self loops inside ``forward``). What ``forward`` was called
    with and what ``propagate`` received are kept too, to tell transformed inputs apart
    (:mod:`.labels`).
    """

    def __init__(self, layer, node: int):
        self.node = node
        self.handles = hook(layer, self)
        self.reset()

    def reset(self) -> None:
        self.calls = 0
        self.in_edges = None
        self.sources = None
        self.called: dict[str, Any] = {}
        self.propagated: dict[str, Any] = {}
        self.msg_inputs: dict[str, torch.Tensor] = {}
        self.msg_value = None
        self.aggregated = None
        self.output = None

    def _forward(self, module, args, kwargs):
        self.called = {"x": args[0] if args else kwargs.get("x"), **{k: v for k, v in kwargs.items()}}

    def _pre(self, module, inputs):
        edge_index, size, kwargs = inputs
        self.calls += 1
        self.propagated = dict(kwargs)
        if isinstance(edge_index, torch.Tensor) and edge_index.dim() == 2 and not edge_index.is_sparse \
                and edge_index.layout == torch.strided:
            col = 1 if getattr(module, "flow", "source_to_target") == "source_to_target" else 0
            self.in_edges = (edge_index[col] == self.node).nonzero().squeeze(1)
            self.sources = edge_index[1 - col, self.in_edges].tolist()
        else:  # a sparse adjacency: messages are fused into the aggregation and not seen one by one
            self.in_edges, self.sources = None, None

    def _message(self, module, inputs, output):
        if self.in_edges is None:
            return
        (kwargs,) = inputs
        n_edges = output.shape[0]
        self.msg_inputs = {k: v[self.in_edges].detach().clone() for k, v in kwargs.items()
                           if isinstance(v, torch.Tensor) and v.dim() >= 1 and v.shape[0] == n_edges}
        self.msg_value = output[self.in_edges].detach().clone()

    def _aggregate(self, module, inputs, output):
        self.aggregated = output[self.node].detach().clone()

    def _post(self, module, inputs, output):
        out = output[0] if isinstance(output, tuple) else output
        self.output = out[self.node].detach().clone() if isinstance(out, torch.Tensor) else None

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def explain(session: Session, node: str | int, rounds: list[int] | None = None, *,
            all_rounds: bool = False) -> Explanation:
    """Trace ``node`` (its id as text or int) through ``rounds`` (default ``[1]``).

    The propagation runs up to the last round asked and stops there. ``rounds``
    must lie within 1..(rounds the config runs); anything else is a
    :class:`UsageError` saying how many rounds run. An unknown node is an
    :class:`InputError` naming it. ``all_rounds`` traces every round the run
    computes (a converging run may stop before its ``max_rounds``).
    """
    from . import derive

    g = session.graph
    pos = g.lookup(node)
    plan = session.plan
    wanted = list(range(1, plan.max_rounds + 1)) if all_rounds else sorted(set(rounds or [1]))
    if not wanted:
        raise UsageError("the config runs 0 rounds; there is nothing to explain", key="all_rounds")
    if wanted[0] < 1:
        raise UsageError(f"round {wanted[0]} is the input; the rounds run from 1 to {plan.max_rounds}", key="round")
    if wanted[-1] > plan.max_rounds:
        raise UsageError(f"round {wanted[-1]} is beyond the run: the config runs "
                         f"{_runs(plan)} ({plan.explanation})", key="round")
    ex = Explanation(node=g.node_ids[pos], position=pos, layer=session.config.layer.type,
                     aggr=session.aggr, formulas=session.kind.formulas(session.params), plan={})
    watcher = derive.Watcher(session, pos)
    wanted_set = set(wanted)
    prop = session.propagate()
    prev = None
    try:
        for result in prop:
            r = result.round
            if r in wanted_set and r >= 1:
                ex.steps.append(watcher.step(r, prev, result.x))
            if r >= wanted[-1]:
                break
            if r + 1 in wanted_set:
                prev = result.x
                watcher.watch()
    finally:
        watcher.stop()
    if len(ex.steps) < len(wanted) and not all_rounds:
        raise UsageError(f"round {wanted[-1]} is beyond the run: it stopped after "
                         f"{prop.rounds_run} round{'s' if prop.rounds_run != 1 else ''} ({prop.stop_reason})",
                         key="round")
    ex.plan = plan_record(session)
    meta = session.meta()
    for key in ("rounds_run", "stop_reason", "converged"):
        meta.pop(key)
    meta["rounds_computed"] = prop.rounds_run
    ex.meta = meta
    return ex


def _runs(plan) -> str:
    if plan.mode == "converge":
        return f"at most {plan.max_rounds} rounds"
    return f"{plan.max_rounds} round{'s' if plan.max_rounds != 1 else ''}"


def plan_record(session: Session) -> dict[str, Any]:
    plan, prop = session.plan, session.propagation
    rec: dict[str, Any] = {"mode": plan.mode, "explanation": plan.explanation}
    if plan.mode == "rule":
        rec["values"] = plan.values
        rec["condition"] = plan.condition
        rec["rounds"] = plan.max_rounds
    if plan.mode == "converge":
        rec["tol"] = plan.tol
        rec["max_rounds"] = plan.max_rounds
        rec["max_change"] = list(prop.deltas) if prop else []
        rec["converged"] = prop.converged if prop else None
        if prop and rec["converged"] is None and prop.deltas:  # stopped early (inspect --round R): judge round R
            last = prop.deltas[-1]
            rec["converged"] = True if last <= plan.tol else False if prop.rounds_run >= plan.max_rounds else None
    if plan.mode == "static":
        rec["rounds"] = plan.max_rounds
    return rec
