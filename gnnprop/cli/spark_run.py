"""``gnnprop run --engine spark``: the run on Spark, its progress lines and its output.

Output: a folder of Parquet rounds (``-o OUT/``, ``-f parquet``), or rounds
collected to the driver and written by the same writers as the local engine
(json, ndjson, csv, npy, tables), below ``spark.collect_limit`` values.
"""

from __future__ import annotations

import os
import time

from ..errors import UsageError
from .env import Env
from .outputs import command_inputs, plan_outputs, weights_target
from .sinks import folder_target, open_output, output_target, write_bytes

#: Output file extensions that name a collected format; any other ``--output`` is a Parquet folder.
FILE_FORMATS = {"json": "json", "ndjson": "ndjson", "jsonl": "ndjson", "csv": "csv", "npy": "npy", "txt": "table"}


def output_format(fmt: str | None, output: str | None, env: Env, choose) -> str:
    """``parquet`` for a folder of rounds, else the collected format ``run`` would choose."""
    if fmt == "parquet":
        if output is None:
            raise UsageError("--format parquet writes a folder of rounds; name it with --output OUT/")
        return fmt
    if fmt is None and output is not None:
        ext = os.path.splitext(output.rstrip("/"))[1].lower().lstrip(".")
        if output.endswith("/") or ext not in FILE_FORMATS:
            return "parquet"
    return choose(fmt, output, env)


def run_spark(env: Env, cfg, graph: str, *, input_format, node_features, weights, save_weights, fmt, output,
              last, every, nodes, precision, max_rows, max_cols, no_color, allow_nonfinite, debug: bool = False,
              config_file: str | None = None) -> None:
    from ..engine.spark import check_supported
    from ..engine.spark.inputs import detect_format
    from ..engine.spark.output import ParquetRounds
    from ..engine.spark.run import prepare_spark
    from ..engine.spark.session import Interruptible, start
    from ..weights import encode_weights
    from .run_cmd import _choose_format, _summary_fields

    check_supported(cfg)  # before Spark starts
    detect_format(graph, input_format)
    fmt = output_format(fmt, output, env, _choose_format)
    if fmt != "parquet":
        out_t = output_target("-" if output is None else output)
    elif "://" not in output:  # a local folder: checked as run's are (no input inside; a link written through)
        out_t = folder_target(output)
    else:
        out_t = None
    weights_t = None if save_weights is None else weights_target(save_weights)
    plan_outputs(command_inputs(graph, node_features=node_features, config=config_file, weights=weights,
                                layer_type=cfg.layer.type), [out_t, weights_t])
    err = env.err
    t0 = time.perf_counter()
    spark = start(cfg.spark, debug=debug)
    session_s = time.perf_counter() - t0
    # Ctrl-C / SIGTERM from here on cancel Spark's jobs rather than break the call in flight; the run's
    # cleanup (the folder it made) then runs with no job left to write into it
    with Interruptible(spark) as stop:
        sink = None
        if fmt == "parquet":
            sink = ParquetRounds(spark, out_t.real if out_t is not None else output)
            sink.begin()  # an existing folder is refused before anything is read
        run = prepare_spark(spark, graph, cfg, input_format=input_format, node_features=node_features, weights=weights,
                            allow_nonfinite=allow_nonfinite)
        g = run.graph
        err.write(f"gnnprop: spark: {spark.sparkContext.master}: {g.num_nodes:,} nodes, {g.num_edges:,} edges, "
                  f"{g.width} feature{'s' if g.width != 1 else ''} read in {run.load_seconds:.1f} s "
                  f"(session {session_s:.1f} s); "
                  f"{run.plan.explanation}\n")
        if g.num_edges == 0:
            err.write(f"gnnprop: warning: {g.source} has no edges: nothing propagates (every node aggregates to 0)\n")
        weights_data = None if weights_t is None else encode_weights(run.params)
        picked = _pick(nodes, g.integer_ids)
        if sink is not None:
            _write_rounds(run, sink, picked, last, every, err, stop)
            if weights_t is not None:  # only once the run succeeded
                write_bytes(weights_t, weights_data)
            err.write(f"gnnprop: spark: wrote {output}: {'; '.join(_summary_fields(run.meta()))}\n")
            return
        _collect_rounds(env, run, cfg, fmt, out_t, output, picked, last, every, precision, max_rows, max_cols, no_color,
                        stop)
        if weights_t is not None:  # only once the run succeeded
            write_bytes(weights_t, weights_data)
        if run.nonfinite_round is not None:
            err.write(f"gnnprop: warning: values became inf or nan from round {run.nonfinite_round}\n")


