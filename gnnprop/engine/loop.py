"""Round-by-round propagation, with the per-round computation behind a kernel.

A :class:`Kernel` computes one round ``x -> layer(x)`` on a prepared graph:
:class:`ReferenceKernel` calls the layer's PyG form (``propagate``), so it is
PyG by construction; :class:`FusedKernel` runs the layer kind's fused lowering
on a CSR adjacency built once. :class:`Propagation` drives the rounds, checks
every round for non-finite values, measures convergence, and records why it
stopped.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

import torch

from .csr import build_adjacency
from ..graph import DeviceGraph
from ..layers.base import Caller, Fused
from .rounds import RoundBook, RoundPlan


#: Below this many nodes + edges a round runs on one thread: starting torch's thread pool costs
#: more than the work (a 4-node round: 2 us on one thread, 0.26 ms on two, far more under load).
SMALL_GRAPH = 50_000


@contextlib.contextmanager
def threads_for(size: int) -> Iterator[None]:
    """One intra-op thread for a small graph (restored afterwards), torch's setting otherwise."""
    before = torch.get_num_threads()
    if size >= SMALL_GRAPH or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Kernel(Protocol):
    name: str

    def prepare(self, graph: DeviceGraph) -> Any:
        """Build whatever the kernel reuses every round (once per run)."""

    def step(self, x: torch.Tensor, graph: DeviceGraph, state: Any) -> torch.Tensor:
        """One round: the layer's output for input ``x`` ([N, F] -> [N, O])."""


class ReferenceKernel:
    """PyG's generic path: the layer's own ``forward`` (``propagate``) on ``edge_index``."""

    name = "reference"

    def __init__(self, caller: Caller):
        self.caller = caller

    def prepare(self, graph: DeviceGraph) -> None:
        return None

    def step(self, x: torch.Tensor, graph: DeviceGraph, state: Any) -> torch.Tensor:
        return self.caller(x, graph)


class FusedKernel:
    """A kind's fused lowering; the adjacency is built once, in ``prepare``."""

    name = "fused"

    def __init__(self, fused: Fused, dtype: torch.dtype):
        self.fused, self.dtype = fused, dtype
        self.order: torch.Tensor | None = None  # a node order for the reductions (engine.reorder)
        self.watch: Callable[[torch.Tensor], None] | None = None  # sees each round's aggr_out (inspect)

    @property
    def reorders_exactly(self) -> bool:
        """Whether a node order can run inside the reductions (bit for bit the same rounds)."""
        return self.fused.reductions_only

    def prepare(self, graph: DeviceGraph):
        return build_adjacency(graph, self.dtype, compact=self.fused.compact, order=self.order)

    def step(self, x: torch.Tensor, graph: DeviceGraph, state: Any) -> torch.Tensor:
        f = self.fused
        if self.watch is None or f.aggregate is None:
            return f.step(x, state)
        # a watched round (inspect): the step's two halves, the aggregation shown to ``watch`` in between
        aggr = f.aggregate(x, state)
        self.watch(aggr)
        return f.step(x, state) if f.composed else f.update(aggr, x)


@dataclass
class RoundResult:
    round: int                 # 0 = the input
    x: torch.Tensor            # [N, F] after this round
    delta: float | None = None  # max |x_r - x_(r-1)|: measured in converge mode only
    seconds: float = 0.0       # to compute and check this round


@dataclass
class Start:
    """Where a resumed run starts: round ``round``'s values (as a finished run wrote them) and the
    record of the rounds before it."""

    round: int
    x: torch.Tensor
    deltas: list[float]
    nonfinite_round: int | None = None


class Propagation:
    """Iterate over the rounds: round 0 (the input), then 1, 2, ... (from ``start``, a resumed run's
    round, when given: that round first, then the ones after it).

    The run's record is a :class:`~gnnprop.engine.rounds.RoundBook`, kept as every engine keeps it:
    after iteration, ``rounds_run``, ``stop_reason`` and ``converged`` say what happened; in converge
    mode ``deltas`` holds the largest change of every round (other modes skip that measurement: it is
    two more passes over [N, F] a round); ``nonfinite_round`` is the first round with an inf or nan
    (when allowed).
    """

    def __init__(self, graph: DeviceGraph, x0: torch.Tensor, plan: RoundPlan, kernel: Kernel,
                 node_ids: list | None = None, allow_nonfinite: bool = False, start: Start | None = None):
        self.graph, self.x0, self.plan, self.kernel = graph, x0, plan, kernel
        self.node_ids = node_ids
        self.book = RoundBook(plan, allow_nonfinite)
        self.start = start
        self.seconds = 0.0  # spent computing rounds (not what the consumer does between them)
        if start is not None:
            self.book.resume(start.round, start.deltas, start.nonfinite_round)

    rounds_run = property(lambda self: self.book.rounds_run)
    converged = property(lambda self: self.book.converged)
    deltas = property(lambda self: self.book.deltas)
    nonfinite_round = property(lambda self: self.book.nonfinite_round)
    stop_reason = property(lambda self: self.book.stop_reason)

    def __iter__(self) -> Iterator[RoundResult]:
        plan, book = self.plan, self.book
        size = self.graph.num_nodes + int(self.graph.edge_index.shape[1])
        first, x = (0, self.x0) if self.start is None else (self.start.round, self.start.x)
        with torch.inference_mode(), threads_for(size):
            state = self.kernel.prepare(self.graph)
            yield RoundResult(first, x)
            for r in range(first + 1, plan.max_rounds + 1):
                t0 = time.perf_counter()
                new = self.kernel.step(x, self.graph, state)
                self._check_finite(new, r)
                delta = None
                if book.measures_change(new.shape == x.shape):
                    delta = float((new - x).abs().max()) if new.numel() else 0.0
                stop = book.done(r, delta)
                took = time.perf_counter() - t0
                self.seconds += took
                yield RoundResult(r, new, delta, took)
                x = new
                if stop:
                    return
        book.finish()

    def _check_finite(self, x: torch.Tensor, r: int) -> None:
        finite = torch.isfinite(x)
        if bool(finite.all()):
            return
        bad = (~finite).any(dim=1).nonzero()[0, 0].item()
        col = (~finite[bad]).nonzero()[0, 0].item()
        node = self.node_ids[bad] if self.node_ids is not None else bad
        self.book.nonfinite(r, node, col, float(x[bad, col]), str(x.dtype).replace("torch.", ""))
