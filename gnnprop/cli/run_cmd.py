"""``gnnprop run``: propagate round by round and show or write every round."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Annotated, Any, Optional

import typer

from ..errors import UsageError
from . import options as o
from .app import app
from .env import Env, get_env
from .sinks import atomic_file, direct_stdout, same_file, spooled_stdout

O = "Output"


def _formats() -> tuple[str, ...]:
    from ..output import WRITERS

    return ("table",) + tuple(WRITERS)


def _complete_format(incomplete: str) -> list[str]:
    return [f for f in _formats() if f.startswith(incomplete)]


@app.command()
@o.config_command
def run(
    ctx: typer.Context,
    graph: o.GraphArg,
    weights: o.Weights = None,
    save_weights: o.SaveWeights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="table | json | ndjson | csv | npy "
                   "(default: table on a terminal, else from --output's extension, else json); with --engine spark "
                   "also parquet.", rich_help_panel=O,
                   autocompletion=_complete_format)] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to FILE atomically instead of stdout.",
                                                  rich_help_panel=O)] = None,
    last: Annotated[bool, typer.Option("--last", help="Only the final round.", rich_help_panel=O)] = False,
    every: Annotated[int, typer.Option("--every", min=1, help="Every K-th round (and the last).", rich_help_panel=O)] = 1,
    nodes: Annotated[Optional[str], typer.Option("--nodes", help="Only these node ids, comma separated.",
                                                 rich_help_panel=O)] = None,
    precision: Annotated[int, typer.Option("--precision", min=0, max=17, help="Decimals in tables.",
                                           rich_help_panel=O)] = 4,
    max_rows: Annotated[int, typer.Option("--max-rows", min=0, help="Rows per table before eliding (0: all).",
                                          rich_help_panel=O)] = 20,
    max_cols: Annotated[int, typer.Option("--max-cols", min=0, help="Feature columns per table before eliding (0: all).",
                                          rich_help_panel=O)] = 10,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour (NO_COLOR is honoured too).",
                                           rich_help_panel=O)] = False,
    allow_nonfinite: Annotated[bool, typer.Option("--allow-nonfinite", help="Keep going when values overflow "
                               "(JSON writes null for inf/nan).", rich_help_panel=O)] = False,
    **flags: Any,
) -> None:
    """Propagate features over GRAPH round by round; print every round (round 0 = the input)."""
    from ..engine.session import open_session
    from ..output import make_writer
    from ..weights import save_weights as save_weights_file

    env = get_env(ctx.obj)
    cfg = o.build_config(**flags)
    if cfg.engine == "spark":  # the graph is read by Spark, not loaded here
        from .spark_run import run_spark

        return run_spark(ctx, env, cfg, graph, input_format=input_format, node_features=node_features,
                         weights=weights, save_weights=save_weights, fmt=fmt, output=output, last=last, every=every,
                         nodes=nodes, precision=precision, max_rows=max_rows, max_cols=max_cols, no_color=no_color,
                         allow_nonfinite=allow_nonfinite)
    fmt = _choose_format(fmt, output, env)
    if output is not None:
        for given in (graph, node_features, flags["config"]):
            if given and given != "-" and os.path.exists(given) and same_file(given, output):
                raise UsageError(f"--output: {output} is one of the input files; it would be overwritten")
    session = open_session(graph, cfg, input_format=input_format, node_features=node_features, weights=weights,
                           allow_nonfinite=allow_nonfinite)
    if session.graph.num_edges == 0:
        env.err.write(f"gnnprop: warning: {session.graph.source} has no edges: nothing propagates "
                      "(every node aggregates to 0)\n")
    if save_weights is not None:
        save_weights_file(session.params, save_weights)
    picked = [session.graph.lookup(n.strip()) for n in nodes.split(",") if n.strip()] if nodes else None
    ids = session.graph.node_ids if picked is None else [session.graph.node_ids[i] for i in picked]

    binary = fmt == "npy"
    if output is not None:
        sink = atomic_file(output, binary)
    elif fmt == "ndjson":
        sink = direct_stdout(binary)
    else:
        sink = spooled_stdout(binary)
    with sink as stream, _Progress(env, session.plan.max_rounds, no_color) as progress:
        if fmt == "table":
            console = env.console(stream, tty=env.out_is_tty() and output is None, no_color=no_color)
            emit = _table_emitter(console, ids, picked, precision, max_rows, max_cols)
        else:
            writer = make_writer(fmt, stream)
            writer.begin(ids, session.width)
            emit = writer.round
        pending = None
        emitted = -1
        for result in session.propagate():
            progress.advance(result.round)
            x = result.x if picked is None else result.x[picked]
            if not last and result.round % every == 0:
                emit(result.round, _numpy(x))
                emitted = result.round
                pending = None
            else:
                pending = (result.round, x)
        if pending is not None and pending[0] != emitted:
            emit(pending[0], _numpy(pending[1]))
        meta = session.meta()
        if fmt == "table":
            console.print(_summary(meta), style="dim", markup=False, highlight=False, soft_wrap=True)
        else:
            writer.end(meta)
    if session.nonfinite_round is not None:
        env.err.write(f"gnnprop: warning: values became inf or nan from round {session.nonfinite_round} "
                      f"({'null in JSON' if fmt in ('json', 'ndjson') else 'inf/nan'} in the output)\n")
    if fmt != "table" and env.err_is_tty():
        env.err_console(no_color).print(_summary(meta), style="dim", markup=False, highlight=False,
                                        soft_wrap=True)


def _choose_format(fmt: str | None, output: str | None, env: Env) -> str:
    if fmt is not None or output is None:
        name = env.choose_format(fmt, _formats())
    else:
        ext = os.path.splitext(output)[1].lower().lstrip(".")
        name = {"json": "json", "ndjson": "ndjson", "jsonl": "ndjson", "csv": "csv", "npy": "npy",
                "txt": "table"}.get(ext, "json")
    if name == "npy" and output is None and env.out_is_tty():
        raise UsageError("--format npy: binary output to a terminal; use --output FILE.npy or a pipe")
    return name


def _numpy(x):
    return x.detach().to("cpu").numpy()


def _table_emitter(console, ids, picked, precision, max_rows, max_cols):
    from rich.text import Text

    from .render import pick_rows, round_table

    rows = pick_rows(len(ids), 0 if picked is not None else max_rows)

    def emit(r: int, x) -> None:
        console.print(Text("round 0 (input)" if r == 0 else f"round {r}", style="bold"))
        console.print(round_table(x, ids, rows, precision, max_cols, len(ids)))
        console.print()
    return emit


def _summary(meta: dict) -> str:
    return (f"{meta['layer']} layer, {meta['aggr']} aggregation: {meta['stop_reason']}; "
            f"{meta['rounds_run']} round{'s' if meta['rounds_run'] != 1 else ''} run; "
            f"{meta['num_nodes']} nodes, {meta['num_edges']} edges; device {meta['device']}, {meta['dtype']}, "
            f"engine {meta['engine']}; {meta['seconds']:.3g} s")


class _Progress:
    """A Rich progress bar on stderr, shown only on a terminal and only once a run takes a while."""

    DELAY = 0.5

    def __init__(self, env: Env, total: int, no_color: bool):
        self.env, self.total, self.no_color = env, total, no_color
        self.start = time.perf_counter()
        self.bar = None

    def __enter__(self):
        return self

    def advance(self, r: int) -> None:
        if self.bar is None:
            if not self.env.err_is_tty() or time.perf_counter() - self.start < self.DELAY or r >= self.total:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("rounds"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                console=self.env.err_console(self.no_color), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("rounds", total=self.total)
        self.bar.update(self.task, completed=r)

    def __exit__(self, *exc):
        if self.bar is not None:
            with contextlib.suppress(Exception):
                self.bar.stop()
        return False
