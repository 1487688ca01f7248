"""How one node's new value was derived: recorded from the layer itself.

:func:`explain` runs the same propagation as ``gnnprop run`` and, for the rounds
asked, listens to the layer through PyG's hooks (propagate, message, aggregate):
the messages the layer computed on the node's incoming edges, the aggregated
row and the layer's output row. Nothing is recomputed by a second copy of the
layer's math, so the values are the run's values, bit for bit, for any
``MessagePassing`` layer. The extra work beyond the run is one vectorised pass
to find the node's in-edges and slicing those rows (proportional to its
in-degree).

Rendering is elsewhere: :mod:`.text` (formulas with values substituted, the
aggregation in words), :mod:`.record` (the JSON record).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..engine.session import Session
from ..errors import UsageError


@dataclass
class Message:
    source: Any                    # the sender's node id
    edge: int                      # position of the edge in the graph's edge list
    inputs: dict[str, np.ndarray]  # what the layer's message() received on this edge (x_i, x_j, edge_weight, ...)
    value: np.ndarray              # what it returned


@dataclass
class Step:
    round: int
    node: Any
    x: np.ndarray                  # the node's features before this round
    messages: list[Message]
    aggregated: np.ndarray | None  # the aggregation's row for the node
    output: np.ndarray             # the node's features after this round (= run's value)
    calls: int = 1                 # how many times the layer called propagate in this round
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


class _Recorder:
    """PyG hooks that keep only the rows that concern one node.

    The node's in-edges are found in the edge list the layer actually propagates
    over (layers like GCN add self loops inside ``forward``).
    """

    def __init__(self, layer, node: int):
        self.node = node
        self.handles = [
            layer.register_propagate_forward_pre_hook(self._pre),
            layer.register_message_forward_hook(self._message),
            layer.register_aggregate_forward_hook(self._aggregate),
            layer.register_propagate_forward_hook(self._post),
        ]
        self.reset()

    def reset(self) -> None:
        self.calls = 0
        self.in_edges = None
        self.sources = None
        self.x = None
        self.msg_inputs: dict[str, torch.Tensor] = {}
        self.msg_value = None
        self.aggregated = None
        self.output = None

    def _pre(self, module, inputs):
        edge_index, size, kwargs = inputs
        self.calls += 1
        if isinstance(edge_index, torch.Tensor) and edge_index.dim() == 2:
            col = 1 if getattr(module, "flow", "source_to_target") == "source_to_target" else 0
            self.in_edges = (edge_index[col] == self.node).nonzero().squeeze(1)
            self.sources = edge_index[1 - col, self.in_edges].tolist()
        else:  # a sparse adjacency: messages are fused into the aggregation and not seen one by one
            self.in_edges, self.sources = None, None
        x = kwargs.get("x")
        if isinstance(x, tuple):
            x = x[1]
        self.x = x[self.node].detach().clone() if isinstance(x, torch.Tensor) else None

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
        self.output = output[self.node].detach().clone()

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _np(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.to("cpu").numpy()


def explain(session: Session, node: str | int, rounds: list[int] | None = None, *,
            all_rounds: bool = False) -> Explanation:
    """Trace ``node`` (its id as text or int) through ``rounds`` (default ``[1]``).

    The propagation runs up to the last round asked and stops there. ``rounds``
    must lie within 1..(rounds the config runs); anything else is a
    :class:`UsageError` saying how many rounds run. An unknown node is an
    :class:`InputError` naming it. ``all_rounds`` traces every round the run
    computes (a converging run may stop before its ``max_rounds``).
    """
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
    replay = session.kernel.name != "reference"
    wanted_set = set(wanted)
    prop = session.propagate()
    recorder = None
    prev = None
    try:
        for result in prop:
            r = result.round
            if r in wanted_set and r >= 1:
                if replay:  # the engine fused the round: replay the node's messages on the reference path
                    ex.steps.append(_replayed(session, pos, prev, r, result.x[pos]))
                else:
                    ex.steps.append(_step(recorder, r, ex.node, lambda k: g.node_ids[k], lambda k: k,
                                          prev[pos], result.x[pos]))
                    recorder.remove()
                    recorder = None
            if r >= wanted[-1]:
                break
            if r + 1 in wanted_set:
                prev = result.x
                if not replay:
                    recorder = _Recorder(session.layer, pos)
    finally:
        if recorder is not None:
            recorder.remove()
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


def _replayed(session: Session, pos: int, x_prev: torch.Tensor, r: int, out_row: torch.Tensor) -> Step:
    """Record round ``r`` for node ``pos`` by running the layer's reference path again.

    gnnprop's own layers are local (a node's value depends on its in-edges only),
    so they replay on the subgraph of the node and its in-neighbours: work in
    proportion to the in-degree. Other layers (GCN normalises by global degrees)
    replay on the whole graph. The value reported is still the engine's.
    """
    from ..graph import DeviceGraph

    g = session.dgraph
    layer = _uncached_copy(session.layer)
    ids = session.graph.node_ids
    ei = g.edge_index
    idx = (ei[1] == pos).nonzero().squeeze(1)
    if session.kind.is_local:
        nodes, inv = torch.unique(torch.cat([torch.tensor([pos], device=ei.device), ei[0, idx]]), return_inverse=True)
        target, src = inv[0], inv[1:]
        sub = DeviceGraph(
            edge_index=torch.stack([src, target.expand_as(src)]),
            edge_weight=None if g.edge_weight is None else g.edge_weight[idx],
            num_nodes=int(nodes.numel()),
            edge_attr=None if g.edge_attr is None else g.edge_attr[idx],
        )
        x_sub, local = x_prev[nodes], int(target)
        node_list, edge_list = nodes.tolist(), idx.tolist()
        source_id, edge_id = (lambda k: ids[node_list[k]]), (lambda k: edge_list[k])
    else:
        sub, x_sub, local = g, x_prev, pos
        source_id, edge_id = (lambda k: ids[k]), (lambda k: k)
    rec = _Recorder(layer, local)
    try:
        with torch.inference_mode():
            session.kind.caller(layer)(x_sub, sub)
    finally:
        rec.remove()
    step = _step(rec, r, ids[pos], source_id, edge_id, x_prev[pos], out_row)
    step.recomputed = _np(rec.output)
    return step


def _uncached_copy(layer):
    """A copy of the layer without what the fused engine cached (GCN keeps its sparse adjacency)."""
    import copy

    caches = {name: getattr(layer, name) for name in ("_cached_edge_index", "_cached_adj_t", "_cached_x")
              if hasattr(layer, name)}
    try:
        for name in caches:  # sparse tensors cannot be deep-copied, and the copy must not use them
            setattr(layer, name, None)
        twin = copy.deepcopy(layer)
    finally:
        for name, value in caches.items():
            setattr(layer, name, value)
    if hasattr(twin, "cached"):
        twin.cached = False
    return twin


def _step(rec: _Recorder, r: int, node, source_id, edge_id, x_before, out_row) -> Step:
    sources = [source_id(i) for i in rec.sources] if rec.sources is not None else []
    edge_pos = [edge_id(i) for i in rec.in_edges.tolist()] if rec.in_edges is not None else []
    n = len(sources) if rec.msg_value is not None else 0
    inputs = {k: _np(v) for k, v in rec.msg_inputs.items()}
    values = _np(rec.msg_value)
    messages = []
    for k in range(n):
        messages.append(Message(
            source=sources[k], edge=edge_pos[k],
            inputs={name: arr[k] for name, arr in inputs.items()},
            value=values[k] if values is not None else np.array([]),
        ))
    # The output is the round's value as the engine returned it (what run writes).
    return Step(round=r, node=node, x=_np(x_before), messages=messages,
                aggregated=_np(rec.aggregated), output=_np(out_row), calls=rec.calls)


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


