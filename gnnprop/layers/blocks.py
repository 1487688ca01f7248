"""A layer kind's round on one block of nodes: what the Spark engine's vectorised rounds run in its executors.

The Spark engine holds the nodes in blocks. A block computes its own nodes' new rows from
its own rows and the rows of their in-neighbours that live in other blocks ("ghost" rows,
appended after its own), over its nodes' in-edges numbered on those rows. A kind says how
with ``kind.spark_blocks(params)``, which gives a form (or why there is none):

- :class:`Local`: a node's new value depends only on its own row and its in-edges (fixed,
  nn, residual, PyG's SAGEConv, GraphConv, GINConv): one exchange of rows a round, then the
  kind's local round on the block's subgraph, its fused form where it has one, else its PyG
  form; the numbers of the local engine by construction (rows of nodes outside the block
  are computed too, and dropped);
- a form with ``stages`` propagations a round over edges the engine normalises once
  (``normalise``: PyG's ``gcn_norm`` with self loops and their fill value), each after an
  exchange of rows: GCNConv, SGConv, APPNP (:mod:`.pyg_blocks`).

A form has ``stages`` (exchanges a round), ``normalise`` (``None``, or ``(self_loops, fill)``)
and ``stage(k, inp, x, block) -> rows``: ``inp`` the block's rows to propagate at stage ``k``
(its own, then the ghosts'), ``x`` its own nodes' rows at the start of the round, ``block``
the :class:`Block` (its graph); the result is the block's own ``n`` rows after stage ``k``.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from ..engine.csr import Adjacency
from ..graph import DeviceGraph
from .base import Fused


class Block(Protocol):
    n: int  # the block's own nodes: rows 0..n-1 of every input

    def device_graph(self) -> DeviceGraph:
        """The block's in-edges on its rows (own, then ghosts), with their weights in the run's dtype."""

    def adjacency(self, compact: bool) -> Adjacency:
        """The same graph as a CSR by target (:func:`gnnprop.csr.build_adjacency`)."""


class Local:
    """A kind whose round is local to a node and its in-edges: the kind's local round on the block."""

    stages = 1
    normalise = None

    def __init__(self, kind: Any, params: torch.nn.Module):
        self.kind, self.params = kind, params
        self._fused: Fused | str | None = None
        self._caller = None

    def stage(self, k: int, inp: torch.Tensor, x: torch.Tensor, block: Block) -> torch.Tensor:
        if self._fused is None:  # what the local engine chooses (engine auto): decided by the kind, once
            self._fused = self.kind.fused(self.params, block.device_graph())
        if isinstance(self._fused, Fused):
            out = self._fused.step(inp, block.adjacency(self._fused.compact))
        else:
            if self._caller is None:
                self._caller = self.kind.caller(self.kind.reference(self.params))
            out = self._caller(inp, block.device_graph())
        return out[:block.n]
