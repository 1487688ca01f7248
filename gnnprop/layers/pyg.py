"""PyG's built-in convolution layers, by friendly name or class name.

Any class exported by ``torch_geometric.nn.conv`` that subclasses
``MessagePassing`` can be named: ``gcn``, ``GCNConv`` and ``gcn-conv`` all
resolve to ``GCNConv`` (case, ``-``, ``_`` and a trailing ``conv`` ignored, as
PyG's own resolver does). Keyword arguments come from the config and are
checked against the class's signature. ``in_channels`` / ``out_channels`` /
``channels`` default to the graph's feature width (``out_dim`` if set), and a
few layers get the defaults they need to run from a YAML file: ChebConv ``K=2``,
APPNP ``K=10, alpha=0.1``, GIN/GINE an MLP ``Linear(F, F) -> ReLU -> Linear(F, F)``,
``edge_dim`` from the graph's edge attributes.
"""

from __future__ import annotations

import copy
import inspect
from functools import lru_cache
from typing import Any, Mapping

import torch

from ..errors import ConfigError
from ..resolver import normalize
from . import PYG_FRIENDLY
from . import pyg_needs as needs
from .pyg_needs import DEFAULTS, MODULE_ARGS, TENSOR_ARGS  # noqa: F401  (part of this module's interface)
from .base import Fused, make_caller, module_aggr_text, module_formulas, spark_aggr

FRIENDLY = PYG_FRIENDLY
# MessagePassing's own keyword arguments, accepted by convs that pass **kwargs on
BASE_KWARGS = ("aggr", "aggr_kwargs", "flow", "node_dim", "decomposed_layers")
#: Constructor arguments gnnprop fills in from the graph and the config (``layers`` lists the rest).
FILLED = needs.FILLED


@lru_cache(maxsize=1)
def classes() -> dict[str, type]:
    """Class name -> class, for every MessagePassing conv PyG exports."""
    import torch_geometric.nn.conv as conv
    from torch_geometric.nn import MessagePassing

    out = {}
    for name in getattr(conv, "__all__", dir(conv)):
        obj = getattr(conv, name, None)
        if isinstance(obj, type) and issubclass(obj, MessagePassing) and obj is not MessagePassing:
            out[name] = obj
    return out


def lookup(name: str) -> str | None:
    """The PyG class name ``name`` refers to, or ``None``."""
    key = normalize(name)
    for friendly, cls in FRIENDLY.items():
        if key == friendly:
            return cls
    for cls_name in classes():
        n = normalize(cls_name)
        if key in (n, n.removesuffix("conv")):
            return cls_name
    return None


def friendly_name(cls_name: str) -> str:
    return next((f for f, c in FRIENDLY.items() if c == cls_name), cls_name)


def all_names() -> list[str]:
    return list(FRIENDLY) + [c for c in classes() if c not in FRIENDLY.values()]


