"""Many nodes' derivations from one propagation: what :func:`.recorder.explain` records for one node,
for every node asked, every round, without running the rounds again per node.

``explain(session, node, all_rounds=True)`` runs the propagation and listens to the layer for one
node; calling it for 300 nodes would run the rounds 300 times. :func:`explain_many` runs them once
and records, round by round, exactly what ``explain`` records, through the same pieces of
:mod:`.recorder`:

* on the reference path, PyG's hooks keep the round's whole tensors (edges as the layer propagated
  them, every message's inputs and value, the aggregation, the output) and each node's rows are cut
  out of them the way :class:`.recorder._Recorder` cuts them (its in-edges in edge order);
* on the fused engine, a layer whose rounds depend on the whole graph (PyG's, your own) is replayed
  once a round on the whole graph, as ``explain`` replays it for each node; gnnprop's own (local)
  layers replay each node on the subgraph of its in-edges, as ``explain`` does (that is the same
  computation, so the same bits, whatever the matrix library does with another batch size).

Each node's :class:`.recorder.Explanation` is then what ``explain`` gives, and
:func:`.record.to_dict` turns it into ``inspect --format json``'s record (a test checks every layer
kind, node and round against ``explain``).
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from ..engine.loop import RoundResult
from ..engine.session import Session
from .recorder import Explanation, _np, _Recorder, _step, _uncached_copy, plan_record


class _Rows:
    """One node's rows of a round's tensors, shaped as :func:`.recorder._step` reads a recorder."""

    def __init__(self, rec: "_Round", node: int, in_edges: torch.Tensor | None):
        self.calls = rec.calls
        self.in_edges = in_edges
        self.sources = None if in_edges is None else rec.edge_index[1 - rec.col, in_edges].tolist()
        have_messages = in_edges is not None and rec.msg_value is not None
        self.msg_inputs = {k: v[in_edges] for k, v in rec.msg_inputs.items()} if have_messages else {}
        self.msg_value = rec.msg_value[in_edges] if have_messages else None
        self.aggregated = None if rec.aggregated is None else rec.aggregated[node]
        self.output = None if rec.output is None else rec.output[node]


class _Round:
    """PyG hooks that keep a round's whole tensors (the last propagate call's, as ``explain`` does)."""

    def __init__(self, layer):
        self.calls = 0
        self.edge_index = self.msg_value = self.aggregated = self.output = None
        self.col = 1
        self.msg_inputs: dict[str, torch.Tensor] = {}
        self.handles = [
            layer.register_propagate_forward_pre_hook(self._pre),
            layer.register_message_forward_hook(self._message),
            layer.register_aggregate_forward_hook(self._aggregate),
            layer.register_propagate_forward_hook(self._post),
        ]

    def _pre(self, module, inputs):
        edge_index = inputs[0]
        self.calls += 1
        if isinstance(edge_index, torch.Tensor) and edge_index.dim() == 2:
            self.col = 1 if getattr(module, "flow", "source_to_target") == "source_to_target" else 0
            self.edge_index = edge_index.detach()
        else:  # a sparse adjacency: no messages one by one
            self.edge_index = None

    def _message(self, module, inputs, output):
        if self.edge_index is None:
            return
        (kwargs,) = inputs
        n_edges = output.shape[0]
        self.msg_inputs = {k: v.detach() for k, v in kwargs.items()
                           if isinstance(v, torch.Tensor) and v.dim() >= 1 and v.shape[0] == n_edges}
        self.msg_value = output.detach()

    def _aggregate(self, module, inputs, output):
        self.aggregated = output.detach()

    def _post(self, module, inputs, output):
        self.output = output.detach()

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def rows(self, nodes: list[int]) -> dict[int, _Rows]:
        """Each node's rows; its in-edges in edge order, found with one stable sort of the targets."""
        if self.edge_index is None:
            return {v: _Rows(self, v, None) for v in nodes}
        target = self.edge_index[self.col]
        order = torch.sort(target, stable=True).indices
        bounds = torch.searchsorted(target[order], torch.tensor(nodes, device=target.device))
        ends = torch.searchsorted(target[order], torch.tensor(nodes, device=target.device), right=True)
        return {v: _Rows(self, v, order[int(a):int(b)]) for v, a, b in zip(nodes, bounds.tolist(), ends.tolist())}


