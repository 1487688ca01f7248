"""The tutorial's hand-written layer, with the formulas taken from the config.

    m_ij = message(x_i, x_j, edge_weight)      default 0.5 * x_i + 2 * x_j
    a_i  = AGGR_{j -> i} m_ij                   default max
    x_i' = update(x_i, a_i)                     default x + 0.5 * aggr_out

Shapes: x [N, F] -> [N, F]; messages [E, F]. ``edge_weight`` is ``[E]`` and is
broadcast over the features (1 for every edge when the graph has none).

Fused form, where the message is affine in ``x_i``, ``x_j`` (and, for sum and
mean, ``edge_weight``):

    sum:      a*deg_i*x_i + b*sum_j x_j + c*deg_i        (weighted terms use A_w)
    mean:     the sum divided by deg_i
    max/min:  the message formula itself at x_i and max_j x_j (b >= 0) or
              min_j x_j (b < 0); a monotone map commutes with max, so this is
              exactly PyG's value

and a sum/mean round whose update is affine too is composed into one reduction
and one per-node-scaled pass (:func:`_composed_step`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch

from .. import expr
from ..config.schema import LayerConfig
from ..engine.csr import Poly, affine, eval_into, fused_op, reduce_raw
from ..errors import ConfigError
from .base import Arithmetic, Fused, OwnKind, aggr_width_factor, halves, mp_kwargs, spark_aggr, width_keeping_modes


def _fit(value, like: torch.Tensor) -> torch.Tensor:
    """Broadcast an expression's value (a number or a tensor) to ``like``'s shape."""
    if not isinstance(value, torch.Tensor):
        return torch.full_like(like, float(value))
    if value.shape != like.shape:
        value = value.expand_as(like)
    return value.to(like.dtype)


class FixedParams(torch.nn.Module):
    """The fixed layer's formulas (it has no learned parameters)."""

    def __init__(self, message: expr.Expression, update: expr.Expression, channels: int, aggr="max",
                 aggr_mode: str | None = None):
        super().__init__()
        self.message_expr, self.update_expr = message, update
        self.in_channels = self.out_channels = channels
        self.aggr, self.aggr_mode = aggr, aggr_mode
        self.uses_edge_weight = "edge_weight" in message.names()

    def extra_repr(self) -> str:
        return f"message={self.message_expr.source!r}, update={self.update_expr.source!r}, aggr={self.aggr!r}"


@cache
def _layer_class():
    from torch_geometric.nn import MessagePassing

    class FixedLayer(MessagePassing):
        """The fixed layer as a PyG ``MessagePassing``: message, aggregate and update by PyG."""

        def __init__(self, params: FixedParams):
            super().__init__(**mp_kwargs(params.aggr, params.aggr_mode))
            self.message_expr, self.update_expr = params.message_expr, params.update_expr
            self.in_channels = self.out_channels = params.in_channels
            self.uses_edge_weight = params.uses_edge_weight

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
            if not self.uses_edge_weight:
                edge_weight = None  # what the message does not read is not one of its inputs (inspect)
            elif edge_weight is None:
                edge_weight = torch.ones(edge_index.shape[1], dtype=x.dtype, device=x.device)
            return self.propagate(edge_index, x=x, edge_weight=edge_weight)

        def message(self, x_i: torch.Tensor, x_j: torch.Tensor, edge_weight: torch.Tensor | None) -> torch.Tensor:
            env = {"x_i": x_i, "x_j": x_j}
            if self.uses_edge_weight:
                env["edge_weight"] = edge_weight.to(x_j.dtype).view(-1, 1)
            return _fit(self.message_expr.eval(env), x_j)

        def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return _fit(self.update_expr.eval({"x": x, "aggr_out": aggr_out}), x)

    return FixedLayer