def signature(cls: type) -> tuple[dict[str, inspect.Parameter], bool]:
    """``__init__`` parameters (without self) and whether it takes ``**kwargs``."""
    params = dict(inspect.signature(cls.__init__).parameters)
    params.pop("self", None)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    params = {k: p for k, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return params, var_kw


def accepted_kwargs(cls: type) -> list[str]:
    params, var_kw = signature(cls)
    return list(params) + ([k for k in BASE_KWARGS if k not in params] if var_kw else [])


def check_args(cls_name: str, args: Mapping[str, Any]) -> None:
    from ..resolver import choices

    valid = accepted_kwargs(classes()[cls_name])
    for key in args:
        if key not in valid:
            close = choices(key, valid)[:3]
            raise ConfigError(f"{cls_name} takes no argument {key!r}; "
                              f"closest: {', '.join(close)} (all: {', '.join(valid)})", key=f"layer.{key}")
        if MODULE_ARGS.get(cls_name) == key:
            raise ConfigError(f"{cls_name}'s {key!r} is a torch module; gnnprop builds one "
                              f"({needs.module_words(cls_name)}); it cannot come from YAML", key=f"layer.{key}")


def status(cls_name: str) -> str | None:
    """What ``gnnprop layers`` says a class needs before it runs, or ``None`` (it runs as it is)."""
    cls = classes()[cls_name]
    why = needs.cannot_run(cls_name, cls)
    if why is not None:
        return f"cannot run in gnnprop: {why}"
    wanted = []
    graph = needs.missing_inputs(cls_name, None)
    if graph is not None:
        wanted.append(graph)
    params, _ = signature(cls)
    missing = needs.missing_args(params, needs.filled(cls_name, params, 1, None, 1, 1, {}))
    if missing:
        wanted.append(needs.keys(missing))
    return f"needs {' and '.join(wanted)}" if wanted else None


def refuse_early(cls_name: str, args: Mapping[str, Any], has_edge_attr: bool) -> None:
    """Refuse, before building, a class that cannot run here: one line saying what it needs."""
    cls = classes()[cls_name]
    why = needs.cannot_run(cls_name, cls)
    if why is not None:
        raise ConfigError(f"{cls_name} cannot run in gnnprop: {why}", key="layer.type")
    graph = needs.missing_inputs(cls_name, has_edge_attr)
    if graph is not None:
        raise ConfigError(f"{cls_name} needs {graph}, and this graph has none", key="layer.type")


def build(cls_name: str, args: Mapping[str, Any], in_dim: int, out_dim: int | None, aggr: Any,
          aggr_mode: str | None, edge_dim: int | None, hidden_dim: int | None = None) -> torch.nn.Module:
    refuse_early(cls_name, args, edge_dim is not None)
    cls = classes()[cls_name]
    params, var_kw = signature(cls)
    kwargs = needs.filled(cls_name, params, in_dim, out_dim, hidden_dim, edge_dim, args)
    if aggr is not None:
        if "aggr" not in params and not var_kw:
            raise ConfigError(f"{cls_name} fixes its own aggregation; remove aggr to use it", key="aggr")
        kwargs["aggr"] = aggr
        if aggr_mode is not None:
            kwargs["aggr_kwargs"] = {"mode": aggr_mode}
    missing = needs.missing_args(params, kwargs)
    if missing:
        raise ConfigError(f"{cls_name} needs {needs.keys(missing)} "
                          f"(layer: {{type: {friendly_name(cls_name)}, {missing[0]}: ...}})", key="layer")
    if isinstance(aggr, list):
        _generate_sparse_path(cls, kwargs)
    try:
        return cls(**kwargs)
    except TypeError as e:
        if aggr is not None and "aggr" in str(e):
            own = getattr(_plain(cls_name, args, in_dim, out_dim, edge_dim), "aggr", "its own")
            raise ConfigError(f"{cls_name} uses {own!r} aggregation and cannot take another", key="aggr") from None
        raise ConfigError(f"PyG refused {cls_name}({_show(kwargs)}): {e}", key="layer") from None
    except (ValueError, AssertionError, RuntimeError, NotImplementedError, ImportError) as e:
        raise ConfigError(f"PyG refused {cls_name}({_show(kwargs)}): {e}", key="layer") from None


def _generate_sparse_path(cls: type, kwargs: Mapping[str, Any]) -> None:
    """PyG writes a class's ``propagate`` once per process, from its first instance, and leaves the
    sparse (fused) path out when that instance has several aggregations. Building a one-aggregation
    instance first keeps that path for the instances that can use it (it is checked at run time)."""
    import warnings

    plain = {k: v for k, v in kwargs.items() if k not in ("aggr", "aggr_kwargs")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(**plain)
    except Exception:  # noqa: BLE001 - only a courtesy; the real build reports its own errors
        pass


def _plain(cls_name, args, in_dim, out_dim, edge_dim):
    try:
        return build(cls_name, {k: v for k, v in args.items() if k != "aggr"}, in_dim, out_dim, None, None, edge_dim)
    except ConfigError:
        return None


def _show(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={'<module>' if isinstance(v, torch.nn.Module) else repr(v)}" for k, v in kwargs.items())


# What the best-known PyG layers compute per node, in words (from PyG's documentation).
FORMULAS = {
    "GCNConv": "x_i' = W^T sum_{j in N(i) + i} e_ji / sqrt(d_j d_i) x_j + b  (self loops added; d = 1 + weighted degree)",
    "SAGEConv": "x_i' = W_1 x_i + W_2 aggr_{j in N(i)} x_j",
    "GraphConv": "x_i' = W_1 x_i + W_2 sum_{j in N(i)} e_ji x_j",
    "GINConv": "x_i' = MLP((1 + eps) x_i + sum_{j in N(i)} x_j)",
    "GATConv": "x_i' = sum_{j in N(i) + i} alpha_ij W x_j  (alpha: softmax over attention scores)",
    "GATv2Conv": "x_i' = sum_{j in N(i) + i} alpha_ij W_t x_j  (alpha from a^T LeakyReLU(W_s x_i + W_t x_j))",
    "ChebConv": "x' = sum_k Z_k W_k, Z_1 = x, Z_2 = L_hat x, Z_k = 2 L_hat Z_{k-1} - Z_{k-2}",
    "SGConv": "x' = (D^-1/2 A_hat D^-1/2)^K x W",
    "APPNP": "x_0 = x, x_k = (1 - alpha) D^-1/2 A_hat D^-1/2 x_{k-1} + alpha x_0, K steps",
}

# PyG layers whose sparse path is checked against their edge_index path (tests/test_fused.py).
# The gcn_norm family treats self loops and duplicate edges differently on the two paths,
# so they fuse only on graphs without them. ``cached`` there caches the normalised
# adjacency (SGConv's would cache the propagated features, so it stays off).
FUSED = {"SAGEConv", "GraphConv", "GINConv", "GCNConv", "SGConv", "APPNP"}
GCN_NORM = {"GCNConv", "SGConv", "APPNP"}
CACHE_ADJ = {"GCNConv", "APPNP"}


class PygKind:
    """A PyG convolution class: its parameters are the PyG module itself."""

    default_aggr = None
    fields = ("hidden_dim", "out_dim", "args")
    is_local = False  # GCN normalises by global degrees, attention by all in-edges, ...
    runs_user_code = False

    def __init__(self, cls_name: str):
        self.cls_name = cls_name
        self.name = friendly_name(cls_name)

    @property
    def has_spark(self) -> bool:
        return self.cls_name in SPARK

    def describe(self) -> str:
        """``PyG GCNConv; args: improved, ...``: the arguments besides the widths and modules gnnprop fills in."""
        filled = (*FILLED, MODULE_ARGS.get(self.cls_name))
        args = [a for a in accepted_kwargs(classes()[self.cls_name]) if a not in BASE_KWARGS and a not in filled]
        title = f"PyG {self.cls_name}" if self.name != self.cls_name else "PyG"
        need = self.needs()
        need = f"; {need}" if need and not need.startswith("cannot run") else ""
        return f"{title}{need}; args: {', '.join(args) or 'none'}"

    def needs(self) -> str | None:
        """What the class needs before it runs (``gnnprop layers``), or ``None``."""
        return status(self.cls_name)

    def check(self, cfg) -> None:
        check_args(self.cls_name, cfg.args)

    def build(self, cfg, in_dim, aggr, aggr_mode, edge_dim):
        return build(self.cls_name, cfg.args, in_dim, cfg.out_dim, aggr, aggr_mode, edge_dim, cfg.hidden_dim)

    def label(self, params) -> str:
        return type(params).__name__

    def aggr_text(self, params) -> str:
        return module_aggr_text(params)

    def out_width(self, params) -> int | None:
        return None

    def formulas(self, params) -> dict[str, str]:
        return module_formulas(params, FORMULAS.get(type(params).__name__))

    def reference(self, params):
        return params

    def caller(self, layer):
        return make_caller(layer)

    def spark(self, params, ops):
        """The Spark lowering of SAGEConv and GraphConv (:func:`_spark_step`), or why there is none."""
        return _spark_step(params, ops)

    def spark_blocks(self, params):
        """The round on a block of nodes (:mod:`.pyg_blocks`), or why there is none."""
        from .pyg_blocks import form

        return form(self, params)

    def fused(self, params, graph) -> Fused | str:
        name = type(params).__name__
        if isinstance(getattr(params, "aggr", None), (list, tuple)):
            return "several aggregations have no fused form"
        if graph.edge_attr is not None and "edge_attr" in inspect.signature(params.forward).parameters:
            return f"{name} with edge attributes runs on the reference path"
        if name not in FUSED:
            return f"{name} has no fused path checked in gnnprop"
        if name in GCN_NORM and not graph.is_simple():
            return (f"{name} normalises self loops and duplicate edges differently on PyG's sparse path, "
                    "and this graph has them")
        if not _sparse_path_works(params):
            return (f"PyG generated {name}'s propagate without its sparse path (an instance with several "
                    "aggregations came first in this process)")
        takes_weight = "edge_weight" in inspect.signature(params.forward).parameters
        runner = params
        if name in CACHE_ADJ:
            # the graph is the same every round: a shallow copy (same parameters) caches the normalised
            # adjacency; the layer itself is left as it was built
            runner = copy.copy(params)
            runner.cached = True

        def step(x, adj):
            a = adj.weighted if (takes_weight and adj.weighted is not None) else adj.ones
            out = runner(x, a)
            return out[0] if isinstance(out, tuple) else out
        return Fused(step, compact=False, reductions_only=False)


def _sparse_path_works(layer) -> bool:
    """Whether ``layer`` runs on a sparse adjacency: PyG generates a class's ``propagate`` once per
    process, from the first instance, and leaves the sparse path out when that one could not fuse."""
    width = getattr(layer, "in_channels", None)
    width = width[0] if isinstance(width, tuple) else width
    first = next(layer.parameters(), None)
    if not isinstance(width, int) or width < 1 or first is None:
        return True  # nothing to probe with; the run itself will tell
    probe = copy.copy(layer)
    if hasattr(probe, "cached"):
        probe.cached = False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj = torch.sparse_csr_tensor(torch.tensor([0, 0, 1]), torch.tensor([0]), torch.ones(1, dtype=first.dtype),
                                      size=(2, 2)).to(first.device)
    try:
        with torch.inference_mode():
            probe(torch.zeros(2, width, dtype=first.dtype, device=first.device), adj)
    except NotImplementedError:
        return False
    except Exception:  # noqa: BLE001 - any other failure shows itself in the run, with its own message
        return True
    return True


#: PyG convolutions with a Spark form: a reduction of x_j (GraphConv: times edge_weight; the gcn_norm
#: family: times the normalised weight) and linear maps, as the classes' own ``forward`` computes them.
SPARK = {"SAGEConv", "GraphConv", "GINConv", "GCNConv", "SGConv", "APPNP"}


def _weights(lin) -> tuple[list, list | None]:
    return lin.weight.tolist(), (lin.bias.tolist() if getattr(lin, "bias", None) is not None else None)


def _spark_aggr(params) -> tuple:
    """``(aggregation or list, aggr_mode)`` of a PyG layer for its Spark form, or ``(None, None)``."""
    aggr = getattr(params, "aggr", None)
    names = [aggr] if isinstance(aggr, str) else list(aggr) if isinstance(aggr, (list, tuple)) else []
    names = ["sum" if n == "add" else n for n in names if isinstance(n, str)]
    op = spark_aggr(names[0] if isinstance(aggr, str) and names else names)
    module = getattr(params, "aggr_module", None)
    return op, getattr(module, "mode", None)


def _aggr_width(op, mode, width: int) -> int:
    return width * len(op) if isinstance(op, list) and (mode or "cat") == "cat" else width


def _spark_step(params, ops):
    """SAGEConv: ``lin_l(aggr_j x_j) + lin_r(x_i)``; GraphConv: ``lin_rel(aggr_j w_ji x_j) + lin_root(x_i)``
    (no input projection or normalisation: those are refused); GINConv and the gcn_norm family
    (GCNConv, SGConv, APPNP) below. A list of aggregations is reduced in the same ``groupBy`` and
    combined as the layer's ``MultiAggregation`` does."""
    name = type(params).__name__
    if name not in SPARK:
        return f"{name} has no Spark form (the spark engine runs {', '.join(sorted(SPARK))} of PyG's layers)"
    op, mode = _spark_aggr(params)
    if op is None:
        return f"{name} with aggregation {module_aggr_text(params)} has no Spark form"
    if name == "SAGEConv" and (params.project or params.normalize):
        return "SAGEConv with project or normalize has no Spark form"
    if name == "GINConv":
        return _gin_step(params, ops, op, mode)
    if name in GCN_NORM:
        return _gcn_step(params, ops, op, mode)
    rel, root = (params.lin_l, params.lin_r if params.root_weight else None) if name == "SAGEConv" \
        else (params.lin_rel, params.lin_root)
    (w_rel, b_rel), (w_root, _) = _weights(rel), (_weights(root) if root is not None else (None, None))
    f = params.in_channels if isinstance(params.in_channels, int) else params.in_channels[0]
    if len(w_rel[0]) != _aggr_width(op, mode, f):
        return f"{name}'s {'lin_l' if name == 'SAGEConv' else 'lin_rel'} does not take the aggregation's width"
    weighted = name == "GraphConv"

    def step(nodes):
        x = ops.x(f)
        times_w = (lambda q, w: [ops.arith("*", w, v) for v in q]) if weighted else None
        df = ops.reduce(nodes, x, op, per_edge=times_w)
        df, out = ops.linear_map(df, w_rel, b_rel, ops.reduced(f, op, mode), "_l")
        if w_root is not None:
            df, root = ops.linear_map(df, w_root, None, x, "_r")
            out = [ops.arith("+", o, r) for o, r in zip(out, root)]
        return ops.output(df, out)
    return ops.step(step, params.out_channels)


def _gin_step(params, ops, op, mode):
    """GINConv: ``mlp((1 + eps) x_i + aggr_j x_j)``, its MLP made of Linear and ReLU layers."""
    layers = list(params.nn) if isinstance(params.nn, torch.nn.Sequential) else [params.nn]
    plan = []
    for layer in layers:
        if isinstance(layer, torch.nn.Linear):
            plan.append(_weights(layer))
        elif isinstance(layer, torch.nn.ReLU):
            plan.append(None)
        else:
            return f"GINConv's nn holds {type(layer).__name__}; its Spark form takes Linear and ReLU layers"
    eps = float(params.eps)
    f = params.nn[0].in_features if isinstance(params.nn, torch.nn.Sequential) else params.nn.in_features
    if _aggr_width(op, mode, f) != f:
        return "GINConv with several aggregations concatenated has no Spark form (x_i and the aggregation differ in width)"
    out_width = next(w for w in reversed(plan) if w is not None)[0]

    def step(nodes):
        x = ops.x(f)
        df = ops.reduce(nodes, x, op)
        h = [ops.arith("+", a, ops.arith("*", 1 + eps, xi)) for a, xi in zip(ops.reduced(f, op, mode), x)]
        for i, w in enumerate(plan):
            if w is None:
                h = [ops.F.when(v > 0, v).otherwise(ops.lit(0.0)) for v in h]
                continue
            df, h = ops.stage(df, h, f"_s{i}_")  # each input once, not copied into every output
            df, h = ops.linear_map(df, w[0], w[1], h, f"_m{i}_")
        return ops.output(df, h)
    return ops.step(step, len(out_width))


def _gcn_step(params, ops, op, mode):
    """The gcn_norm family, each propagation a reduction of ``norm_ji x_j`` over PyG's normalised
    edges (:meth:`Ops.gcn_normalized`; the raw edge weights with ``normalize: false``):

    - GCNConv: ``aggr_j norm_ji (W x)_j + b``;
    - SGConv: ``W (aggr_j norm_ji .)^K x + b``;
    - APPNP: ``h <- (1 - alpha) aggr_j norm_ji h_j + alpha x``, K times.

    A round of SGConv or APPNP propagates K times; each is checkpointed, so the plan stays one
    propagation deep."""
    name = type(params).__name__
    if params.flow != "source_to_target":
        return f"{name} with flow {params.flow} has no Spark form"
    if name == "SGConv" and params.cached:
        return "SGConv with cached (its first round's features reused) has no Spark form"
    if _aggr_width(op, mode, 1) != 1:
        return f"{name} with several aggregations concatenated has no Spark form (the width would change)"
    normalize = getattr(params, "normalize", True)
    loops = bool(params.add_self_loops) and normalize
    fill = 2.0 if getattr(params, "improved", False) else 1.0
    K = getattr(params, "K", 1)
    alpha = float(getattr(params, "alpha", 0.0))
    if name == "GCNConv":
        width = params.out_channels
        first, _ = _weights(params.lin)
        bias = params.bias.tolist() if params.bias is not None else None
    elif name == "SGConv":
        width = params.out_channels
        last, last_bias = _weights(params.lin)
    else:
        width = ops.width

    def propagate(edges, nodes, q):
        """``nodes`` with ``_a..``, and aggr over the in-edges of ``norm_ji q_j`` (0 where there are none)."""
        df = edges.reduce(nodes, q, op, per_edge=lambda values, w: [edges.arith("*", w, v) for v in values])
        return df, ops.reduced(len(q), op, mode)

    def step(nodes):
        edges = ops.gcn_normalized(nodes, self_loops=loops, fill=fill) if normalize else ops
        x = ops.x(ops.width)
        if name == "GCNConv":
            df, q = ops.linear_map(nodes, first, None, x, "_w")
            df, a = propagate(edges, df, q)
            return ops.output(df, [ops.arith("+", v, b) for v, b in zip(a, bias)] if bias is not None else a)
        h = x
        df = nodes
        for k in range(K):  # K propagations, h kept beside the round's input x
            df, a = propagate(edges, df, h)
            if name == "APPNP":
                a = [ops.arith("+", ops.arith("*", 1 - alpha, v), ops.arith("*", alpha, xv)) for v, xv in zip(a, x)]
            if k < K - 1:
                df = ops.checkpoint(df.select("id", *x, *[v.alias(f"_h{j}") for j, v in enumerate(a)]))
                h = ops.x(len(a), "_h")
            else:
                h = a
        if name == "SGConv":
            df, out = ops.linear_map(df, last, last_bias, h, "_w")
            return ops.output(df, out)
        return ops.output(df, h)
    return ops.step(step, width)
