"""One run, any engine: the seam between what computes the rounds and what shows or writes them.

    with open_run("edges.csv", config) as run:          # the local engine, or Spark's (config.engine)
        for r in run.rounds():                           # round 0 (the input), 1, 2, ...
            x = run.array(r)                             # numpy [N, F] in node order (Spark: collected)
            run.write_part(r, "OUT/round=1")             # or the round's Parquet files (Spark: by Spark)
        run.meta()                                       # what ran, where, and why it stopped

A :class:`Run` is what every command and the Python API see: the local engine's
:class:`LocalRun` (a prepared :class:`~gnnprop.engine.session.Session`) and the Spark
engine's ``SparkRun`` implement it, keep their round records the same way
(:class:`~gnnprop.engine.rounds.RoundBook`) and describe themselves with the same
:func:`meta` keys. Nothing here prints or knows about the command line: what a run
has to say while it starts (Spark's start, the graph read) goes to ``on_event``.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

import numpy as np

from ..config.schema import Config
from ..errors import UsageError
from .rounds import RoundBook, RoundPlan

#: What a run says as it goes: ``on_event(kind, **details)`` with kind ``checking`` (an engine that
#: takes a while to start checks what it can first), ``starting`` (it starts), ``reading`` (it started;
#: the graph is being read), ``read`` (the graph: nodes, edges, width, seconds; Spark: max_rounds too),
#: ``round`` (round, seconds, rows, delta) or ``lost`` (Spark: executors lost during round R).
OnEvent = Callable[..., None]


@dataclass(frozen=True)
class Picked:
    """The nodes an output keeps (``--nodes``): their ids and, for the local engine, their rows."""

    ids: list
    rows: list[int] | None = None


class Run(Protocol):
    engine: str            # "local" (the fused or reference kernel; see meta()["engine"]) or "spark"
    config: Config
    plan: RoundPlan
    book: RoundBook
    source: str            # the graph, as named in messages
    num_nodes: int
    num_edges: int
    in_width: int          # the input features' width
    width: int             # the widest row any round has

    @property
    def params(self) -> Any:
        """The layer's parameters (a torch module)."""

    def rounds(self, start: Any = None) -> Iterator[Any]:
        """The rounds as they are computed (objects with ``round``, ``seconds`` and ``delta``); from a
        resumed run's round when ``start`` (from :meth:`read_start`) is given."""

    def node_ids(self) -> list:
        """Every node's id, in node order."""

    def pick(self, tokens: Sequence[str]) -> Picked:
        """The nodes named (ids as text); an unknown id is an :class:`InputError`."""

    def array(self, result: Any, picked: Picked | None = None) -> np.ndarray:
        """A round's values [N, F] in node order (the picked nodes' rows, in the order named)."""

    def write_part(self, result: Any, folder: str, picked: Picked | None = None) -> None:
        """Write a round's rows (``id, x0 ..``) as Parquet files in the new ``folder``."""

    def read_start(self, folder: str, manifest: dict) -> Any:
        """Where a resumed run starts: the last round the folder's ``manifest`` lists as written."""

    def will_collect(self, rounds: int, picked: Picked | None = None) -> None:
        """Refuse, before the first round, an output that would bring too much to this process."""

    def file_system(self, path: str) -> Any:
        """The file system a run folder at ``path`` is written on (:mod:`gnnprop.engine.runfolder`)."""

    def meta(self) -> dict[str, Any]:
        """What ran, where, and why it stopped (:func:`meta`)."""

    @property
    def stopped(self) -> bool:
        """Whether Ctrl-C or SIGTERM came (on Spark the failure it causes is a cancelled job's)."""


