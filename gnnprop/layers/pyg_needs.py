"""What gnnprop gives a PyG convolution, and what it needs beyond that, said in config keys.

gnnprop builds a PyG class from the config's keyword arguments (:func:`gnnprop.layers.pyg.build`)
and fills in what the graph determines (:func:`filled`): the input and output widths, the edge
attributes' width under whatever name the class gives it (``edge_dim``, CGConv's ``dim``,
GeneralConv's ``in_edge_channels``), a hidden width, the small MLPs of GIN, GINE, EdgeConv and
NNConv (:func:`module`). Whatever else a class needs is asked for here, *before* it is built, so
that a class that cannot run says so in one line of gnnprop's own words instead of failing
inside PyG:

- :func:`cannot_run`: classes that no config can make run on gnnprop's graphs (they take
  node positions, a heterogeneous graph, a graph of their own making, another package);
- :func:`missing_inputs`: what the graph must carry (edge attributes);
- :func:`missing_args`: constructor arguments without a default, as ``layer.NAME``.

:func:`gnnprop.layers.pyg.status` puts them together for ``gnnprop layers``.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any, Mapping

import torch

#: What gnnprop passes to a layer's ``forward`` (by name; see :func:`gnnprop.layers.base.make_caller`).
PASSED = ("x", "edge_index", "edge_weight", "edge_attr", "num_iterations")

#: ``forward`` inputs gnnprop does not pass, in words.
INPUTS = {
    "pos": "node positions (pos)",
    "normal": "normal vectors (normal)",
    "x_0": "the initial features x_0 beside x",
    "node_type": "a type per node (node_type)",
    "edge_type": "a type per edge (edge_type)",
    "x_dict": "a heterogeneous graph (x_dict, edge_index_dict)",
    "pos_edge_index": "positive and negative edge lists (pos_edge_index, neg_edge_index)",
    "csr": "the dgNN package's CSR and CSC structures (csr, csc, perm)",
}

#: Classes whose ``forward`` would accept gnnprop's call but that still cannot run on its graphs.
CANNOT_RUN = {
    "DNAConv": "it reads the outputs of every earlier layer stacked as x [N, layers, channels], "
               "which rounds of one layer do not make",
    "MeshCNNConv": "it computes on a triangle mesh's edges, each with exactly 4 neighbouring edges in "
                   "MeshCNN's order, which a graph file does not describe",
    "FusedGATConv": "it takes the dgNN package's CSR and CSC structures; layer type gat computes the same",
}

#: ``forward`` inputs a class accepts as optional but cannot run without.
NEEDED_INPUTS = {
    "RGCNConv": "edge_type", "FastRGCNConv": "edge_type", "RGATConv": "edge_type",
    "GINEConv": "edge_attr", "NNConv": "edge_attr", "GMMConv": "edge_attr", "SplineConv": "edge_attr",
    "PDNConv": "edge_attr",
}

#: Packages a class imports when it is built or run (import name -> what pip installs).
PACKAGES = {
    "SplineConv": ("torch_spline_conv", "torch-spline-conv"),
    "PANConv": ("torch_sparse", "torch-sparse"),
}

#: Constructor arguments that hold the width of the edge attributes, by class (``edge_dim`` for all).
EDGE_WIDTH = {"CGConv": "dim", "GMMConv": "dim", "SplineConv": "dim", "GeneralConv": "in_edge_channels"}
#: Defaults that let a layer run from a plain YAML file.
DEFAULTS: dict[str, dict[str, Any]] = {"ChebConv": {"K": 2}, "APPNP": {"K": 10, "alpha": 0.1}}
#: Arguments that are torch modules: gnnprop builds them (:func:`module`); they cannot come from YAML.
MODULE_ARGS = {"GINConv": "nn", "GINEConv": "nn", "EdgeConv": "nn", "NNConv": "nn"}
#: Arguments that are tensors, given in YAML as lists of integers.
TENSOR_ARGS = {"PNAConv": ("deg",)}
#: Constructor arguments gnnprop fills in from the graph and the config (``layers`` lists the rest).
FILLED = ("in_channels", "out_channels", "channels", "hidden_channels", "edge_dim", *EDGE_WIDTH.values())


def forward_inputs(cls: type) -> tuple[list[str], list[str]]:
    """``forward``'s parameters (after ``self``) and which of them have no default."""
    params = [p for n, p in inspect.signature(cls.forward).parameters.items() if n != "self"
              and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return [p.name for p in params], [p.name for p in params if p.default is inspect.Parameter.empty]


def cannot_run(cls_name: str, cls: type) -> str | None:
    """Why no config makes ``cls`` run on gnnprop's graphs, or ``None``."""
    if cls_name in CANNOT_RUN:
        return CANNOT_RUN[cls_name]
    names, required = forward_inputs(cls)
    if "edge_index" not in names and "hyperedge_index" not in names:
        if names[1:2] == ["batch"]:
            return ("it builds a graph of its own, each node linked to its k nearest neighbours in feature "
                    "space (its forward takes no edge list)")
        first = next((n for n in names if n in INPUTS), None)
        return f"its forward takes {INPUTS.get(first, ', '.join(names))} instead of an edge list"
    unknown = [n for n in required if n not in PASSED and n != "hyperedge_index"]
    if unknown:
        words = [INPUTS.get(n, n) for n in unknown]
        return f"its forward needs {' and '.join(words)}, which gnnprop does not pass"
    if cls_name in PACKAGES and importlib.util.find_spec(PACKAGES[cls_name][0]) is None:
        return f"it needs the {PACKAGES[cls_name][1]} package, which is not installed"
    needed = NEEDED_INPUTS.get(cls_name)
    if needed is not None and needed != "edge_attr":
        return f"it needs {INPUTS[needed]}, which gnnprop does not pass"
    return None


def missing_inputs(cls_name: str, has_edge_attr: bool | None) -> str | None:
    """What the graph must carry for ``cls_name`` and does not (``has_edge_attr`` ``None``: unknown,
    say what is needed in any case)."""
    if NEEDED_INPUTS.get(cls_name) == "edge_attr" and not has_edge_attr:
        return "edge attributes (edge_attr in the graph file)"
    return None


def missing_args(params: Mapping[str, inspect.Parameter], given: Mapping[str, Any]) -> list[str]:
    """Constructor arguments without a default that are not in ``given``."""
    return [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in given]


def filled(cls_name: str, params: Mapping[str, inspect.Parameter], in_dim: int, out_dim: int | None,
            hidden_dim: int | None, edge_dim: int | None, args: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments: gnnprop's defaults, the config's ``args``, and what the graph determines
    (widths, the edge attributes' width under the class's own name, the modules gnnprop builds)."""
    kwargs: dict[str, Any] = dict(DEFAULTS.get(cls_name, {}))
    kwargs.update(args)
    for name in TENSOR_ARGS.get(cls_name, ()):
        if isinstance(kwargs.get(name), list):
            kwargs[name] = torch.tensor(kwargs[name], dtype=torch.long)
    width = out_dim or in_dim
    if cls_name == "MixHopConv" and out_dim is None and "out_channels" not in args:
        powers = len(kwargs.get("powers") or [0, 1, 2])  # its output is one block per power
        width = in_dim // powers if powers and in_dim % powers == 0 else width
    if cls_name == "EGConv" and "num_heads" not in kwargs:  # out_channels must be a multiple of num_heads
        kwargs["num_heads"] = max(h for h in range(1, 9) if width % h == 0)
    fill = {"in_channels": in_dim, "out_channels": width, "channels": in_dim, "hidden_channels": hidden_dim or in_dim}
    for name, value in fill.items():
        if name in params:
            kwargs.setdefault(name, value)
    if edge_dim is not None:
        for name in ("edge_dim", EDGE_WIDTH.get(cls_name)):
            if name in params:
                kwargs.setdefault(name, edge_dim)
    if cls_name in MODULE_ARGS:
        kwargs[MODULE_ARGS[cls_name]] = module(cls_name, in_dim, width, edge_dim)
    return kwargs


def module(cls_name: str, in_dim: int, width: int, edge_dim: int | None) -> torch.nn.Module:
    """The torch module gnnprop builds for ``cls_name`` (see :func:`module_words`)."""
    lin = torch.nn.Linear
    if cls_name == "NNConv":  # edge attributes -> an in x out weight matrix per edge
        return lin(edge_dim or 1, in_dim * width)
    first = 2 * in_dim if cls_name == "EdgeConv" else in_dim
    return torch.nn.Sequential(lin(first, width), torch.nn.ReLU(), lin(width, width))


def module_words(cls_name: str) -> str:
    if cls_name == "NNConv":
        return "Linear(edge attributes' width, F x out)"
    first = "2F" if cls_name == "EdgeConv" else "F"
    return f"Linear({first}, out) -> ReLU -> Linear(out, out)"


def keys(names: list[str]) -> str:
    """``layer.a``, ``layer.a and layer.b``, ``layer.a, layer.b and layer.c``."""
    named = [f"layer.{n}" for n in names]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


__all__ = ["CANNOT_RUN", "DEFAULTS", "EDGE_WIDTH", "FILLED", "INPUTS", "MODULE_ARGS", "NEEDED_INPUTS", "PACKAGES",
           "PASSED", "TENSOR_ARGS", "cannot_run", "filled", "forward_inputs", "keys", "missing_args", "missing_inputs",
           "module", "module_words"]
