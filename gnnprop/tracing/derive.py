"""A node's round as one computation, each shown result checked against its formula.

Three ways a round is recorded (``Step.computed_by``):

- ``reference``: the layer's own PyG ``propagate`` ran the round; PyG's hooks gave the messages,
  the aggregation and the output (:class:`.recorder.Recorder`);
- ``fused``: gnnprop's own kinds on the fused engine; the engine's aggregation is the one the
  kernel handed over between the halves of its step; the messages, which the fused engine never
  forms, are the message formula on the round's inputs, computed by inspect;
- ``replay``: PyG's layers on the fused engine, and every round explained from a run's folder: the
  layer's PyG form ran the round again on the round's inputs (a run folder keeps no intermediate
  values); its output is compared with the run's.

Then every shown result is redone from the shown inputs (:mod:`.checks`): each message by the
message formula, the aggregation by the messages reduced in the order shown, the update by the
update formula on the shown ``x`` and ``aggr_out``. The update's value is always the run's.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ..layers import inorder
from .checks import Check, compare, not_redone
from .labels import labels
from .recorder import Message, Recorder, Step


class Watcher:
    """Records one node through the rounds :func:`.recorder.explain` asks for, in the run itself."""

    def __init__(self, session, pos: int):
        self.session, self.pos = session, pos
        kernel = session.kernel
        fused = getattr(kernel, "fused", None)
        self.mode = "reference" if kernel.name == "reference" else \
            "fused" if fused is not None and fused.aggregate is not None and hasattr(kernel, "watch") else "replay"
        self.recorder: Recorder | None = None
        self.aggr_row: torch.Tensor | None = None

    def watch(self) -> None:
        """Listen to the next round."""
        if self.mode == "reference":
            self.recorder = Recorder(self.session.layer, self.pos)
        elif self.mode == "fused":
            def seen(aggr: torch.Tensor) -> None:
                self.aggr_row = aggr[self.pos].detach().clone()
            self.session.kernel.watch = seen

    def stop(self) -> None:
        if self.recorder is not None:
            self.recorder.remove()
            self.recorder = None
        if self.mode == "fused":
            self.session.kernel.watch = None

    def step(self, r: int, prev: torch.Tensor, x: torch.Tensor) -> Step:
        """Round ``r`` of the node: ``prev`` the round's input, ``x`` its output (the run's values)."""
        s, pos = self.session, self.pos
        if self.mode == "reference":
            rec, self.recorder = self.recorder, None
            rec.remove()
            step = hooked(s, rec, r, pos, prev[pos], x[pos], whole_graph(s))
        elif self.mode == "fused":
            step = fused_step(s, r, pos, prev, self.aggr_row, x[pos], s.dgraph, lambda k: k)
            s.kernel.watch = None
        else:
            step = replayed(s, pos, prev, r, x[pos])
        return step


# --- the three ways -------------------------------------------------------------------

def whole_graph(session) -> tuple[Callable[[int], Any], Callable[[int], int]]:
    """Node ids and edge positions of the whole graph: ``(source_id, edge_id)``."""
    ids = session.graph.node_ids
    return (lambda k: ids[k]), (lambda k: k)


def hooked(session, rec: Recorder, r: int, pos: int, x_before: torch.Tensor, out_row: torch.Tensor,
           names: tuple, computed_by: str = "reference", replay_out: torch.Tensor | None = None) -> Step:
    """A step from what PyG's hooks recorded (``names``: node ids and edge positions of the graph it ran on)."""
    source_id, edge_id = names
    sources = [source_id(i) for i in rec.sources] if rec.sources is not None else []
    edge_pos = [edge_id(i) for i in rec.in_edges.tolist()] if rec.in_edges is not None else []
    n = len(sources) if rec.msg_value is not None else 0
    inputs = {k: _np(v) for k, v in rec.msg_inputs.items()}
    values = _np(rec.msg_value)
    messages = [Message(source=sources[k], edge=edge_pos[k], inputs={name: arr[k] for name, arr in inputs.items()},
                        value=values[k] if values is not None else np.array([])) for k in range(n)]
    step = Step(round=r, node=session.graph.node_ids[pos], x=_np(x_before), messages=messages,
                aggregated=_np(rec.aggregated), output=_np(out_row), calls=rec.calls, computed_by=computed_by,
                labels=labels(session.layer, rec.msg_inputs, rec.propagated, rec.called))
    _check(session, step, _layer_messages(session, rec), replay_out)
    return step