def _write_rounds(run, sink, picked, last: bool, every: int, err, stop) -> None:
    """The kept rounds as Parquet parts, never collected; the folder is removed if the run fails."""
    from .run_cmd import rounds_to_write

    try:
        for result in rounds_to_write(_reported(run.propagate(), err, stop), last, every):
            df = result.df if picked is None else result.df.where(result.df.id.isin(picked))
            sink.round(result.round, df)
        sink.finish(run.meta())
    except BaseException:
        sink.abort()
        raise


def _collect_rounds(env: Env, run, cfg, fmt: str, out_t, output, picked, last: bool, every: int, precision,
                    max_rows, max_cols, no_color, stop) -> None:
    """The kept rounds collected to the driver (within ``spark.collect_limit``) and written as the local
    engine writes them."""
    from ..engine.spark.output import Collector, check_collect
    from ..output import make_writer
    from .run_cmd import _TableView, _summary_fields, rounds_to_write

    g = run.graph
    top = run.plan.max_rounds
    kept = 1 if last else len({r for r in range(0, top + 1, every)} | {top})
    ids = run.order()
    if picked is not None:
        missing = [p for p in picked if p not in set(ids)]
        if missing:
            raise UsageError(f"--nodes: node {missing[0]!r} is not in the graph")
        rows = [ids.index(p) for p in picked]
    else:
        rows = None
    check_collect(len(ids) if rows is None else len(rows), run.width, kept, cfg.spark.collect_limit)
    collector = Collector(ids)
    dtype = "float32" if cfg.dtype == "float32" else "float64"
    shown = ids if rows is None else [ids[k] for k in rows]
    with open_output(out_t, fmt == "npy", stream=fmt == "ndjson") as stream:
        if fmt in ("table", "text"):
            console = env.console(stream, tty=env.out_is_tty() and output is None and fmt == "table",
                                  no_color=no_color)
            view = _TableView(env, console, shown, rows, fmt == "table", precision, max_rows, max_cols)
            emit = view.emit
        else:
            writer = make_writer(fmt, stream)
            writer.begin(shown, run.width)
            emit = writer.round
        for result in rounds_to_write(_reported(run.propagate(), env.err, stop), last, every):
            x = collector.numpy(result.df, run.step.width if result.round else g.width, dtype)
            emit(result.round, x if rows is None else x[rows])
        meta = run.meta()
        if fmt in ("table", "text"):
            view.summary(_summary_fields(meta))
        else:
            writer.end(meta)


def _reported(results, err, stop):
    for result in results:
        stop.check()  # Ctrl-C between two jobs: at the latest here, once a round
        _progress(err, result)
        yield result


def _progress(err, result) -> None:
    if result.round == 0:
        return
    delta = f", max change {result.delta:.3g}" if result.delta is not None else ""
    err.write(f"gnnprop: spark: round {result.round}: {result.seconds:.2f} s, {result.rows:,} rows{delta}\n")
    err.flush()


def _pick(nodes: str | None, integer_ids: bool) -> list | None:
    if not nodes:
        return None
    tokens = [n.strip() for n in nodes.split(",") if n.strip()]
    if not integer_ids:
        return tokens
    try:
        return [int(t) for t in tokens]
    except ValueError:
        bad = next(t for t in tokens if not t.lstrip("-").isdigit())
        raise UsageError(f"--nodes: node {bad!r} is not in the graph (its ids are integers)") from None
