"""``gnnprop run``: propagate round by round and show or write every round."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Annotated, Any, Optional

import typer

from .. import _signals
from ..errors import GnnpropError, UsageError
from . import faults
from . import options as o
from .app import app, cli_message
from .env import Env, get_env
from .outputs import command_inputs, not_written, plan_outputs, signals_deferred, weights_target
from .sinks import Target, open_output, output_target

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
                   "(default: table on a terminal, else from --output's extension, else json).", rich_help_panel=O,
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
    from ..weights import encode_weights

    env = get_env(ctx.obj)
    output = None if output == "-" else output
    cfg = o.build_config(**flags)
    fmt = _choose_format(fmt, output, env)
    out_t = output_target("-" if output is None else output)
    weights_t = None if save_weights is None else weights_target(save_weights)
    plan_outputs(command_inputs(graph, node_features=node_features, config=flags["config"], weights=weights,
                                layer_type=cfg.layer.type), [out_t, weights_t])
    state = _RunState(out_t, weights_t, streamed=fmt == "ndjson")
    try:
        faults.doing(f"reading {graph}")
        session = open_session(graph, cfg, input_format=input_format, node_features=node_features,
                               weights=weights, allow_nonfinite=allow_nonfinite)
        if session.graph.num_edges == 0:
            env.err.write(f"gnnprop: warning: {session.graph.source} has no edges: nothing propagates "
                          "(every node aggregates to 0)\n")
        weights_data = None if weights_t is None else encode_weights(session.params)
        picked = [session.graph.lookup(n.strip()) for n in nodes.split(",") if n.strip()] if nodes else None
        ids = session.graph.node_ids if picked is None else [session.graph.node_ids[i] for i in picked]

        binary = fmt == "npy"
        with contextlib.ExitStack() as stack:  # left in reverse: the output is committed first, then the weights
            weights_file = None if weights_t is None else stack.enter_context(open_output(weights_t, binary=True))
            stream = stack.enter_context(open_output(out_t, binary, stream=state.streamed))
            progress = stack.enter_context(_Progress(env, session.plan.max_rounds, no_color))
            if fmt == "table":
                console = env.console(stream, tty=env.out_is_tty() and output is None, no_color=no_color)
                emit = _table_emitter(console, ids, picked, precision, max_rows, max_cols)
            else:
                writer = make_writer(fmt, stream)
                writer.begin(ids, session.width)
                emit = writer.round
            if out_t.kind != "file" and state.streamed:
                emit = state.whole_rounds(emit)
            pending = None
            emitted = -1
            faults.doing("computing round 0")
            for result in session.propagate():
                state.done = result.round
                faults.doing(f"computing round {result.round + 1}")
                progress.advance(result.round)
                x = result.x if picked is None else result.x[picked]
                if not last and result.round % every == 0:
                    emit(result.round, _numpy(x))
                    emitted = result.round
                    pending = None
                else:
                    pending = (result.round, x)
            faults.doing(f"writing {out_t.name}")
            if pending is not None and pending[0] != emitted:
                emit(pending[0], _numpy(pending[1]))
            meta = session.meta()
            if fmt == "table":
                console.print(_summary(meta), style="dim", markup=False, highlight=False, soft_wrap=True)
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
