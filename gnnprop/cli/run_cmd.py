"""``gnnprop run``: propagate round by round and show or write every round."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Annotated, Any, Iterable, Iterator, Optional

import typer

from .. import _signals
from ..errors import GnnpropError, UsageError
from . import batch, faults, helptext
from . import options as o
from .app import app, cli_message
from .env import Env, get_env
from .notes import warn_about_graph
from .outputs import command_inputs, not_written, plan_outputs, signals_deferred, weights_target
from .sinks import Target, atomic_folder, folder_target, is_folder_target, open_output, output_target, write_bytes

#: The formats besides the writers' (``table``: a terminal's box view; ``text``: plain columns).
VIEWS = ("table", "text")
#: ``--output``'s extension -> format, when ``--format`` is not given.
EXTENSIONS = {"json": "json", "ndjson": "ndjson", "jsonl": "ndjson", "csv": "csv", "tsv": "tsv", "npy": "npy",
              "parquet": "parquet", "pq": "parquet", "txt": "text"}
#: The extension of each format's files (``-o DIR/``).
FORMAT_EXTENSIONS = {"table": "txt", "text": "txt", "json": "json", "ndjson": "ndjson", "csv": "csv", "tsv": "tsv",
                     "npy": "npy", "parquet": "parquet"}
O = "Output"


def _formats() -> tuple[str, ...]:
    from ..output import WRITERS

    return VIEWS + tuple(WRITERS)


def _complete_format(incomplete: str) -> list[str]:
    return [f for f in _formats() if f.startswith(incomplete)]


@app.command(**helptext.spec("run"))
@o.config_command
def run(
    ctx: typer.Context,
    graphs: Annotated[Optional[list[str]], typer.Argument(
        metavar="GRAPH", show_default=False,
        help="Graph file(s) (.json, .csv, .txt/.edgelist/.tsv/.cites), or - for stdin; several run one after "
             "another with the same config.")] = None,
    paths_from: Annotated[Optional[str], typer.Option("--paths-from", metavar="FILE", help="Read graph paths "
                          "from FILE (- for stdin), one a line; # comments and blank lines are skipped.",
                          rich_help_panel=o.GRAPH)] = None,
    weights: o.Weights = None,
    save_weights: o.SaveWeights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="table | text | json | ndjson | csv | "
                   "tsv | npy | parquet (default: from --output's extension, else table on a terminal, else json; "
                   "with --engine spark a folder -o OUT/ is Parquet rounds).",
                   rich_help_panel=O, autocompletion=_complete_format)] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to FILE atomically "
                                                  "instead of stdout; DIR/ writes one file per graph, named after it "
                                                  "(with -f parquet and one graph: one part per round, DIR/round=R/).",
                                                  rich_help_panel=O)] = None,
    last: Annotated[bool, typer.Option("--last", help="Only the final round.", rich_help_panel=O)] = False,
    every: Annotated[int, typer.Option("--every", min=1, help="Every K-th round (and the last).", rich_help_panel=O)] = 1,
    nodes: Annotated[Optional[str], typer.Option("--nodes", help="Only these node ids, comma separated.",
                                                 rich_help_panel=O)] = None,
    precision: Annotated[Optional[int], typer.Option("--precision", min=0, max=17, show_default=False,
                         help="Table views: at most N digits after the point, a cut number ending in … "
                              "(default: every digit needed to read the value back).", rich_help_panel=O)] = None,
    max_rows: Annotated[Optional[int], typer.Option("--max-rows", min=0, show_default=False, help="Rows per table "
                        "before eliding (0: all; default 20 on a terminal, all in a .txt file).",
                        rich_help_panel=O)] = None,
    max_cols: Annotated[Optional[int], typer.Option("--max-cols", min=0, show_default=False, help="Feature columns "
                        "per table (0: all; default: as many as fit the terminal, all in a .txt file).",
                        rich_help_panel=O)] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour (NO_COLOR is honoured too).",
                                           rich_help_panel=O)] = False,
    allow_nonfinite: Annotated[bool, typer.Option("--allow-nonfinite", help="Keep going when values overflow "
                               "(JSON writes null for inf/nan).", rich_help_panel=O)] = False,
    **flags: Any,
) -> None:
    """Propagate features over GRAPH round by round; print every round (round 0 = the input).

    Several graphs (or --paths-from) run one after another in one process with the same config:
    -o DIR/ writes DIR/<name>.<format> for each; to stdout, ndjson records carry a "graph" field
    (the default in a pipe) and tables have a heading per graph. A graph that fails is reported
    and the others still run; the exit code is then that of the failure.
    """
    env = get_env(ctx.obj)
    opts = dict(weights=weights, save_weights=save_weights, input_format=input_format, node_features=node_features,
                last=last, every=every, nodes=nodes, precision=precision, max_rows=max_rows, max_cols=max_cols,
                no_color=no_color, allow_nonfinite=allow_nonfinite, debug=bool(ctx.meta.get("debug")))
    paths = batch.graph_paths(graphs, paths_from)
    cfg = o.build_config(**flags)  # a config error is said once, before any graph runs
    into_dir = output is not None and batch.is_dir_target(output)
    # one graph into a folder: Parquet rounds (-f parquet, or the Spark engine), else the several-graphs layout
    rounds_dir = into_dir and ((fmt is not None and fmt.strip().lower() == "parquet") or cfg.engine == "spark")
    if len(paths) == 1 and (not into_dir or rounds_dir):
        _run_graph(env, paths[0], fmt=fmt, output=output, cfg=cfg, **opts, **flags)
        return
    if output is not None and not into_dir:
        raise UsageError(f"--output: {len(paths):,} graphs need a folder, one file each: write -o {output}/ "
                         "(or omit -o for stdout)")
    fmt = batch.batch_format(fmt, output if into_dir else None, env, len(paths), EXTENSIONS)
    if save_weights is not None:
        raise UsageError("--save-weights: takes one graph (each graph's layer may differ)")
    jobs = batch.plan_jobs(paths, output if into_dir else None, FORMAT_EXTENSIONS[fmt])
    failures = batch.run_jobs(env, jobs, lambda job: _run_graph(env, job.graph, fmt=fmt, output=job.output,
                                                                label=job.label, cfg=cfg, **opts, **flags))
    if failures:
        raise typer.Exit(max(failures))


def _run_graph(env: Env, graph: str, *, fmt, output, weights, save_weights, input_format, node_features, last,
               every, nodes, precision, max_rows, max_cols, no_color, allow_nonfinite, label: str | None = None,
               cfg: Any = None, debug: bool = False, **flags: Any) -> None:
    """One graph's run, written to ``output`` (``None`` or ``-``: stdout); ``label`` names the graph in a
    batch, whose config ``cfg`` is built once."""
    from ..engine.session import open_session
    from ..output import make_writer
    from ..weights import encode_weights

    output = None if output == "-" else output
    cfg = o.build_config(**flags) if cfg is None else cfg
    if cfg.engine == "spark":  # the graph is read by Spark, not loaded here
        from .spark_run import run_spark

        return run_spark(env, cfg, graph, input_format=input_format, node_features=node_features,
                         weights=weights, save_weights=save_weights, fmt=fmt, output=output, last=last, every=every,
                         nodes=nodes, precision=precision, max_rows=max_rows, max_cols=max_cols, no_color=no_color,
                         allow_nonfinite=allow_nonfinite, debug=debug, config_file=flags["config"])
    if fmt is not None and fmt.strip().lower() == "parquet" and is_folder_target(output):
        _run_hive(env, graph, output, cfg=cfg, weights=weights, save_weights=save_weights,
                  input_format=input_format, node_features=node_features, last=last, every=every, nodes=nodes,
                  allow_nonfinite=allow_nonfinite, flags=flags)
        return
    out_t = output_target("-" if output is None else output)
    weights_t = None if save_weights is None else weights_target(save_weights)
    plan_outputs(command_inputs(graph, node_features=node_features, config=flags["config"], weights=weights,
                                layer_type=cfg.layer.type), [out_t, weights_t])  # an input named as output first
    fmt = _choose_format(fmt, output if out_t.kind == "file" else None, env)
    state = _RunState(out_t, weights_t, streamed=fmt == "ndjson")
    try:
        faults.doing(f"reading {graph}")
        session = open_session(graph, cfg, input_format=input_format, node_features=node_features,
                               weights=weights, allow_nonfinite=allow_nonfinite,
                               loaded=lambda g: warn_about_graph(env.err, g, cfg, flags))
        if session.graph.num_edges == 0:
            env.err.write(f"gnnprop: warning: {session.graph.source} has no edges: nothing propagates "
                          "(every node aggregates to 0)\n")
        weights_data = None if weights_t is None else encode_weights(session.params)
        picked = [session.graph.lookup(n.strip()) for n in nodes.split(",") if n.strip()] if nodes else None
        ids = session.graph.node_ids if picked is None else [session.graph.node_ids[i] for i in picked]

        binary = fmt in ("npy", "parquet")
        with contextlib.ExitStack() as stack:  # left in reverse: the output is committed first, then the weights
            weights_file = None if weights_t is None else stack.enter_context(open_output(weights_t, binary=True))
            stream = stack.enter_context(open_output(out_t, binary, stream=state.streamed))
            progress = stack.enter_context(_Progress(env, session.plan.max_rounds, no_color))
            if fmt in VIEWS:
                from rich.text import Text

                console = env.console(stream, tty=env.out_is_tty() and output is None and fmt == "table",
                                      no_color=no_color)
                view = _TableView(env, console, ids, picked, fmt == "table", precision, max_rows, max_cols)
                emit = view.emit
                if label is not None and output is None:
                    console.print(Text(f"graph {label}", style="bold underline"), soft_wrap=True)
            else:
                writer = make_writer(fmt, stream)
                writer.graph = label if output is None else None
                writer.begin(ids, session.width)
                emit = writer.round
            if out_t.kind != "file" and state.streamed:
                emit = state.whole_rounds(emit)
            faults.doing("computing round 0")
            for result in rounds_to_write(_watched(session.propagate(), state, progress), last, every):
                emit(result.round, _numpy(result.x if picked is None else result.x[picked]))
            faults.doing(f"writing {out_t.name}")
            meta = session.meta()
            if fmt in VIEWS:
                view.summary(_summary_fields(meta))
            else:
                writer.end(meta)
            if weights_file is not None:
                weights_file.write(weights_data)
    except KeyboardInterrupt as e:
        e.note = state.interrupted()
        state.error_record(_signals.message(e))
        raise
    except GnnpropError as e:
        state.error_record(cli_message(e))
        raise
    if session.nonfinite_round is not None:
        env.err.write(f"gnnprop: warning: values became inf or nan from round {session.nonfinite_round} "
                      f"({'null in JSON' if fmt in ('json', 'ndjson') else 'inf/nan'} in the output)\n")
    if fmt in VIEWS:
        view.note_hidden()
    elif env.err_is_tty() and label is None:
        from rich.text import Text

        from .render import wrap_fields

        err = env.err_console(no_color)
        for line in wrap_fields(_summary_fields(meta), env.term_width()):
            err.print(Text(line, style="dim"), soft_wrap=True)


def _choose_format(fmt: str | None, output: str | None, env: Env) -> str:
    if fmt is not None:
        name = env.choose_format(fmt, _formats())
    elif output is not None and output != "-":
        ext = os.path.splitext(output)[1].lower().lstrip(".")
        if ext not in EXTENSIONS:
            known = ", ".join(f".{e} ({f})" for e, f in EXTENSIONS.items())
            what = f"extension .{ext}" if ext else "no extension"
            raise UsageError(f"--output: {output} has {what}, which names no format; known: {known}; "
                             "or give --format")
        name = EXTENSIONS[ext]
    else:
        name = "table" if env.out_is_tty() else "json"
    if name in ("npy", "parquet") and output is None and env.out_is_tty():
        raise UsageError(f"--format {name}: binary output to a terminal; use --output FILE.{name} or a pipe")
    return name


def _run_hive(env: Env, graph: str, output: str, *, cfg, weights, save_weights, input_format, node_features, last,
              every, nodes, allow_nonfinite, flags) -> None:
    """``-f parquet -o DIR/``: one Parquet part per round written, ``DIR/round=R/part-0.parquet``
    (``id, x0..``), the folder replaced whole on success (then ``--save-weights``)."""
    from ..engine.session import open_session
    from ..output.parquet import HiveParquetWriter
    from ..weights import encode_weights

    out_t = folder_target(output)
    weights_t = None if save_weights is None else weights_target(save_weights)
    plan_outputs(command_inputs(graph, node_features=node_features, config=flags["config"], weights=weights,
                                layer_type=cfg.layer.type), [out_t, weights_t])
    faults.doing(f"reading {graph}")
    session = open_session(graph, cfg, input_format=input_format, node_features=node_features, weights=weights,
                           allow_nonfinite=allow_nonfinite, loaded=lambda g: warn_about_graph(env.err, g, cfg, flags))
    picked = [session.graph.lookup(n.strip()) for n in nodes.split(",") if n.strip()] if nodes else None
    ids = session.graph.node_ids if picked is None else [session.graph.node_ids[i] for i in picked]
    weights_data = None if weights_t is None else encode_weights(session.params)
    with atomic_folder(out_t) as folder:
        writer = HiveParquetWriter(folder)
        writer.begin(ids, session.width)
        for result in rounds_to_write(_watched(session.propagate()), last, every):
            writer.round(result.round, _numpy(result.x if picked is None else result.x[picked]))
        writer.end(session.meta())
    if weights_t is not None:  # only once the rounds are committed, as with a file
        write_bytes(weights_t, weights_data)


def rounds_to_write(results: Iterable, last: bool, every: int) -> Iterator:
    """The rounds a run writes, as they come: every ``every``-th (none with ``last``), and always
    the final one (which the run knows to be final only when it has stopped)."""
    pending = None
    for result in results:
        if not last and result.round % every == 0:
            pending = None
            yield result
        else:
            pending = result
    if pending is not None:
        yield pending


def _watched(results: Iterable, state: "_RunState | None" = None, progress: "_Progress | None" = None) -> Iterator:
    """``results``, saying what is being computed (for an interruption's line) and advancing the progress bar."""
    for result in results:
        if state is not None:
            state.done = result.round
        faults.doing(f"computing round {result.round + 1}")
        if progress is not None:
            progress.advance(result.round)
        yield result


def _numpy(x):
    return x.detach().to("cpu").numpy()


class _TableView:
    """Tables of the rounds: ``fit`` (a terminal table) fits the width and elides rows and columns;
    otherwise (``text``, ``-o FILE.txt``) every row and column, separated by spaces, no box."""

    def __init__(self, env: Env, console, ids, picked, fit: bool, precision, max_rows, max_cols):
        from .render import pick_rows

        self.env, self.console, self.ids, self.fit, self.precision = env, console, ids, fit, precision
        self.width = env.term_width()
        default_rows = 20 if fit and picked is None else 0
        self.rows = pick_rows(len(ids), default_rows if max_rows is None else max_rows)
        self.max_cols = max_cols if max_cols is not None or fit else 0
        self.hidden: tuple[int, int] | None = None

    def emit(self, r: int, x) -> None:
        from rich.text import Text

        from .render import round_lines

        lines, lay = round_lines(x, self.ids, self.rows, precision=self.precision, max_cols=self.max_cols,
                                 width=self.width, box=self.fit)
        if lay.hidden:
            self.hidden = (len(lay.head) + len(lay.tail), lay.total)
        title = "round 0 (input)" if r == 0 else f"round {r}"
        if not self.fit:  # plain text: straight to the file, no Rich rendering per line
            self.console.file.write("\n".join([title, *lines, "", ""]))
            return
        self.console.print(Text(title, style="bold"), soft_wrap=True)
        for line in lines:
            self.console.print(line, soft_wrap=True)
        self.console.print()

    def summary(self, fields: list[str]) -> None:
        from rich.text import Text

        from .render import wrap_fields

        width = self.width if self.fit else 10**6
        for line in wrap_fields(fields, width):
            self.console.print(Text(line, style="dim"), soft_wrap=True)

    def note_hidden(self) -> None:
        """Say on stderr that columns were left out, and how to see them."""
        if self.hidden is None:
            return
        shown, total = self.hidden
        why = "" if self.max_cols is None else f" (--max-cols {self.max_cols})"
        self.env.err.write(f"gnnprop: note: {shown} of {total:,} feature columns shown{why} "
                           "(all: --max-cols 0, or -f csv)\n")


def _summary_fields(meta: dict) -> list[str]:
    """The closing summary, as fields to join with ``; `` (and to wrap between)."""
    n = meta["rounds_run"]
    return [f"{meta['layer']} layer, {meta['aggr']} aggregation: {meta['stop_reason']}",
            f"{n:,} round{'s' if n != 1 else ''} run",
            f"{meta['num_nodes']:,} node{'s' if meta['num_nodes'] != 1 else ''}, "
            f"{meta['num_edges']:,} edge{'s' if meta['num_edges'] != 1 else ''}",
            f"device {meta['device']}, {meta['dtype']}, engine {meta['engine']}"
            + (f", node order {meta['reorder']}" if meta.get("reorder", "none") != "none" else ""),
            f"{meta['seconds']:.3g} s"]


class _RunState:
    """What a run has done so far: for the line an interruption prints, and ndjson's error record."""

    def __init__(self, out: Target, weights: Target | None, streamed: bool):
        self.out, self.weights, self.streamed = out, weights, streamed
        self.done = -1        # the last round computed
        self.written = -1     # the last round written to a stream (ndjson to stdout, a device, a FIFO)
        self.stream = None

    def whole_rounds(self, emit):
        """``emit`` for a stream: a round is written whole (signals wait), then counted."""
        def whole(r: int, x) -> None:
            with signals_deferred():
                emit(r, x)
                self.written = r
        return whole

    def interrupted(self) -> str:
        where = f"while {faults.phase()}" if self.done < 0 else f"during round {self.done + 1} ({self.done} " \
            f"round{'s' if self.done != 1 else ''} done)"
        parts = [f"stopped {where}"]
        if self.written >= 0:
            parts.append(f"{self.out.name} has {f'rounds 0 to {self.written}' if self.written else 'round 0'}, "
                         f"each complete")
        elif self.out.kind == "stdout":
            parts.append("nothing was written to standard output")
        missing = not_written([self.out, self.weights])
        if missing:
            parts.append(missing + (" (an existing file is kept as it was)" if self.out.kind == "file" else ""))
        return "; ".join(parts)

    def error_record(self, message: str) -> None:
        """After a failure, a stream that holds rounds ends with one line saying so (ndjson's error record)."""
        if not (self.streamed and self.written >= 0 and self.out.kind == "stdout"):
            return
        import json
        import sys

        with contextlib.suppress(OSError, ValueError):
            sys.stdout.write(json.dumps({"error": message, "rounds_written": self.written + 1}) + "\n")
            sys.stdout.flush()


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
