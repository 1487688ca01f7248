"""A command's inputs and outputs, checked together before any work.

:func:`plan_outputs` is the one place that says which files a command reads and
which it writes, and refuses (exit 2) any output that is an input or that two
outputs name the same file (see :mod:`gnnprop.cli.sinks` for the rules).
"""

from __future__ import annotations

import contextlib
import signal
from dataclasses import dataclass
from typing import Iterator, Sequence

from .. import _signals
from ..errors import UsageError, setting
from . import faults
from .sinks import Target, output_target, protect

# (what, path) pairs: what names the input in the message ("graph", "config", ...)
Inputs = Sequence[tuple[str, "str | None"]]


def layer_file(layer_type: str | None) -> str | None:
    """The Python file of a ``file.py:Class`` layer, else ``None``."""
    if not layer_type or ":" not in layer_type:
        return None
    path = layer_type.rpartition(":")[0]
    return path if path.endswith(".py") else None


def command_inputs(graph: str | None, *, node_features: str | None = None, config: str | None = None,
                   weights: str | None = None, layer_type: str | None = None) -> list[tuple[str, str | None]]:
    return [("graph", graph), ("node features", node_features), ("config", config), ("weights", weights),
            ("layer file", layer_file(layer_type))]


def weights_target(path: str) -> Target:
    """``--save-weights``: a ``.safetensors`` file (never stdout)."""
    if path and not path.lower().endswith(".safetensors"):
        raise UsageError(f"{path}: --save-weights writes .safetensors files")
    return output_target(path, "--save-weights", allow_stdout=False)


@dataclass(frozen=True)
class Output:
    """Where a command's rounds go and in which format (:func:`choose_output`)."""

    format: "object"      # a gnnprop.output.formats.Format
    layout: str           # stdout | file | folder (a run folder, OUT/round=R/) | files (DIR/<graph>.<ext>)
    path: str | None      # the --output path as given (None: stdout)

    @property
    def name(self) -> str:
        return self.format.name  # type: ignore[attr-defined]


def choose_output(fmt: str | None, output: str | None, env, *, graphs: int = 1,
                  allowed: tuple[str, ...] | None = None, inputs: Inputs = (),
                  others: Sequence[Target | None] = ()) -> Output:
    """The format and layout of a command's output, the same rules for every engine.

    - ``--format`` names the format (one of ``allowed``, when given); without it ``--output``'s
      extension does, else a terminal gets ``table`` and a pipe ``json`` (``ndjson`` for several graphs).
    - ``-o OUT/`` (a trailing slash, or an existing folder) with one graph is a run folder, of
      ``parquet`` unless ``--format`` names a format that is not a folder's, which then writes
      ``OUT/<graph>.<ext>``; several graphs write ``OUT/<graph>.<ext>`` each (``json`` by default).
    - Several graphs on stdout need a format that says which graph a row is from (ndjson, tables).
    - A device or a FIFO (``-o /dev/null``) needs no extension: it gets what a pipe gets.

    A file is checked as an output (and against ``inputs``) before its extension is read, so
    ``-o config.yaml`` is refused as an input, not as an unknown extension (``others``: the command's
    other outputs, which it may not name either).
    """
    from ..output import formats
    from .sinks import is_folder_target

    chosen = None if fmt is None else formats.get(fmt, allowed)
    to_stdout = output is None or output == "-"
    if to_stdout:
        if chosen is None:
            chosen = formats.get("table" if env.out_is_tty() else
                                 formats.PIPE_DEFAULT if graphs == 1 else formats.PIPE_DEFAULT_SEVERAL, allowed)
        if chosen.binary and env.out_is_tty():
            raise UsageError(f"{setting('format', chosen.name)}: binary output to a terminal; use "
                             f"{setting('output', 'FILE.' + chosen.suffix)} or a pipe")
        if graphs > 1 and not chosen.streams:
            raise UsageError(f"{setting('format', chosen.name)}: {graphs:,} graphs on stdout would be one stream "
                             f"that does not say which graph a value is from; use {setting('format', 'ndjson')} (each "
                             f"record has a \"graph\" field) or {setting('output', 'DIR/')} (one file per graph)")
        return Output(chosen, "stdout", None)
    if is_folder_target(output):
        if graphs == 1 and (chosen is None or chosen.folder):
            return Output(chosen or formats.FORMATS["parquet"], "folder", output)
        chosen = chosen or formats.FORMATS["json"]
        if chosen.name == "table":  # a file holds the plain columns
            chosen = formats.FORMATS["text"]
        return Output(chosen, "files", output)
    if graphs > 1:
        raise UsageError(f"{graphs:,} graphs need a folder, one file each: write -o {output}/ (or omit -o for "
                         "stdout)", key="output")
    target = output_target(output)
    protect(inputs, [target, *[t for t in others if t is not None]])
    if chosen is None and target.kind == "stream":
        chosen = formats.get(formats.PIPE_DEFAULT, allowed)
    if chosen is None:
        chosen = formats.by_extension(output)
        if chosen is None:
            ext = output.rpartition(".")[2] if "." in output.rpartition("/")[2] else ""
            what = f"extension .{ext}" if ext else "no extension"
            raise UsageError(f"{output} has {what}, which names no format; known: {formats.extensions_text()}; "
                             "or give --format", key="output")
    return Output(chosen, "file", output)


def plan_outputs(inputs: Inputs, outputs: Sequence[Target | None]) -> None:
    """Refuse outputs that would overwrite an input or each other (before any work)."""
    targets = [t for t in outputs if t is not None]
    protect(inputs, targets)
    faults.expect_outputs(targets)


def not_written(targets: Sequence[Target | None]) -> str:
    """For an interruption's message: which outputs were left as they were."""
    files = [t.path for t in targets if t is not None and t.kind == "file"]
    if not files:
        return ""
    return f"{' and '.join(files)} {'was' if len(files) == 1 else 'were'} not written"


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a round is written to a stream, so a stream holds whole rounds.

    The signal is noted and acted on (``KeyboardInterrupt`` / :class:`Terminated`) once the round is out.
    (Masking the signal would not do: torch's threads would take it, and Python still raises mid-round.)
    """
    got: list[int] = []

    def hold(signum, frame):  # noqa: ARG001
        got.append(signum)

    old = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if callable(signal.getsignal(sig)):  # leave ignored signals ignored
                old[sig] = signal.signal(sig, hold)
    except ValueError:  # not the main thread: nothing to hold
        pass
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if got:
        if got[0] == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            raise _signals.Terminated()
        raise KeyboardInterrupt()
