"""Opening a Spark run: the cheap checks, the session, the graph read, Ctrl-C handled as Spark needs.

:func:`open_spark_run` is the Spark engine's side of :func:`gnnprop.engine.run.open_run`:
what can be refused without Spark (the layer and aggregation, the input format, local
files that are not there) is refused before the JVM starts; then the session starts (or
is joined), and for as long as the run is open Ctrl-C and SIGTERM cancel Spark's jobs
(:class:`~.session.Interruptible`) instead of breaking a call into the JVM.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, Callable, Iterator

from ...errors import GnnpropError, InputError


def _local_file_missing(path: str | None) -> str | None:
    """``path`` when it names a local file or folder that is not there (a URL is Spark's to find)."""
    if path is None or "://" in path or path.startswith("file:"):
        return None
    return None if os.path.exists(path) else path


@contextlib.contextmanager
def open_spark_run(graph: str, config, *, input_format: str | None, node_features: str | None,
                   weights: str | None, allow_nonfinite: bool, on_event: Callable[..., None], debug: bool = False,
                   verbose: bool = False) -> Iterator[Any]:
    on_event("checking")  # before the imports: torch's and pyspark's take seconds
    from . import check_supported
    from .inputs import detect_format
    from .run import prepare_spark
    from .session import Interruptible, start

    check_supported(config)
    detect_format(graph, input_format)
    for path in (graph, node_features):
        missing = _local_file_missing(path)
        if missing:
            raise InputError(f"{missing}: no such file")
    on_event("starting", master=config.spark.master)
    t0 = time.perf_counter()
    spark = start(config.spark, debug=debug, verbose=verbose)
    started = time.perf_counter() - t0
    on_event("reading", path=graph, start_seconds=started)
    # Spark resolves a relative path against its JVM's folder, which need not be this process's (a session
    # joined, a cluster): it is given absolute paths, and messages name the files as the user did
    given = {_absolute(p): p for p in (graph, node_features) if p is not None and _absolute(p) != p}
    with Interruptible(spark) as stop:
        try:
            run = prepare_spark(spark, _absolute(graph), config, input_format=input_format,
                                node_features=None if node_features is None else _absolute(node_features),
                                weights=weights, allow_nonfinite=allow_nonfinite)
        except GnnpropError as e:
            raise _named_as_given(e, given) from None
        run.graph.source = graph
        run.start_seconds, run.stop, run.on_event = started, stop, _watching_executors(spark, on_event)
        g = run.graph
        on_event("read", nodes=g.num_nodes, edges=g.num_edges, width=g.width, seconds=run.load_seconds,
                 master=spark.sparkContext.master, start_seconds=started, plan=run.plan.explanation,
                 max_rounds=run.plan.max_rounds)
        yield run


def _executors(spark) -> set[str]:
    """The executors the session has now (``host:port``; the driver too), empty where Spark does not say."""
    from .session import executor_infos

    return {f"{e.host()}:{e.port()}" for e in executor_infos(spark.sparkContext)}


def _watching_executors(spark, on_event: Callable[..., None]) -> Callable[..., None]:
    """``on_event`` that, before each round's event, says which executors were lost since the last one
    (``on_event("lost", round=R, executors=[...])``): Spark runs their tasks again on the others, so
    the run goes on, and the user should know why the round took longer."""
    known = _executors(spark)

    def said(kind: str, **d: Any) -> None:
        nonlocal known
        if kind == "round":
            now = _executors(spark)
            lost = sorted(known - now)
            if lost:
                on_event("lost", round=d["round"], executors=lost)
            known = now
        on_event(kind, **d)
    return said


def _absolute(path: str) -> str:
    """A local path made absolute (a URL, ``file:`` included, is left as it is)."""
    return path if "://" in path or path.startswith("file:") else os.path.abspath(path)


def _named_as_given(e: GnnpropError, given: dict[str, str]) -> GnnpropError:
    """``e`` with the absolute paths Spark was given written as the user gave them."""
    for absolute, shown in sorted(given.items(), key=lambda kv: -len(kv[0])):
        e.message = e.message.replace(absolute, shown)
    e.args = (e.render(),)
    return e
