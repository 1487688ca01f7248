"""What each vector a message received is, where it is not the round's own input.

A PyG layer's ``forward`` often transforms the features before it calls ``propagate``: GCNConv
passes ``lin(x)``, so the ``x_j`` its ``message`` receives is ``W x_j``, not the node's features;
its ``edge_weight`` is the normalised one. :func:`labels` finds every such input by comparing what
``propagate`` received with what the layer was called with, and says what it is: in a few words for
the classes known here (:data:`KNOWN`), as "what CLASS.forward passed to propagate" otherwise.
"""

from __future__ import annotations

from typing import Any

import torch

#: class -> input name -> what it is.
KNOWN: dict[str, dict[str, str]] = {
    "GCNConv": {"x_j": "x_j after lin (W x_j)",
                "edge_weight": "the normalised weight e_ji / sqrt(d_j d_i) (gcn_norm: self loops added, "
                               "d = 1 + weighted in-degree)"},
    "GATConv": {"x_j": "x_j after lin (W x_j), per head", "alpha": "the edge's attention weight (a softmax over "
                "the node's in-edges), per head"},
    "GATv2Conv": {"x_j": "x_j after lin_l (W_l x_j), per head", "x_i": "x_i after lin_r (W_r x_i), per head"},
    "SGConv": {"x_j": "x_j as propagated so far this round (SGConv propagates K times, then applies lin)",
               "edge_weight": "the normalised weight e_ji / sqrt(d_j d_i) (gcn_norm: self loops added)"},
    "APPNP": {"x_j": "x_j as propagated so far this round (APPNP propagates K times)",
              "edge_weight": "the normalised weight e_ji / sqrt(d_j d_i) (gcn_norm: self loops added)"},
    "FixedLayer": {"edge_weight": "1 for every edge (the graph has no edge weights)"},
}
#: inputs that are never the round's own values, whatever the class.
ALWAYS = {"alpha": "the edge's attention weight", "index": "the receiving node's position, per edge",
          "ptr": "PyG's pointer into the sorted edges"}


def labels(layer: torch.nn.Module, inputs: dict[str, Any], propagated: dict[str, Any],
           called: dict[str, Any]) -> dict[str, str]:
    """``{input name: what it is}`` for the message ``inputs`` that are not the round's own values.

    ``propagated`` is what ``propagate`` received (``x``, ``edge_weight``, ``edge_attr``, ...),
    ``called`` what the layer's ``forward`` was called with."""
    cls = type(layer).__name__
    known = KNOWN.get(cls, {})
    out: dict[str, str] = {}
    for name in inputs:
        base = name[:-2] if name.endswith(("_i", "_j")) else name
        if base == "x":
            side = 0 if name.endswith("_j") else 1
            given = propagated.get("x")
            given = given[side] if isinstance(given, tuple) else given
            if _same(given, called.get("x")):
                continue
        elif base in ("edge_weight", "edge_attr"):
            if _same(propagated.get(base), called.get(base)) and called.get(base) is not None:
                continue
        elif name in ALWAYS or name in known:
            pass
        else:
            continue
        out[name] = known.get(name) or ALWAYS.get(name) or f"{name} as {cls}.forward passed it to propagate " \
                                                            "(not the round's input)"
    return out


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return a is not None
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor) or a.shape != b.shape:
        return False
    return bool(torch.equal(a, b))


__all__ = ["KNOWN", "labels"]