def meta(config: Config, book: RoundBook, *, aggr: str, device: str, dtype: str, engine: str, engine_note: str,
         num_nodes: int, num_edges: int, seconds: float, reorder: str = "none",
         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run's description, the same keys for every engine: ``seconds`` is the time spent computing
    the rounds (writing them and starting the engine not counted; Spark adds ``start_seconds`` and
    ``read_seconds``)."""
    out = {
        "layer": config.layer.type,
        "aggr": aggr,
        "rounds_run": book.rounds_run,
        "stop_reason": book.stop_reason,
        "converged": book.converged,
        "device": device,
        "dtype": dtype,
        "engine": engine,
        "engine_note": engine_note,
        "reorder": reorder,
        "seed": config.seed,
        "num_nodes": num_nodes,
        "num_edges": num_edges,
        "seconds": round(seconds, 6),
    }
    out.update(extra or {})
    if "reorder_note" not in out:  # an engine that orders no nodes (Spark) says it did not
        asked = config.reorder not in ("auto", "none")
        out.update(reorder_exact=None, reorder_note=f"{config.reorder} not applied: the {engine} engine keeps the "
                   "file's order" if asked else "")
    return out


class LocalRun:
    """The local engine's run: a prepared :class:`~gnnprop.engine.session.Session`."""

    engine = "local"

    def __init__(self, session):
        self.session = session
        self.config, self.plan = session.config, session.plan
        g = session.graph
        self.source, self.num_nodes, self.num_edges = g.source, g.num_nodes, g.num_edges
        self.in_width, self.width = session.in_dim, session.width

    @property
    def graph(self):
        return self.session.graph

    @property
    def params(self):
        return self.session.params

    @property
    def book(self) -> RoundBook:
        p = self.session.propagation
        return p.book if p is not None else RoundBook(self.plan)

    @property
    def nonfinite_round(self) -> int | None:
        return self.session.nonfinite_round

    def rounds(self, start: Any = None) -> Iterator[Any]:
        return iter(self.session.propagate(start=start))

    def node_ids(self) -> list:
        return self.session.graph.node_ids

    def pick(self, tokens: Sequence[str]) -> Picked:
        g = self.session.graph
        rows = [g.lookup(t) for t in tokens]
        return Picked([g.node_ids[k] for k in rows], rows)

    def array(self, result: Any, picked: Picked | None = None) -> np.ndarray:
        x = result.x if picked is None else result.x[picked.rows]
        return x.detach().to("cpu").numpy()

    def write_part(self, result: Any, folder: str, picked: Picked | None = None) -> None:
        from ..output.parquet import write_round_part

        ids = self.session.graph.node_ids if picked is None else picked.ids
        write_round_part(folder, ids, self.array(result, picked), self.width)

    def will_collect(self, rounds: int, picked: Picked | None = None) -> None:
        pass  # the rounds are here already

    stopped = False  # Ctrl-C and SIGTERM are a KeyboardInterrupt where they come

    def file_system(self, path: str) -> Any:
        from .runfolder import LocalFS

        return LocalFS()

    def read_start(self, folder: str, manifest: dict) -> Any:
        import torch

        from ..output.parquet import read_round_array
        from .loop import Start

        r = max(manifest["written"]["rounds"])
        width = self.in_width if r == 0 else self.session.out_dim
        x = read_round_array(folder, r, self.session.graph.node_ids, width, self.session.numpy_dtype)
        s = self.session
        return Start(r, torch.from_numpy(x).to(device=s.device, dtype=s.dtype), list(manifest.get("deltas") or []),
                     manifest.get("nonfinite_round"))

    def meta(self) -> dict[str, Any]:
        return self.session.meta()


@contextlib.contextmanager
def open_run(graph: Any, config: Config, *, input_format: str | None = None, node_features: str | None = None,
             weights: str | None = None, allow_nonfinite: bool = False, on_event: OnEvent | None = None,
             loaded: Callable | None = None, debug: bool = False, verbose: bool = False) -> Iterator[Run]:
    """Read ``graph`` and prepare the run ``config`` asks for, on its engine (``config.engine``:
    ``spark`` for the Spark engine, anything else the local one), for as long as the block runs.

    The Spark engine starts (or joins) a Spark session first, and within the block Ctrl-C and
    SIGTERM cancel Spark's jobs instead of breaking a call into the JVM; ``graph`` must then be a
    path Spark can read. ``loaded`` sees a local graph as loaded (for the loader's notes)."""
    say = on_event or (lambda kind, **details: None)
    if config.engine != "spark":
        from .session import open_session

        t0 = time.perf_counter()
        session = open_session(graph, config, input_format=input_format, node_features=node_features,
                               weights=weights, allow_nonfinite=allow_nonfinite, loaded=loaded)
        g = session.graph
        say("read", nodes=g.num_nodes, edges=g.num_edges, width=session.in_dim, seconds=time.perf_counter() - t0)
        yield LocalRun(session)
        return
    from .spark import open_spark_run

    if not isinstance(graph, str):
        raise UsageError("the spark engine reads graph files (a path Spark can reach), not a loaded graph",
                         key="engine")
    with open_spark_run(graph, config, input_format=input_format, node_features=node_features, weights=weights,
                        allow_nonfinite=allow_nonfinite, on_event=say, debug=debug, verbose=verbose) as run:
        yield run


def rounds_to_write(results: Iterable, last: bool, every: int) -> Iterator:
    """The rounds a run writes, as they come: every ``every``-th (none with ``last``), and always
    the final one (which the run knows to be final only when it has stopped). The one rule for
    every output and engine."""
    pending = None
    for result in results:
        if not last and result.round % every == 0:
            pending = None
            yield result
        else:
            pending = result
    if pending is not None:
        yield pending