class FixedKind(OwnKind):
    name = "fixed"
    default_aggr = "max"
    fields = ("message", "update")
    summary = "hand-written formulas (the tutorial's): message 0.5*x_i + 2*x_j, update x + 0.5*aggr_out"

    def check(self, cfg: LayerConfig) -> None:
        expr.parse(cfg.message, expr.MESSAGE, "layer.message")
        expr.parse(cfg.update, expr.UPDATE, "layer.update")

    def build(self, cfg, in_dim, aggr, aggr_mode, edge_dim) -> FixedParams:
        k = aggr_width_factor(aggr, aggr_mode)
        if k != 1:
            raise ConfigError(f"cat makes aggr_out {k} x {in_dim} wide, but the fixed layer's update "
                              f"combines it with x (width {in_dim}); use aggr_mode {width_keeping_modes()}",
                              key="aggr_mode")
        return FixedParams(expr.parse(cfg.message, expr.MESSAGE, "layer.message"),
                           expr.parse(cfg.update, expr.UPDATE, "layer.update"), in_dim, aggr, aggr_mode)

    def formulas(self, p: FixedParams) -> dict[str, str]:
        f = p.in_channels
        return {"message": f"m_ij = {p.message_expr.source}   (x_i, x_j: [{f}])",
                "aggregate": f"a_i = {p.aggr} over the incoming messages",
                "update": f"x_i' = {p.update_expr.source}   (x = x_i, aggr_out = a_i)"}

    def reference(self, p: FixedParams):
        return _layer_class()(p).eval()

    def spark(self, p: FixedParams, ops):
        """The Spark lowering (:mod:`gnnprop.engine.spark`): an affine message is one join and one
        ``groupBy`` (max/min reduce ``x_j`` and apply the message after, as the fused form does;
        sum/mean sum the ``x_j`` terms and scale the rest by the in-degree); any other message
        joins both ends of every edge and is computed per edge. ``ops`` is the engine's toolbox."""
        op = spark_aggr(p.aggr)
        if op is None:
            return f"the aggregation {self.aggr_text(p)} has no Spark form"
        return _spark_step(p, ops, op)

    def arithmetic(self, p: FixedParams) -> Arithmetic:
        """The message and the update evaluated on one edge's / one node's values (torch on the CPU, in
        their dtype: the same operations as the engines', in the formula's order)."""
        def message(inputs):  # [E, F] rows of E edges (the same arithmetic, row by row, as one at a time)
            env = {k: torch.from_numpy(np.array(v)) for k, v in inputs.items()}
            like = env["x_j"]
            if "edge_weight" in env:
                env["edge_weight"] = env["edge_weight"].reshape(-1, 1)
            return _fit(p.message_expr.eval(env), like).numpy()

        def update(x, aggr_out):
            x, aggr_out = torch.from_numpy(np.array(x)), torch.from_numpy(np.array(aggr_out))
            return _fit(p.update_expr.eval({"x": x, "aggr_out": aggr_out}), x).numpy()
        return Arithmetic(message, update, inputs=("x_i", "x_j", "edge_weight") if p.uses_edge_weight else ("x_i", "x_j"))

    def fused(self, p: FixedParams, graph) -> Fused | str:
        if isinstance(p.aggr, (list, tuple)):
            return "several aggregations have no fused form"
        op = fused_op(p.aggr)
        if op is None:
            return f"the {p.aggr} aggregation has no fused form"
        poly = affine(p.message_expr.tree)
        if poly is None:
            return f"the message {p.message_expr.source!r} is not affine in x_i, x_j"
        if graph.edge_weight is None:  # edge_weight is 1 on every edge: its terms are the unweighted ones
            poly = _unweighted(poly)
        weighted = any(w for (_, w) in poly)

        def update(aggr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            out, _ = eval_into(p.update_expr, {"x": x, "aggr_out": aggr}, (aggr,), x)
            return out

        if op in ("max", "min"):
            if weighted:
                return f"a message with edge_weight has no fused {op}"
            b = poly.get(("x_j", 0), 0.0)
            pick = op if b >= 0 else ("min" if op == "max" else "max")

            def aggregate(x, adj):
                m = reduce_raw(adj, x, pick)
                env = {"x_i": x, "x_j": m, "edge_weight": 1.0}  # (a weighted message here: no edge weights)
                aggr, mine = eval_into(p.message_expr, env, (m,), x)
                return aggr.masked_fill_(adj.empty, 0) if mine else aggr.masked_fill(adj.empty, 0)
            return halves(aggregate, update, f"the message applied to the {pick} of x_j over the in-neighbours")

        def aggregate(x, adj):
            total = None
            for (var, w), c in poly.items():
                if c == 0:
                    continue
                if var == "x_j":
                    term = reduce_raw(adj, x, "sum", weighted=bool(w))
                    term = term if c == 1 else term.mul_(c)
                    total = term if total is None else total.add_(term)
                    continue
                if total is None:
                    total = torch.zeros_like(x)
                scale = adj.wdeg if w else adj.deg
                if var == "x_i":
                    total.addcmul_(scale, x, value=c)
                else:
                    total.add_(scale, alpha=c)
            if total is None:
                total = torch.zeros_like(x)
            return total.div_(adj.deg1) if op == "mean" else total

        how = f"the fused engine computes {_sum_words(poly, op)} (the sum reassociated)"
        composed = _composed_step(poly, p.update_expr, op)
        if composed is not None:
            return Fused(composed, aggregate=aggregate, update=update, how=how,
                         composed="the fused engine computes the message, the sum and the update as one affine "
                                  f"pass ({composed.words}), without forming aggr_out")
        return halves(aggregate, update, how)


def _unweighted(poly: Poly) -> Poly:
    """``poly`` with ``edge_weight`` = 1: each weighted term added to its unweighted twin."""
    out: Poly = {}
    for (var, _), c in poly.items():
        out[(var, 0)] = out.get((var, 0), 0.0) + c
    return out


def _sum_words(poly: Poly, op: str) -> str:
    """``2*sum_j(x_j) + 0.5*deg_i*x_i``: the fused sum of the affine message ``poly``, in words."""
    parts = []
    for (var, w), c in poly.items():
        if c == 0:
            continue
        k = "" if c == 1 else f"{c:g}*"
        if var == "x_j":
            parts.append(f"{k}sum_j({'edge_weight*' if w else ''}x_j)")
        else:
            deg = "wdeg_i" if w else "deg_i"
            parts.append(f"{k}{deg}" + ("*x_i" if var == "x_i" else ""))
    text = " + ".join(parts) or "0"
    return f"({text}) / deg_i" if op == "mean" else text


def _spark_step(p: FixedParams, ops, op):
    """The fixed layer on Spark (see :meth:`FixedKind.spark`); ``op`` is one aggregation or a list."""
    f = p.in_channels
    F = ops.F
    poly = affine(p.message_expr.tree) if isinstance(op, str) else None  # several: per edge, below

    def update(df, aggr):
        return ops.output(df, [ops.compile(p.update_expr, {"x": x, "aggr_out": a}) for x, a in zip(ops.x(f), aggr)])

    if poly is not None and op in ("max", "min") and not any(w for (_, w) in poly):
        b = poly.get(("x_j", 0), 0.0)
        pick = op if b >= 0 else ("min" if op == "max" else "max")

        def step(nodes):  # a monotone message commutes with max / min: reduce x_j, then the message
            df = ops.reduce(nodes, ops.x(f), pick)
            aggr = [ops.if_edges(ops.compile(p.message_expr, {"x_i": x, "x_j": F.col(f"_a{k}")}))
                    for k, x in enumerate(ops.x(f))]
            return update(df, aggr)
        return ops.step(step, f)

    if poly is not None and op in ("sum", "mean"):
        gathered = [(c, w) for (v, w), c in poly.items() if v == "x_j" and c != 0]
        local = [(v, c, w) for (v, w), c in poly.items() if v in ("x_i", "1") and c != 0]
        weighted = any(w for (_, w) in poly)

        def per_edge(q, weight):  # the x_j terms of one edge's message
            out = []
            for qk in q:
                acc = None
                for c, w in gathered:
                    term = ops.arith("*", c, qk)
                    term = ops.arith("*", term, weight) if w else term
                    acc = term if acc is None else ops.arith("+", acc, term)
                out.append(acc)
            return out

        def step(nodes):  # sum_j m_ij = (x_j terms summed) + a x_i deg_i + c deg_i
            df = ops.reduce(nodes, ops.x(f) if gathered else [], "sum", per_edge=per_edge, weighted_degree=weighted)
            aggr = []
            for k, x in enumerate(ops.x(f)):
                total = F.coalesce(F.col(f"_a{k}"), ops.lit(0.0)) if gathered else ops.lit(0.0)
                for v, c, w in local:
                    term = ops.arith("*", c, ops.degree(w))
                    term = ops.arith("*", term, x) if v == "x_i" else term
                    total = ops.arith("+", total, term)
                aggr.append(ops.if_edges(ops.arith("/", total, ops.degree()) if op == "mean" else total))
            return update(df, aggr)
        return ops.step(step, f)

    def message(x_i, x_j, w):  # anything else: the message per edge, from both ends
        env = [{"x_i": a, "x_j": b} | ({"edge_weight": w} if w is not None else {}) for a, b in zip(x_i, x_j)]
        return [ops.compile(p.message_expr, e) for e in env]

    def step(nodes):  # several aggregations: each over the same messages, combined by aggr_mode
        df = ops.reduce_messages(nodes, f, message, op)
        return update(df, ops.reduced(f, op, p.aggr_mode))
    return ops.step(step, f)


def _composed_step(poly: Poly, update_expr: expr.Expression, op: str):
    """A sum/mean round whose update is affine too, as one reduction and one pass.

    With the message ``a x_i + b x_j + c`` (terms possibly times ``edge_weight``)
    and the update ``p x + q aggr_out + r``, the round is
    ``out = q b S + (p + q a D) x + (r + q c D)`` where ``S`` is the (weighted)
    sum over the in-neighbours and ``D`` the (weighted) in-degree, all divided by
    the in-degree for mean: a per-node scale of ``x`` instead of three passes over
    [N, F]. Reassociated, so equal to the reference within rounding (as every
    fused sum is). ``None`` when the update is not affine or ignores ``aggr_out``.
    """
    upoly = affine(update_expr.tree)
    if upoly is None or any(w or v not in ("x", "aggr_out", "1") for (v, w) in upoly):
        return None
    p, q, r = (upoly.get((v, 0), 0.0) for v in ("x", "aggr_out", "1"))
    if q == 0:
        return None
    sums = [(bool(w), q * c) for (v, w), c in poly.items() if v == "x_j" and c != 0]
    scaled = [(v, bool(w), q * c) for (v, w), c in poly.items() if v in ("x_i", "1") and c != 0]

    def step(x, adj):
        mean = op == "mean"
        out = None
        for weighted, k in sums:
            s = reduce_raw(adj, x, "sum", weighted=weighted)
            if mean:
                s.mul_(k / adj.deg1)
            elif k != 1:
                s.mul_(k)
            out = s if out is None else out.add_(s)
        if out is None:
            out = torch.zeros_like(x)
        alpha = beta = None
        for v, weighted, k in scaled:
            term = k * (adj.wdeg if weighted else adj.deg)
            term = term / adj.deg1 if mean else term
            if v == "x_i":
                alpha = term if alpha is None else alpha + term
            else:
                beta = term if beta is None else beta + term
        if alpha is not None:
            out.addcmul_(alpha + p, x)
        elif p != 0:
            out.add_(x, alpha=p)
        if beta is not None:
            out.add_(beta + r)
        elif r != 0:
            out.add_(r)
        return out
    step.words = _composed_words(sums, scaled, p, r, op == "mean")
    return step


def _composed_words(sums, scaled, p: float, r: float, mean: bool) -> str:
    """The composed round as :func:`_composed_step` computes it: ``x_i' = 2*S + (1 + 0.25*deg_i)*x_i``."""
    per = "/deg_i" if mean else ""
    terms = [f"{k:g}{per}*sum_j({'edge_weight*' if w else ''}x_j)" for w, k in sums]
    for var in ("x_i", "1"):
        parts = [f"{k:g}*{'wdeg_i' if w else 'deg_i'}{per}" for v, w, k in scaled if v == var]
        own = p if var == "x_i" else r
        parts = ([f"{own:g}"] if own else []) + parts
        if parts:
            coef = " + ".join(parts)
            terms.append(f"({coef})*x_i" if var == "x_i" else f"({coef})" if len(parts) > 1 else coef)
    return "x_i' = " + (" + ".join(terms) or "0")


KIND = FixedKind()
