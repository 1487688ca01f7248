"""PyG's layers on blocks of nodes (the Spark engine's vectorised rounds; see :mod:`.blocks`).

- SAGEConv, GraphConv, GINConv are local to a node and its in-edges: :class:`~.blocks.Local`.
- The gcn_norm family normalises by the degrees of both ends of an edge, which a block does
  not see for its ghosts: the engine computes PyG's normalised edges once (self loops as
  PyG's ``edge_index`` path keeps them) and :class:`Propagations` runs each round as PyG's
  ``forward`` does, one ``propagate`` (the class's own message and aggregation) per stage:

  - GCNConv: ``propagate(lin(x)) + bias`` (one stage);
  - SGConv: ``lin(propagate^K(x))`` (K stages);
  - APPNP: ``h <- propagate(h) * (1 - alpha) + alpha * x``, K times (K stages).
"""

from __future__ import annotations

import torch

from .blocks import Block, Local

LOCAL = {"SAGEConv", "GraphConv", "GINConv"}
PROPAGATIONS = {"GCNConv", "SGConv", "APPNP"}


class Propagations:
    """GCNConv, SGConv and APPNP as ``stages`` propagations over edges normalised once."""

    def __init__(self, params: torch.nn.Module):
        self.params = params
        self.name = type(params).__name__
        self.stages = int(getattr(params, "K", 1)) if self.name != "GCNConv" else 1
        normalize = bool(getattr(params, "normalize", True))
        loops = bool(params.add_self_loops) and normalize
        fill = 2.0 if getattr(params, "improved", False) else 1.0
        self.normalise = (loops, fill) if normalize else None

    def _propagate(self, h: torch.Tensor, block: Block) -> torch.Tensor:
        g = block.device_graph()
        return self.params.propagate(g.edge_index, x=h, edge_weight=g.edge_weight)[:block.n]

    def stage(self, k: int, inp: torch.Tensor, x: torch.Tensor, block: Block) -> torch.Tensor:
        p = self.params
        if self.name == "GCNConv":
            out = self._propagate(p.lin(inp), block)
            return out + p.bias if p.bias is not None else out
        h = self._propagate(inp, block)
        if self.name == "APPNP":
            return h * (1 - p.alpha) + p.alpha * x
        return p.lin(h) if k == self.stages - 1 else h


def form(kind, params: torch.nn.Module):
    """A PyG layer's block form, or why it has none."""
    name = type(params).__name__
    if name in LOCAL:
        return Local(kind, params)
    if name in PROPAGATIONS:
        return Propagations(params)
    return f"{name} has no block form"
