"""How a run looks while it runs and when it ends: the table view, the progress bar, the closing
summary and what an interruption says. Shared by every engine (the local one and Spark's)."""

from __future__ import annotations

import contextlib
import time

from .env import Env
from .outputs import not_written, signals_deferred
from .sinks import Target
from . import faults


class TableView:
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


def summary_fields(meta: dict, whole: float | None = None) -> list[str]:
    """The closing summary, as fields to join with ``; `` (and to wrap between). Its time is the time
    spent computing the rounds; a Spark run adds its start, the graph's read and the ``whole`` run's
    time (writing the rounds included), since on Spark those are most of it."""
    n, nodes, edges = meta["rounds_run"], meta["num_nodes"], meta["num_edges"]
    fields = [f"{meta['layer']} layer, {meta['aggr']} aggregation: {meta['stop_reason']}",
              f"{n:,} round{'s' if n != 1 else ''} computed in {meta['seconds']:.3g} s",
              f"{nodes:,} node{'s' if nodes != 1 else ''}, {edges:,} edge{'s' if edges != 1 else ''}",
              f"device {meta['device']}, {meta['dtype']}, engine {meta['engine']}" + _reorder_words(meta)]
    if "start_seconds" in meta:
        fields.append(f"Spark started in {meta['start_seconds']:.3g} s, graph read in {meta['read_seconds']:.3g} s"
                      + ("" if whole is None else f"; {whole:.3g} s in all (start, read, rounds, writing)"))
    if meta.get("exchange") == "rows":
        why = meta.get("exchange_why")
        fields.append("rounds row by row (a join and a groupBy each" + (f"; {why}" if why else "") + ")")
    elif meta.get("exchange"):
        fields.append(f"rounds in {meta['blocks']} blocks, the rows they read by {meta['exchange']}")
    return fields


def _reorder_words(meta: dict) -> str:
    from ..engine.reorder import summary

    return summary(meta)


def folder_note_for(writer, shown: str) -> str:
    """What a stopped run folder holds (``writer``: its manifest), and how to continue it."""
    rounds = writer.manifest.get("written", {}).get("rounds", []) if writer.manifest else []
    if not rounds:
        return f"nothing was written to {shown}/"
    return (f"{shown}/ holds the rounds written up to round {max(rounds)}, each complete: continue the run with "
            f"gnnprop run --resume {shown}")


class RunState:
    """What a run has done so far: for the line an interruption prints, and ndjson's error record."""

    def __init__(self, out: Target | None, weights: Target | None, streamed: bool, folder=None, shown: str = ""):
        self.out, self.weights, self.streamed = out, weights, streamed
        self.folder, self.shown = folder, shown  # a run folder being written (a RunFolderWriter), as named
        self.done = -1        # the last round computed
        self.written = -1     # the last round written to a stream (ndjson to stdout, a device, a FIFO)
        self.stream = None
        self.view = None      # the table view, when the rounds are drawn
        self.started = time.perf_counter()

    def seconds(self) -> float:
        """The run's time so far: the engine's start and the graph's read, the rounds, their writing."""
        return time.perf_counter() - self.started

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
        if self.folder is not None:
            parts.append(self._folder_note())
        elif self.written >= 0:
            parts.append(f"{self.out.name} has {f'rounds 0 to {self.written}' if self.written else 'round 0'}, "
                         f"each complete")
        elif self.out is not None and self.out.kind == "stdout":
            parts.append("nothing was written to standard output")
        missing = not_written([t for t in (self.out, self.weights) if t is not None])
        if missing:
            parts.append(missing + (" (an existing file is kept as it was)" if self.out is not None and
                                    self.out.kind == "file" else ""))
        return "; ".join(parts)

    def _folder_note(self) -> str:
        if self.folder.previous is not None:
            return f"{self.shown}/ was put back as it was before this run"
        return folder_note_for(self.folder, self.shown)

    def error_record(self, message: str) -> None:
        """After a failure, a stream that holds rounds ends with one line saying so (ndjson's error record)."""
        if not (self.streamed and self.written >= 0 and self.out is not None and self.out.kind == "stdout"):
            return
        import json
        import sys

        with contextlib.suppress(OSError, ValueError):
            sys.stdout.write(json.dumps({"error": message, "rounds_written": self.written + 1}) + "\n")
            sys.stdout.flush()


class Progress:
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