def fused_step(session, r: int, pos: int, x_prev: torch.Tensor, aggr_row: torch.Tensor, out_row: torch.Tensor,
               graph, node_of: Callable[[int], int], edge_of: Callable[[int], int] = lambda k: k) -> Step:
    """A step of gnnprop's own kinds on the fused engine: the engine's ``aggr_row`` and output, the
    messages computed from the formula on the node's in-edges of ``graph`` (positions mapped to the
    whole graph's nodes and edges by ``node_of`` / ``edge_of``)."""
    arith = session.kind.arithmetic(session.params)
    ei = graph.edge_index
    idx = (ei[1] == pos).nonzero().squeeze(1)
    src = ei[0, idx]
    x_i, x_j = _np(x_prev[pos]), _np(x_prev[src])
    weights = None
    if "edge_weight" in arith.inputs:
        weights = _np(graph.edge_weight[idx]) if graph.edge_weight is not None else np.ones(len(idx), x_i.dtype)
    ids = session.graph.node_ids
    batch = {"x_i": np.broadcast_to(x_i, x_j.shape), "x_j": x_j, "edge_weight": weights}
    values = np.asarray(arith.message({name: batch[name] for name in arith.inputs}), dtype=x_i.dtype) \
        if len(idx) else np.zeros((0, 0), x_i.dtype)
    messages = []
    for k, (s, e) in enumerate(zip(src.tolist(), idx.tolist())):
        inputs = {"x_i": x_i, "x_j": x_j[k], "edge_weight": None if weights is None else weights[k]}
        messages.append(Message(source=ids[node_of(s)], edge=edge_of(e),
                                inputs={name: inputs[name] for name in arith.inputs}, value=values[k],
                                check=Check(True)))
    step = Step(round=r, node=ids[node_of(pos)], x=x_i, messages=messages, aggregated=_np(aggr_row),
                output=_np(out_row), computed_by="fused",
                labels={"edge_weight": "1 for every edge (the graph has no edge weights)"}
                if weights is not None and graph.edge_weight is None else {})
    _check(session, step, None, None)
    return step


def replayed(session, pos: int, x_prev: torch.Tensor, r: int, out_row: torch.Tensor, *,
             local: bool = False) -> Step:
    """Round ``r`` of node ``pos`` computed again from the round's input ``x_prev`` (the run's values):
    gnnprop's own kinds on the subgraph of the node and its in-neighbours when ``local`` (work in
    proportion to the in-degree; on the fused engine its own halves), any other layer on the whole
    graph through its PyG form. The output shown is ``out_row``, the run's value."""
    from ..engine.csr import build_adjacency
    from ..graph import DeviceGraph

    g = session.dgraph
    ids = session.graph.node_ids
    if not local:
        layer = _uncached_copy(session.layer)
        rec = Recorder(layer, pos)
        try:
            with torch.inference_mode():
                replay = session.kind.caller(layer)(x_prev, g)
        finally:
            rec.remove()
        step = hooked(_WithLayer(session, layer), rec, r, pos, x_prev[pos], out_row, whole_graph(session),
                      computed_by="replay", replay_out=replay[pos])
        step.recomputed = _np(replay[pos])
        return step
    ei = g.edge_index
    idx = (ei[1] == pos).nonzero().squeeze(1)
    nodes, inv = torch.unique(torch.cat([torch.tensor([pos], device=ei.device), ei[0, idx]]), return_inverse=True)
    target, src = int(inv[0]), inv[1:]
    sub = DeviceGraph(edge_index=torch.stack([src, torch.full_like(src, target)]),
                      edge_weight=None if g.edge_weight is None else g.edge_weight[idx],
                      num_nodes=int(nodes.numel()), edge_attr=None if g.edge_attr is None else g.edge_attr[idx])
    x_sub = x_prev[nodes]
    node_list, edge_list = nodes.tolist(), idx.tolist()
    fused = getattr(session.kernel, "fused", None)
    if session.kernel.name == "fused" and fused is not None and fused.aggregate is not None:
        with torch.inference_mode():
            adj = build_adjacency(sub, session.dtype, compact=fused.compact)
            aggr = fused.aggregate(x_sub, adj)
            row = aggr[target].clone()
            out = fused.step(x_sub, adj) if fused.composed else fused.update(aggr, x_sub)
        step = fused_step(session, r, target, x_sub, row, out_row, sub, lambda k: node_list[k],
                          lambda k: edge_list[k])
        step.computed_by, step.recomputed = "replay", _np(out[target])
        return step
    layer = _uncached_copy(session.layer)
    rec = Recorder(layer, target)
    try:
        with torch.inference_mode():
            out = session.kind.caller(layer)(x_sub, sub)
    finally:
        rec.remove()
    names = ((lambda k: ids[node_list[k]]), (lambda k: edge_list[k]))
    step = hooked(_WithLayer(session, layer), rec, r, target, x_prev[pos], out_row, names, computed_by="replay")
    step.recomputed = _np(out[target])
    return step


class _WithLayer:
    """The session, seen with another copy of its layer (a replay's)."""

    def __init__(self, session, layer):
        self._session, self.layer = session, layer

    def __getattr__(self, name):
        return getattr(self._session, name)


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