def explain_many(session: Session, nodes: Iterable[int],
                 each_round: Callable[[RoundResult], None] | None = None) -> dict[int, Explanation]:
    """Every round's derivation of each node of ``nodes`` (positions in the graph's node order), as
    ``explain(session, node, all_rounds=True)`` records it, from one propagation. ``each_round`` sees
    every round's result (round 0, the input, first) once the round is recorded."""
    g = session.graph
    ids = g.node_ids
    nodes = sorted(set(int(v) for v in nodes))
    out = {v: Explanation(node=ids[v], position=v, layer=session.config.layer.type, aggr=session.aggr,
                          formulas=session.kind.formulas(session.params), plan={}) for v in nodes}
    replay = session.kernel.name != "reference"
    local = session.kind.is_local
    prop = session.propagate()
    prev = None
    recorder = None
    try:
        for result in prop:
            r = result.round
            if r >= 1 and nodes:
                x_out = result.x
                if not replay:
                    rows = recorder.rows(nodes)
                    recorder.remove()
                    recorder = None
                    for v in nodes:
                        out[v].steps.append(_step(rows[v], r, ids[v], lambda k: ids[k], lambda k: k, prev[v],
                                                  x_out[v]))
                elif local:
                    _replay_local(session, out, nodes, prev, r, x_out)
                else:
                    _replay_whole(session, out, nodes, prev, r, x_out)
            if each_round is not None:
                each_round(result)
            prev = result.x
            if not replay and r + 1 <= session.plan.max_rounds and nodes:
                recorder = _Round(session.layer)
    finally:
        if recorder is not None:
            recorder.remove()
    plan = plan_record(session)
    meta = session.meta()
    for key in ("rounds_run", "stop_reason", "converged"):
        meta.pop(key)
    meta["rounds_computed"] = prop.rounds_run
    for ex in out.values():
        ex.plan, ex.meta = plan, dict(meta)
    return out


def _replay_local(session: Session, out: dict[int, Explanation], nodes: list[int], x_prev: torch.Tensor, r: int,
                  x_out: torch.Tensor) -> None:
    """Round ``r`` of a local layer (gnnprop's own kinds), each node replayed on the subgraph of its
    in-edges: :func:`.recorder._replayed` for every node, with the layer copied once a round
    instead of once a node (these kinds keep nothing between calls)."""
    from ..graph import DeviceGraph

    g = session.dgraph
    ids = session.graph.node_ids
    ei = g.edge_index
    layer = _uncached_copy(session.layer)
    call = session.kind.caller(layer)
    target = ei[1]
    order = torch.sort(target, stable=True).indices
    sorted_target = target[order]
    want = torch.tensor(nodes, device=ei.device)
    lo = torch.searchsorted(sorted_target, want).tolist()
    hi = torch.searchsorted(sorted_target, want, right=True).tolist()
    for v, a, b in zip(nodes, lo, hi):
        idx = order[a:b]  # the node's in-edges in edge order, as (ei[1] == v).nonzero() gives them
        here = torch.tensor([v], device=ei.device)
        sub_nodes, inv = torch.unique(torch.cat([here, ei[0, idx]]), return_inverse=True)
        local, src = inv[0], inv[1:]
        sub = DeviceGraph(edge_index=torch.stack([src, local.expand_as(src)]),
                          edge_weight=None if g.edge_weight is None else g.edge_weight[idx],
                          num_nodes=int(sub_nodes.numel()),
                          edge_attr=None if g.edge_attr is None else g.edge_attr[idx])
        node_list, edge_list = sub_nodes.tolist(), idx.tolist()
        rec = _Recorder(layer, int(local))
        try:
            with torch.inference_mode():
                call(x_prev[sub_nodes], sub)
        finally:
            rec.remove()
        step = _step(rec, r, ids[v], lambda k: ids[node_list[k]], lambda k: edge_list[k], x_prev[v], x_out[v])
        step.recomputed = _np(rec.output)
        out[v].steps.append(step)


def _replay_whole(session: Session, out: dict[int, Explanation], nodes: list[int], x_prev: torch.Tensor, r: int,
                  x_out: torch.Tensor) -> None:
    """Round ``r`` of a layer that is not local, replayed once on the whole graph (as ``explain``
    replays it for one node) and cut into every node's rows."""
    ids = session.graph.node_ids
    layer = _uncached_copy(session.layer)
    rec = _Round(layer)
    try:
        with torch.inference_mode():
            session.kind.caller(layer)(x_prev, session.dgraph)
    finally:
        rec.remove()
    rows = rec.rows(nodes)
    for v in nodes:
        step = _step(rows[v], r, ids[v], lambda k: ids[k], lambda k: k, x_prev[v], x_out[v])
        step.recomputed = _np(rows[v].output)
        out[v].steps.append(step)


__all__ = ["explain_many"]
