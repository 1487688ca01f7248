"""Many nodes' derivations from one propagation: what :func:`.recorder.explain` records for one node,
for every node asked, every round, without running the rounds again per node.

``explain(session, node, all_rounds=True)`` runs the propagation and records one node in the
computation that gives the run's value (:mod:`.derive`); calling it for 300 nodes would run the
rounds 300 times. :func:`explain_many` runs them once and records, round by round, what ``explain``
records, through the same pieces of :mod:`.derive`, in the same three ways:

* ``reference``: PyG's hooks on the real run keep the round's whole tensors, and each node's rows
  are cut out of them the way :class:`.recorder.Recorder` cuts them (its in-edges in edge order);
* ``fused``: the kernel hands the round's whole aggregation over between its halves, and each
  node's messages are its formula on the round's inputs (:func:`.derive.fused_step`);
* ``replay``: PyG's layers on the fused engine are run again once a round on the whole graph (as
  ``explain`` runs them for one node) and cut into every node's rows.

Each node's :class:`.recorder.Explanation` is then what ``explain`` gives, checks included, and
:func:`.record.to_dict` turns it into ``inspect --format json``'s record (a test checks every layer
kind, node and round against ``explain``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch

from ..engine.loop import RoundResult
from ..engine.session import Session
from . import derive
from .recorder import Explanation, hook, plan_record


class _Rows:
    """One node's rows of a round's tensors, shaped as :func:`.derive.hooked` reads a recorder."""

    def __init__(self, rec: "_Round", node: int, in_edges: torch.Tensor | None):
        self.calls, self.called, self.propagated = rec.calls, rec.called, rec.propagated
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
        self.called: dict[str, Any] = {}
        self.propagated: dict[str, Any] = {}
        self.msg_inputs: dict[str, torch.Tensor] = {}
        self.handles = hook(layer, self)

    def _forward(self, module, args, kwargs):
        self.called = {"x": args[0] if args else kwargs.get("x"), **dict(kwargs)}

    def _pre(self, module, inputs):
        edge_index, size, kwargs = inputs
        self.calls += 1
        self.propagated = dict(kwargs)
        if isinstance(edge_index, torch.Tensor) and edge_index.dim() == 2 and not edge_index.is_sparse \
                and edge_index.layout == torch.strided:
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
        out = output[0] if isinstance(output, tuple) else output
        self.output = out.detach() if isinstance(out, torch.Tensor) else None

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def rows(self, nodes: list[int]) -> dict[int, _Rows]:
        """Each node's rows; its in-edges in edge order, found with one stable sort of the targets."""
        if self.edge_index is None:
            return {v: _Rows(self, v, None) for v in nodes}
        target = self.edge_index[self.col]
        order = torch.sort(target, stable=True).indices
        want = torch.tensor(nodes, device=target.device)
        lo = torch.searchsorted(target[order], want).tolist()
        hi = torch.searchsorted(target[order], want, right=True).tolist()
        return {v: _Rows(self, v, order[a:b]) for v, a, b in zip(nodes, lo, hi)}


def explain_many(session: Session, nodes: Iterable[int],
                 each_round: Callable[[RoundResult], None] | None = None) -> dict[int, Explanation]:
    """Every round's derivation of each node of ``nodes`` (positions in the graph's node order), as
    ``explain(session, node, all_rounds=True)`` records it, from one propagation. ``each_round`` sees
    every round's result (round 0, the input, first) once the round is recorded."""
    ids = session.graph.node_ids
    nodes = sorted(set(int(v) for v in nodes))
    out = {v: Explanation(node=ids[v], position=v, layer=session.config.layer.type, aggr=session.aggr,
                          formulas=session.kind.formulas(session.params), plan={}) for v in nodes}
    mode = derive.Watcher(session, 0).mode
    kernel = session.kernel
    seen: dict[str, torch.Tensor] = {}
    prop = session.propagate()
    prev = None
    recorder = None
    try:
        for result in prop:
            r = result.round
            if r >= 1 and nodes:
                if mode == "reference":
                    rows = recorder.rows(nodes)
                    recorder.remove()
                    recorder = None
                    for v in nodes:
                        out[v].steps.append(derive.hooked(session, rows[v], r, v, prev[v], result.x[v],
                                                          derive.whole_graph(session)))
                elif mode == "fused":
                    aggr = seen.pop("aggr")
                    for v in nodes:
                        out[v].steps.append(derive.fused_step(session, r, v, prev, aggr[v], result.x[v],
                                                              session.dgraph, lambda k: k))
                else:
                    _replay_whole(session, out, nodes, prev, r, result.x)
            if each_round is not None:
                each_round(result)
            prev = result.x
            if r + 1 <= session.plan.max_rounds and nodes:
                if mode == "reference":
                    recorder = _Round(session.layer)
                elif mode == "fused":
                    kernel.watch = lambda aggr: seen.__setitem__("aggr", aggr.detach().clone())
    finally:
        if recorder is not None:
            recorder.remove()
        if mode == "fused":
            kernel.watch = None
    plan = plan_record(session)
    meta = session.meta()
    for key in ("rounds_run", "stop_reason", "converged"):
        meta.pop(key)
    meta["rounds_computed"] = prop.rounds_run
    for ex in out.values():
        ex.plan, ex.meta = plan, dict(meta)
    return out


def _replay_whole(session: Session, out: dict[int, Explanation], nodes: list[int], x_prev: torch.Tensor, r: int,
                  x_out: torch.Tensor) -> None:
    """Round ``r`` of a layer the fused engine ran on its sparse path, run again once on the whole graph
    through its PyG form (as ``explain`` replays it for one node) and cut into every node's rows."""
    layer = derive._uncached_copy(session.layer)
    rec = _Round(layer)
    try:
        with torch.inference_mode():
            replay = session.kind.caller(layer)(x_prev, session.dgraph)
    finally:
        rec.remove()
    rows = rec.rows(nodes)
    seen_as = derive._WithLayer(session, layer)
    for v in nodes:
        step = derive.hooked(seen_as, rows[v], r, v, x_prev[v], x_out[v], derive.whole_graph(session),
                             computed_by="replay", replay_out=replay[v])
        step.recomputed = derive._np(replay[v])
        out[v].steps.append(step)


__all__ = ["explain_many"]