# --- the checks -----------------------------------------------------------------------

def _check(session, step: Step, layer_message: Callable | None, replay_out: torch.Tensor | None) -> None:
    """Redo every shown result of ``step`` from its shown inputs (see :mod:`.checks`)."""
    kind = session.kind
    arith = kind.arithmetic(session.params) if hasattr(kind, "arithmetic") else None
    fused = getattr(session.kernel, "fused", None)
    on_fused = step.computed_by == "fused" or (step.computed_by == "replay" and arith is not None
                                               and session.kernel.name == "fused")
    dtype = step.output.dtype
    products = f"the engine's matrix products ({arith.products}) add their terms in another order than left " \
               "to right" if arith is not None and arith.products else ""
    todo = [m for m in step.messages if m.check is None]
    if todo:
        batch = {k: np.stack([np.asarray(m.inputs[k]) for m in todo]) for k in todo[0].inputs}
        redone = arith.message(batch) if arith is not None else layer_message(batch) if layer_message else None
        why = products or _ELEMENTWISE if arith is not None else _ELEMENTWISE
        cls = type(session.layer).__name__
        not_this = f"{cls}.message is your own code: inspect does not call it again" if kind.runs_user_code \
            else f"{cls}.message needs more than the inputs recorded: inspect cannot call it again"
        for k, m in enumerate(todo):
            m.check = compare(m.value, redone[k], why) if redone is not None else not_redone(not_this)
    if step.aggregated is not None:
        redone = _aggregate(session, step, dtype)
        why = fused.how if on_fused and fused is not None and fused.how else \
            f"{session.kind.label(session.params)} aggregates in another order than the messages listed"
        step.aggregate_check = compare(step.aggregated, redone, why) if redone is not None else \
            not_redone("inspect redoes sum, mean, max and min in order; this aggregation is PyG's own")
    if arith is not None and step.aggregated is not None:
        why = fused.composed if on_fused and fused is not None and fused.composed else products or _ELEMENTWISE
        step.update_check = compare(step.output, arith.update(step.x, step.aggregated), why)
    elif replay_out is not None:
        step.update_check = compare(step.output, _np(replay_out),
                                    "the run's engine (PyG's sparse path) adds in another order than the "
                                    "edge_index path shown here, whose own result this is")
    else:
        cls = type(session.layer).__name__
        step.update_check = not_redone(f"{cls}'s update and the rest of its forward are {cls}'s own code: "
                                       "inspect does not redo them")


_ELEMENTWISE = "the engine evaluated the formula over every row at once, which can round differently " \
               "(vectorised math functions)"


def _aggregate(session, step: Step, dtype) -> np.ndarray | None:
    """The messages shown, reduced in the order shown (``None`` where the aggregation is not one of
    sum, mean, max, min: PyG's own module then reduces them, once more, on the node's messages)."""
    op = session.aggr
    op = "sum" if op == "add" else op
    width = step.aggregated.shape[-1] if step.aggregated is not None else 0
    rows = [np.asarray(m.value, dtype) for m in step.messages]
    if op in inorder.OPS:
        return inorder.reduce(op, rows, width, dtype)
    module = getattr(session.layer, "aggr_module", None)
    if module is None or not rows:
        return None
    try:
        with torch.inference_mode():
            msgs = torch.from_numpy(np.stack(rows))
            out = module(msgs, torch.zeros(len(rows), dtype=torch.long), dim_size=1)
    except Exception:  # noqa: BLE001 - an aggregation that needs more than the messages: not redone
        return None
    return out[0].numpy().reshape(step.aggregated.shape)


def _layer_messages(session, rec: Recorder) -> Callable | None:
    """A PyG class's own ``message`` on one edge's recorded inputs (not for users' classes: inspect does
    not run their code again)."""
    if session.kind.runs_user_code or not rec.msg_inputs:
        return None
    layer = session.layer
    import inspect

    params = inspect.signature(layer.message).parameters
    unseen = {k: None for k, p in params.items() if k not in rec.msg_inputs and p.kind is p.POSITIONAL_OR_KEYWORD}

    def message(inputs: dict[str, np.ndarray]) -> np.ndarray | None:  # E edges' inputs at once
        try:
            with torch.inference_mode():  # what the hooks saw as None (no edge weights) is None again
                out = layer.message(**unseen, **{k: torch.from_numpy(np.asarray(v)) for k, v in inputs.items()})
        except Exception:  # noqa: BLE001 - a message that needs more than its recorded inputs: not redone
            return None
        return out.numpy() if isinstance(out, torch.Tensor) and out.shape[0] == len(next(iter(inputs.values()))) \
            else None
    return message


def _np(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.detach().to("cpu").numpy()
